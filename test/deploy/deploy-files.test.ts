import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { ROOT } from '../helpers/run-cli.js';

// No container engine runs on the CI machines, so the deploy files cannot be started here (the
// operations issue verifies them). What can drift silently is checked: they parse, every StepFlow
// command and option they use exists, and every StepFlow setting they set is documented.

const DEPLOY = path.join(ROOT, 'deploy');
const BIN = path.join(ROOT, 'bin/stepflow.js');

interface Use {
  where: string;
  args: string[];
  env: string[];
}

function composeUses(): Use[] {
  const compose = parse(fs.readFileSync(path.join(DEPLOY, 'compose.yaml'), 'utf8'), { merge: true }) as {
    services: Record<string, { image?: string; command?: string[]; environment?: Record<string, string> }>;
  };
  return Object.entries(compose.services)
    .filter(([, service]) => service.image?.startsWith('stepflow:'))
    .map(([name, service]) => ({
      where: `compose.yaml ${name}`,
      args: service.command ?? [],
      env: Object.keys(service.environment ?? {}),
    }));
}

interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: { name: string }[];
}

function kubernetesUses(): Use[] {
  const dir = path.join(DEPLOY, 'kubernetes');
  return fs.readdirSync(dir).flatMap((file) =>
    parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8')).flatMap((document) => {
      expect(document.errors, file).toEqual([]);
      const manifest = document.toJS() as {
        kind: string;
        spec?: { template?: { spec: { containers: Container[] } } };
      };
      return (manifest.spec?.template?.spec.containers ?? [])
        .filter((container) => container.image.startsWith('stepflow:'))
        .map((container) => ({
          where: `kubernetes/${file} ${container.name}`,
          args: container.args ?? [],
          env: (container.env ?? []).map((variable) => variable.name),
        }));
    }),
  );
}

const help = (args: string[]): string =>
  execFileSync(process.execPath, [BIN, ...args, '--help'], { encoding: 'utf8' });

describe('deploy files', () => {
  const uses = [...composeUses(), ...kubernetesUses()];

  it('start API replicas without a local runner and workers, in compose and Kubernetes', () => {
    const commands = uses.map((use) => `${use.where.split(' ')[0]} ${use.args.slice(0, 2).join(' ')}`);
    expect(commands).toEqual(
      expect.arrayContaining([
        'compose.yaml server --no-runner',
        'compose.yaml worker --server',
        'kubernetes/api.yaml server --no-runner',
        'kubernetes/workers.yaml worker --server',
      ]),
    );
  });

  it('use only commands and options the CLI has', () => {
    for (const { where, args } of uses) {
      const [command] = args;
      const options = help([command!]);
      for (const option of args.filter((arg) => arg.startsWith('--'))) {
        expect(options, `${where}: stepflow ${command} ${option}`).toMatch(
          new RegExp(`(^|[\\s,])${option}(\\s|$)`, 'm'),
        );
      }
    }
  });

  it('set only StepFlow settings the README documents', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    for (const { where, env } of uses) {
      for (const name of env.filter((variable) => variable.startsWith('STEPFLOW_'))) {
        expect(readme, `${where}: ${name}`).toContain(`\`${name}\``);
      }
    }
  });
});
