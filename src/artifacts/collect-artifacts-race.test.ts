import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useTempDirs } from '../../test/helpers/temp-dir.js';
import type { Artifact } from '../core/model.js';
import { collectArtifacts } from './collect-artifacts.js';
import { resolveStoredArtifact } from './stored-artifact-path.js';

// A hostile script keeps exchanging `real` (a directory holding a harmless `passwd`) with a
// symlink leading outside while StepFlow collects through it. A collector that checks the path
// and then opens it by name copies whatever `real` is at the moment of the open: the code before
// the fix stored the outside file in 5-10 % of the tries of each case (over half for a directory),
// dozens of times per run. Each case runs for a few seconds.
const SWAPPER = fileURLToPath(
  new URL('../../test/fixtures/artifacts/swap-dir-with-symlink.py', import.meta.url),
);
const RACE_MS = 2_500;
const MAX_TRIES = 3_000;
const HARMLESS = 'harmless decoy\n';

const tempDir = useTempDirs();
let work: string;
let data: string;
let outside: string;
let swapper: ChildProcess | undefined;

beforeEach(() => {
  const root = tempDir();
  work = path.join(root, 'work');
  data = path.join(root, 'data');
  outside = path.join(root, 'outside');
  for (const dir of [work, data, outside, path.join(work, 'real')]) fs.mkdirSync(dir);
  fs.writeFileSync(path.join(work, 'real', 'passwd'), HARMLESS);
  fs.writeFileSync(path.join(outside, 'passwd'), 'outside secret\n');
  // Only its name can show that a listing was taken from outside.
  fs.writeFileSync(path.join(outside, 'outside-only.txt'), 'outside secret\n');
});

afterEach(async () => {
  // Stopped before the temp dir goes, or it would keep renaming inside a directory being removed.
  if (swapper !== undefined && swapper.exitCode === null && swapper.signalCode === null) {
    const exited = new Promise((resolve) => swapper?.once('exit', resolve));
    swapper.kill('SIGKILL');
    await exited;
  }
  swapper = undefined;
});

async function startSwapping(linkTarget: string): Promise<void> {
  const child = spawn('python3', [SWAPPER, work, linkTarget], { stdio: ['ignore', 'pipe', 'inherit'] });
  swapper = child;
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the swapper exited early (${String(code)})`)));
  });
}

interface RaceOutcome {
  tries: number;
  /**
   * Stored copies (files, or files inside a stored directory) holding the forbidden content, and
   * artifacts or copies named after what only the outside directory holds.
   */
  leaked: string[];
  harmlessStored: number;
  refused: Map<string, number>;
}

/** Collects `pattern` again and again while the swapper runs, and reads back every stored copy. */
async function race(pattern: string, forbidden: Buffer): Promise<RaceOutcome> {
  const outcome: RaceOutcome = { tries: 0, leaked: [], harmlessStored: 0, refused: new Map() };
  let lastId = 0;
  const deadline = Date.now() + RACE_MS;
  while (Date.now() < deadline && outcome.tries < MAX_TRIES) {
    outcome.tries += 1;
    const artifacts = await collectArtifacts({
      dataDir: data,
      executionId: 'RACE',
      cwd: work,
      pattern,
      description: '',
      stepId: null,
      nextId: () => ++lastId,
    });
    for (const artifact of artifacts) tally(outcome, artifact, forbidden);
    fs.rmSync(path.join(data, 'artifacts'), { recursive: true, force: true });
  }
  return outcome;
}

function tally(outcome: RaceOutcome, artifact: Artifact, forbidden: Buffer): void {
  if (artifact.path.includes('outside-only')) outcome.leaked.push(artifact.path);
  if (artifact.storedPath === null) {
    const reason = artifact.error ?? '';
    outcome.refused.set(reason, (outcome.refused.get(reason) ?? 0) + 1);
    return;
  }
  const copy = resolveStoredArtifact(data, artifact.storedPath);
  const files = artifact.kind === 'directory' ? filesUnder(copy) : [copy];
  let harmless = false;
  for (const file of files) {
    const content = fs.readFileSync(file);
    if (content.equals(forbidden) || file.includes('outside-only'))
      outcome.leaked.push(path.relative(data, file));
    harmless ||= content.toString() === HARMLESS;
  }
  if (harmless) outcome.harmlessStored += 1;
}

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/** Nothing from outside was stored, and the race really ran: both states of `real` were met. */
function expectNoLeak(outcome: RaceOutcome): void {
  const summary = { tries: outcome.tries, refused: Object.fromEntries(outcome.refused) };
  expect({ leaked: outcome.leaked.slice(0, 5), ...summary }).toEqual({ leaked: [], ...summary });
  expect(outcome.harmlessStored).toBeGreaterThan(0);
  expect(outcome.refused.size).toBeGreaterThan(0);
}

describe('collectArtifacts: a script swapping a directory with a symlink during collection', () => {
  it('never stores /etc/passwd for ARTIFACT:real/passwd', async () => {
    await startSwapping('/etc');

    const outcome = await race('real/passwd', fs.readFileSync('/etc/passwd'));

    expectNoLeak(outcome);
  }, 30_000);

  it('never stores a file from outside, nor lists one, for a glob through the swapped directory', async () => {
    await startSwapping(outside);

    const outcome = await race('real/*', fs.readFileSync(path.join(outside, 'passwd')));

    expectNoLeak(outcome);
  }, 30_000);

  it('never copies a file from outside into a directory artifact walked through it', async () => {
    await startSwapping(outside);

    const outcome = await race('.', fs.readFileSync(path.join(outside, 'passwd')));

    expectNoLeak(outcome);
  }, 30_000);
});
