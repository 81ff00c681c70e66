import fs from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { ROOT } from '../helpers/run-cli.js';

// The compose files and Kubernetes manifests against the published schemas, offline: copies of
// them are in test/deploy/schemas/ (where they come from and how: its README.md). No Docker engine
// or cluster is needed; `docker compose config` and `kubectl apply --dry-run=server` stay the
// checks to run where one is.

const DEPLOY = path.join(ROOT, 'deploy');
const SCHEMAS = path.join(ROOT, 'test/deploy/schemas');
const readJson = (file: string): Record<string, unknown> =>
  JSON.parse(fs.readFileSync(path.join(SCHEMAS, file), 'utf8')) as Record<string, unknown>;

interface SchemaError {
  instancePath?: string;
  message?: string;
  params?: unknown;
}
type Check = (value: unknown) => string[];

function checker(schema: object): Check {
  // Formats are hints here (int32, duration…), and the schemas use keywords of their own (x-…);
  // they are taken as they are, not checked against their meta-schema (compose-spec names draft-07
  // by an https URL ajv does not know).
  const ajv = new Ajv({ allErrors: true, validateFormats: false, strict: false, validateSchema: false });
  const validate = ajv.compile(schema);
  return (value) =>
    validate(value)
      ? []
      : ((validate.errors ?? []) as SchemaError[]).map(
          (e) => `${e.instancePath ?? ''} ${e.message ?? ''} ${JSON.stringify(e.params)}`,
        );
}

const checkCompose = checker(readJson('compose-spec.json'));

/**
 * The Kubernetes definitions made strict, as `kubeconform -strict` does: the API server drops a
 * field it does not know (a misspelt `replica:`) without a word, so a key not in the schema is an
 * error here.
 */
function strict(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strict);
  if (node === null || typeof node !== 'object') return node;
  const object = Object.fromEntries(Object.entries(node).map(([key, value]) => [key, strict(value)]));
  if ('properties' in object && !('additionalProperties' in object)) object.additionalProperties = false;
  return object;
}

const kubernetes = strict(readJson('kubernetes-1.36.json')) as {
  definitions: Record<
    string,
    { 'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string }[] }
  >;
};

/** The check of one Kubernetes object, chosen by its apiVersion and kind. */
function checkKubernetes(object: { apiVersion?: string; kind?: string }): string[] {
  const [group, version] = object.apiVersion?.includes('/')
    ? object.apiVersion.split('/')
    : ['', object.apiVersion];
  const name = Object.keys(kubernetes.definitions).find((key) =>
    kubernetes.definitions[key]!['x-kubernetes-group-version-kind']?.some(
      (gvk) => gvk.group === group && gvk.version === version && gvk.kind === object.kind,
    ),
  );
  if (name === undefined)
    return [`no schema for ${object.apiVersion} ${object.kind} in schemas/kubernetes-1.36.json`];
  return checker({ ...kubernetes, $ref: `#/definitions/${name}` })(object);
}

const composeFiles = fs.readdirSync(DEPLOY).filter((file) => /^docker-compose.*\.ya?ml$/.test(file));
const composeOf = (file: string): Record<string, unknown> =>
  parse(fs.readFileSync(path.join(DEPLOY, file), 'utf8'), { merge: true }) as Record<string, unknown>;

const manifestFiles = fs
  .readdirSync(path.join(DEPLOY, 'kubernetes'))
  .filter((file) => file.endsWith('.yaml'));
const objectsOf = (file: string): { apiVersion?: string; kind?: string; metadata?: { name?: string } }[] =>
  parseAllDocuments(fs.readFileSync(path.join(DEPLOY, 'kubernetes', file), 'utf8'))
    .map((document) => document.toJS() as { apiVersion?: string; kind?: string } | null)
    .filter((object) => object !== null);

describe('deploy files against their schemas', () => {
  it('finds the files to check', () => {
    expect(composeFiles).toEqual(expect.arrayContaining(['docker-compose.yml', 'docker-compose.scale.yml']));
    expect(manifestFiles.length).toBeGreaterThanOrEqual(2);
  });

  it.each(composeFiles)('%s is valid under the Compose Specification schema', (file) => {
    expect(checkCompose(composeOf(file))).toEqual([]);
  });

  it('a compose file with a planted error fails, naming it', () => {
    const compose = composeOf('docker-compose.yml') as { services: Record<string, Record<string, unknown>> };
    const [name, service] = Object.entries(compose.services)[0]!;
    service.restart_policy = 'always'; // not a Compose key (restart: is)
    const errors = checkCompose(compose).join('\n');
    expect(errors).toContain(name);
    expect(errors).toContain('restart_policy');
  });

  it.each(manifestFiles)('kubernetes/%s: every object is valid under the Kubernetes 1.36 schema', (file) => {
    const objects = objectsOf(file);
    expect(objects.length).toBeGreaterThan(0);
    for (const object of objects) {
      expect(checkKubernetes(object), `${object.kind} ${object.metadata?.name}`).toEqual([]);
    }
  });

  it('a manifest with a planted error fails, naming it', () => {
    const deployment = manifestFiles.flatMap(objectsOf).find((object) => object.kind === 'Deployment') as {
      kind: string;
      spec: Record<string, unknown>;
    };
    expect(checkKubernetes(deployment)).toEqual([]);
    const { replicas, ...rest } = deployment.spec;
    deployment.spec = { ...rest, replica: replicas ?? 1 }; // misspelt: the API server would drop it silently
    expect(checkKubernetes(deployment).join('\n')).toContain('replica');
    deployment.spec = { ...rest, replicas: 'two' };
    expect(checkKubernetes(deployment).join('\n')).toMatch(/spec.replicas.*integer/);
  });
});
