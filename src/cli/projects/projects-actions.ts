import { readFile } from 'node:fs/promises';
import { ERROR_CODES, StepflowError } from '../../core/errors.js';
import type { ProjectJson, ProjectVersionJson } from '../../protocol/project-schemas.js';
import { colorsFor, printable, table } from '../format.js';
import { requestJson, resolveServer } from '../jobs/jobs-api-client.js';

export interface ConnectionOptions {
  server?: string;
  token?: string;
  json?: boolean;
}

const out = (text: string) => void process.stdout.write(text);
const printJson = (value: unknown) => out(`${JSON.stringify(value, null, 2)}\n`);
const at = (name: string) => `/api/projects/${encodeURIComponent(name)}`;
/** An upload may take a while on a slow link; the server stops it past its own size limit. */
const UPLOAD_TIMEOUT_MS = 10 * 60_000;

export async function listProjects(options: ConnectionOptions): Promise<number> {
  const { projects } = await requestJson<{ projects: ProjectJson[] }>(
    resolveServer(options),
    'GET',
    '/api/projects',
  );
  if (options.json) {
    printJson(projects);
    return 0;
  }
  if (projects.length === 0) {
    out('No projects yet. Create one with: stepflow projects create NAME --from project.zip\n');
    return 0;
  }
  const c = colorsFor(process.stdout);
  const rows = projects.map((p) => [printable(p.name), String(p.currentVersion), p.updatedAt]);
  out(table([['NAME', 'VERSION', 'UPDATED'].map((h) => c.dim(h)), ...rows]));
  return 0;
}

/** `create NAME [--from file]`: an empty project, or one whose version 2 is the archive (removed again if refused). */
export async function createProject(
  name: string,
  options: ConnectionOptions & { from?: string },
): Promise<number> {
  const target = resolveServer(options);
  const archive = options.from === undefined ? undefined : await readArchive(options.from);
  const project = await requestJson<ProjectJson>(target, 'POST', '/api/projects', { name });
  if (archive === undefined) {
    if (options.json) printJson(project);
    else out(`created project ${printable(project.name)} (empty: upload an archive to fill it)\n`);
    return 0;
  }
  let version: ProjectVersionJson;
  try {
    version = await requestJson<ProjectVersionJson>(target, 'POST', `${at(name)}/versions`, archive.bytes, {
      contentType: archive.contentType,
      timeoutMs: UPLOAD_TIMEOUT_MS,
    });
  } catch (error) {
    // The archive was refused: leave nothing half made behind, then say why.
    await requestJson(target, 'DELETE', at(name)).catch(() => undefined);
    throw error;
  }
  if (options.json) printJson(version);
  else out(`created project ${printable(name)}: version ${version.version}, ${describe(version)}\n`);
  return 0;
}

export async function uploadProject(name: string, file: string, options: ConnectionOptions): Promise<number> {
  const archive = await readArchive(file);
  const version = await requestJson<ProjectVersionJson>(
    resolveServer(options),
    'POST',
    `${at(name)}/versions`,
    archive.bytes,
    { contentType: archive.contentType, timeoutMs: UPLOAD_TIMEOUT_MS },
  );
  if (options.json) printJson(version);
  else out(`uploaded ${printable(name)} version ${version.version} (now current), ${describe(version)}\n`);
  return 0;
}

export async function listVersions(name: string, options: ConnectionOptions): Promise<number> {
  const target = resolveServer(options);
  const project = await requestJson<ProjectJson>(target, 'GET', at(name));
  const { versions } = await requestJson<{ versions: ProjectVersionJson[] }>(
    target,
    'GET',
    `${at(name)}/versions`,
  );
  if (options.json) {
    printJson(versions);
    return 0;
  }
  const c = colorsFor(process.stdout);
  const rows = versions.map((v) => [
    `${v.version}${v.version === project.currentVersion ? c.green(' (current)') : ''}`,
    v.createdAt,
    printable(v.createdBy ?? '—'),
    v.source,
    describe(v),
    printable(v.note ?? ''),
  ]);
  out(table([['VERSION', 'CREATED', 'BY', 'SOURCE', 'SIZE', 'NOTE'].map((h) => c.dim(h)), ...rows]));
  return 0;
}

export async function rollbackProject(
  name: string,
  version: string,
  options: ConnectionOptions,
): Promise<number> {
  const number = Number(version);
  if (!Number.isInteger(number) || number < 1)
    throw new StepflowError(
      ERROR_CODES.USAGE,
      `rollback expects a version number, got ${JSON.stringify(version)}`,
    );
  const project = await requestJson<ProjectJson>(resolveServer(options), 'POST', `${at(name)}/rollback`, {
    version: number,
  });
  if (options.json) printJson(project);
  else out(`${printable(name)}: version ${project.currentVersion} is current again\n`);
  return 0;
}

export async function removeProject(name: string, options: ConnectionOptions): Promise<number> {
  await requestJson(resolveServer(options), 'DELETE', at(name));
  if (options.json) printJson({ deleted: name });
  else out(`deleted project ${printable(name)} and its versions; its runs stay in the history\n`);
  return 0;
}

const describe = (v: ProjectVersionJson): string => `${v.files} files, ${v.bytes} bytes`;

/** The archive's bytes and the type its name says: `.zip`, or `.tar.gz` / `.tgz`. */
async function readArchive(file: string): Promise<{ bytes: Buffer; contentType: string }> {
  const lower = file.toLowerCase();
  const contentType = lower.endsWith('.zip')
    ? 'application/zip'
    : lower.endsWith('.tar.gz') || lower.endsWith('.tgz')
      ? 'application/gzip'
      : undefined;
  if (contentType === undefined)
    throw new StepflowError(ERROR_CODES.USAGE, `${file}: an archive must be a .zip, .tar.gz or .tgz file`);
  const bytes = await readFile(file).catch((error: unknown) => {
    throw new StepflowError(ERROR_CODES.USAGE, `cannot read ${file}: ${(error as Error).message}`);
  });
  return { bytes, contentType };
}
