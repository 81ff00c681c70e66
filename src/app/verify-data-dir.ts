import * as fs from 'node:fs';
import * as path from 'node:path';
import { hashStoredCopy } from '../artifacts/hash-stored-copy.js';
import { ARTIFACT_STORE_DIR, resolveStoredArtifact } from '../artifacts/stored-artifact-path.js';
import type { IntegrityProblem, VerifyReport } from '../core/integrity-problems.js';
import { findOrphans } from '../core/interruption.js';
import type { ExecutionOwner } from '../core/model.js';
import type { StoreMaintenance } from '../store/maintenance.js';
import type { StoreConsistency } from '../store/snapshots.js';

/** More log breaks than this say nothing more: the log table needs a restore either way. */
const MAX_LOG_BREAKS = 100;

export interface VerifyDeps {
  dataDir: string;
  consistency: StoreConsistency;
  maintenance?: Pick<StoreMaintenance, 'integrityCheck'>;
  isOwnerAlive: (owner: ExecutionOwner) => boolean;
  /** Crash recovery (`ExecutionStore.recoverInterrupted`): ends dead owners' runs; returns their ids. */
  recoverInterrupted: () => Promise<string[]>;
}

/**
 * `stepflow verify` and `GET /api/health/integrity` (docs/OPERATIONS.md): the database's own check,
 * then StepFlow's — artifact copies against their rows, files no row names, log seqs that do not
 * follow, open runs nobody will end. With `repair`, fixes what is safe: orphan files removed, a
 * missing copy's row marked failed, dead owners' runs ended as crash recovery ends them.
 */
export async function verifyDataDir(
  deps: VerifyDeps,
  { repair = false }: { repair?: boolean } = {},
): Promise<VerifyReport> {
  const started = performance.now();
  const checkedAt = new Date().toISOString();
  const problems: IntegrityProblem[] = [];

  const database = await deps.maintenance?.integrityCheck();
  for (const text of database?.problems ?? []) {
    problems.push({ code: 'database_damaged', message: text, repair: null });
  }

  const artifacts = await deps.consistency.storedArtifacts();
  let artifactBytes = 0;
  for (const artifact of artifacts) {
    const where = { executionId: artifact.executionId, path: artifact.storedPath };
    let found: { size: number; sha256: string };
    try {
      found = await hashStoredCopy(resolveStoredArtifact(deps.dataDir, artifact.storedPath));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      problems.push({
        code: 'artifact_missing',
        message: `artifact ${artifact.artifactId} of ${artifact.executionId}: ${artifact.storedPath} is not in the data dir`,
        ...where,
        repair: 'mark the artifact failed (file missing), so downloads say so instead of failing',
      });
      continue;
    }
    artifactBytes += found.size;
    if (artifact.size !== null && found.size !== artifact.size) {
      problems.push({
        code: 'artifact_size_mismatch',
        message: `${artifact.storedPath} has ${found.size} bytes, its row says ${artifact.size}`,
        ...where,
        repair: null,
      });
    } else if (artifact.sha256 !== null && found.sha256 !== artifact.sha256) {
      problems.push({
        code: 'artifact_hash_mismatch',
        message: `${artifact.storedPath} has SHA-256 ${found.sha256}, its row says ${artifact.sha256}`,
        ...where,
        repair: null,
      });
    }
  }

  const open = await deps.consistency.openExecutions();
  const openIds = new Set(open.map((execution) => execution.id));
  const named = new Set(artifacts.map((artifact) => artifact.storedPath));
  for (const orphan of orphanFiles(deps.dataDir, named, openIds)) {
    problems.push({
      code: 'orphan_artifact_file',
      message: `${orphan} is in the artifacts folder, and no artifact of an ended run names it`,
      path: orphan,
      repair: 'remove the file',
    });
  }

  for (const gap of await deps.consistency.logSequenceBreaks(MAX_LOG_BREAKS)) {
    const lines =
      gap.kind === 'gap'
        ? `lines ${gap.previousEnd + 1}–${gap.nextStart - 1} are missing`
        : `lines ${gap.nextStart}–${gap.previousEnd} are stored twice`;
    problems.push({
      code: gap.kind === 'gap' ? 'log_gap' : 'log_overlap',
      message: `the log of ${gap.executionId}: ${lines}`,
      executionId: gap.executionId,
      repair: null,
    });
  }

  for (const { execution, error } of findOrphans(open, deps.isOwnerAlive)) {
    problems.push({
      code: 'run_without_owner',
      message: `${execution.id} is still open, but ${error}`,
      executionId: execution.id,
      repair: 'end it as crash recovery does (interrupted, at its last sign of life)',
    });
  }

  if (repair) await applyRepairs(deps, problems);
  return {
    ok: problems.every((problem) => problem.repaired === true),
    checkedAt,
    durationMs: Math.round(performance.now() - started),
    checked: { artifacts: artifacts.length, artifactBytes, openRuns: open.length },
    problems,
    repair,
  };
}

async function applyRepairs(deps: VerifyDeps, problems: IntegrityProblem[]): Promise<void> {
  for (const problem of problems) {
    if (problem.repair === null) continue;
    if (problem.code === 'artifact_missing' && problem.executionId && problem.path) {
      const artifactId = Number(problem.path.split('/')[2]);
      await deps.consistency.markArtifactMissing(
        problem.executionId,
        artifactId,
        `file missing: ${problem.path} was not in the data dir (stepflow verify --repair)`,
      );
      problem.repaired = true;
    } else if (problem.code === 'orphan_artifact_file' && problem.path) {
      fs.rmSync(path.join(deps.dataDir, ...problem.path.split('/')), { recursive: true, force: true });
      problem.repaired = true;
    }
  }
  const withoutOwner = problems.filter((problem) => problem.code === 'run_without_owner');
  if (withoutOwner.length === 0) return;
  // Recovery re-checks each owner inside its transaction: a run ended meanwhile is left alone.
  const ended = new Set(await deps.recoverInterrupted());
  for (const problem of withoutOwner) problem.repaired = ended.has(problem.executionId ?? '');
}

/**
 * Entries of `artifacts/<executionId>/<artifactId>/` that no row names, outside open runs (whose
 * copies may be written before their rows are committed). Relative to the data dir, `/`-separated.
 */
function orphanFiles(dataDir: string, named: ReadonlySet<string>, openIds: ReadonlySet<string>): string[] {
  const found: string[] = [];
  const list = (relative: string): fs.Dirent[] => {
    try {
      return fs.readdirSync(path.join(dataDir, ...relative.split('/')), { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []; // no artifacts yet
      throw error;
    }
  };
  for (const run of list(ARTIFACT_STORE_DIR)) {
    const runPath = `${ARTIFACT_STORE_DIR}/${run.name}`;
    if (openIds.has(run.name)) continue;
    if (!run.isDirectory()) {
      found.push(runPath);
      continue;
    }
    for (const artifact of list(runPath)) {
      const artifactPath = `${runPath}/${artifact.name}`;
      if (!artifact.isDirectory()) {
        found.push(artifactPath);
        continue;
      }
      for (const copy of list(artifactPath)) {
        const copyPath = `${artifactPath}/${copy.name}`;
        if (!named.has(copyPath)) found.push(copyPath);
      }
    }
  }
  return found;
}
