import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
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

const COMPOSE_FILES = ['docker-compose.yml', 'docker-compose.scale.yml'];
/** The image's default command (deploy/Dockerfile CMD), for services that do not set their own. */
const IMAGE_COMMAND = ['server', '--host', '0.0.0.0', '--port', '8080'];

function composeUses(): Use[] {
  return COMPOSE_FILES.flatMap((file) => {
    const compose = parse(fs.readFileSync(path.join(DEPLOY, file), 'utf8'), { merge: true }) as {
      services: Record<string, { image?: string; command?: string[]; environment?: Record<string, string> }>;
    };
    return Object.entries(compose.services)
      .filter(([, service]) => service.image?.startsWith('stepflow:'))
      .map(([name, service]) => ({
        where: `${file} ${name}`,
        args: service.command ?? IMAGE_COMMAND,
        env: Object.keys(service.environment ?? {}),
      }));
  });
}

const UNIT = path.join(DEPLOY, 'systemd/stepflow.service');

/** The unit's ExecStart as `stepflow` arguments, and the settings it sets. */
function systemdUses(): Use[] {
  const unit = fs.readFileSync(UNIT, 'utf8');
  const exec = /^ExecStart=\S+ \S+\/bin\/stepflow\.js (.*)$/m.exec(unit);
  expect(exec, 'ExecStart runs bin/stepflow.js with node').not.toBeNull();
  const env = [...unit.matchAll(/^Environment=(\w+)=/gm)].map((m) => m[1]!);
  return [{ where: 'systemd/stepflow.service', args: exec![1]!.split(' '), env }];
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
  const uses = [...composeUses(), ...kubernetesUses(), ...systemdUses()];

  it('start API replicas without a local runner and workers, in compose and Kubernetes', () => {
    const commands = uses.map((use) => `${use.where.split(' ')[0]} ${use.args.slice(0, 2).join(' ')}`);
    expect(commands).toEqual(
      expect.arrayContaining([
        'docker-compose.yml server --host',
        'docker-compose.scale.yml server --no-runner',
        'docker-compose.scale.yml worker --server',
        'systemd/stepflow.service server --host',
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

describe('the systemd unit', () => {
  const verify = (file: string) =>
    spawnSync('systemd-analyze', ['verify', file], {
      encoding: 'utf8',
      env: { ...process.env, SYSTEMD_LOG_COLOR: '0' },
    });

  it('is hardened: a dedicated user, no new privileges, a read-only system but its state dir', () => {
    const unit = fs.readFileSync(UNIT, 'utf8');
    for (const line of [
      'User=stepflow',
      'NoNewPrivileges=yes',
      'ProtectSystem=strict',
      'StateDirectory=stepflow',
      'PrivateTmp=yes',
      'CapabilityBoundingSet=',
      'KillMode=mixed',
    ]) {
      expect(unit.split('\n'), line).toContain(line);
    }
  });

  // systemd-analyze exits 0 on an unknown key: its warnings on stderr are what fail the check.
  // Debian's systemd package has it (these machines do); a machine without it fails here, saying so.
  it('passes systemd-analyze verify without a warning (and a broken unit does not)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-unit-'));
    try {
      // Its ExecStart path as installed here, so verify can also check the program exists.
      const installed = path.join(dir, 'stepflow.service');
      fs.writeFileSync(installed, fs.readFileSync(UNIT, 'utf8').replaceAll('/opt/stepflow', ROOT));
      const good = verify(installed);
      expect(good.error, 'systemd-analyze is needed (Debian package systemd)').toBeUndefined();
      expect(good.stderr).toBe('');
      expect(good.status).toBe(0);
      const broken = path.join(dir, 'broken.service');
      fs.writeFileSync(
        broken,
        fs.readFileSync(installed, 'utf8').replace('NoNewPrivileges=yes', 'NoNewPrivilege=yes'),
      );
      expect(verify(broken).stderr).toMatch(/Unknown key 'NoNewPrivilege'/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
