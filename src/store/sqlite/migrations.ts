import type Database from 'better-sqlite3';
import { ERROR_CODES, StepflowError } from '../../core/errors.js';

/**
 * The schema, as an append-only list: step N brings `user_version` from N to N+1. Never edit a
 * step that has shipped; add one.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE executions (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    command TEXT NOT NULL,
    argv TEXT,
    cwd TEXT NOT NULL,
    tags TEXT NOT NULL,
    status TEXT NOT NULL,
    exit_code INTEGER,
    signal TEXT,
    error TEXT,
    created_at TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    started_at TEXT,
    ended_at TEXT,
    duration_ms INTEGER,
    timeout_seconds REAL,
    meta TEXT NOT NULL,
    owner_host TEXT,
    owner_pid INTEGER,
    owner_start_time INTEGER,
    line_count INTEGER NOT NULL,
    resources TEXT,
    run_spec TEXT NOT NULL
  );
  CREATE INDEX executions_status ON executions (status, id);
  CREATE INDEX executions_created ON executions (created_ms);

  CREATE TABLE execution_tags (
    execution_id TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (execution_id, key)
  ) WITHOUT ROWID;
  CREATE INDEX execution_tags_key_value ON execution_tags (key, value);

  CREATE TABLE steps (
    execution_id TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    id INTEGER NOT NULL,
    parent_id INTEGER,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    duration_ms INTEGER,
    meta TEXT NOT NULL,
    implicit INTEGER NOT NULL,
    source TEXT NOT NULL,
    error TEXT,
    estimated_duration_seconds REAL,
    first_seq INTEGER NOT NULL,
    PRIMARY KEY (execution_id, id)
  ) WITHOUT ROWID;

  CREATE TABLE artifacts (
    execution_id TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    id INTEGER NOT NULL,
    step_id INTEGER,
    path TEXT NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    kind TEXT,
    size INTEGER,
    sha256 TEXT,
    media_type TEXT,
    created_at TEXT NOT NULL,
    stored_path TEXT,
    PRIMARY KEY (execution_id, id)
  ) WITHOUT ROWID;

  CREATE TABLE annotations (
    execution_id TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    id INTEGER NOT NULL,
    step_id INTEGER,
    seq INTEGER NOT NULL,
    level TEXT NOT NULL,
    message TEXT NOT NULL,
    title TEXT,
    file TEXT,
    line INTEGER,
    col INTEGER,
    end_line INTEGER,
    end_col INTEGER,
    PRIMARY KEY (execution_id, id)
  ) WITHOUT ROWID;

  CREATE TABLE resource_samples (
    execution_id TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    ts INTEGER NOT NULL,
    cpu_percent REAL NOT NULL,
    memory_bytes INTEGER NOT NULL,
    process_count INTEGER NOT NULL,
    PRIMARY KEY (execution_id, ts)
  ) WITHOUT ROWID;

  -- One row per run of consecutive lines of one execution with the same stream and step.
  -- text: the lines joined by '\\n'. ts_deltas: null when every line has ts_start, else the
  -- per-line differences from the previous line's ts, comma-separated (first line omitted).
  -- flags: null when every line has 0, else 'index:flags' pairs, comma-separated.
  -- A rowid table (not WITHOUT ROWID) because rows are large: the text lives in overflow pages.
  CREATE TABLE log_chunks (
    execution_id TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    seq_start INTEGER NOT NULL,
    seq_end INTEGER NOT NULL,
    ts_start INTEGER NOT NULL,
    stream TEXT NOT NULL,
    step_id INTEGER,
    ts_deltas TEXT,
    flags TEXT,
    text TEXT NOT NULL
  );
  CREATE UNIQUE INDEX log_chunks_seq ON log_chunks (execution_id, seq_start);
  `,
  // Jobs and schedules (docs/JOBS.md). An execution started by a job keeps a link to it.
  `
  ALTER TABLE executions ADD COLUMN job_id TEXT;
  ALTER TABLE executions ADD COLUMN attempt INTEGER;
  ALTER TABLE executions ADD COLUMN retry_of_id TEXT;
  ALTER TABLE executions ADD COLUMN scheduled_at TEXT;
  CREATE INDEX executions_job ON executions (job_id, id) WHERE job_id IS NOT NULL;

  -- definition: the JSON of everything but the name, the enabled flag and the triggers.
  CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    enabled INTEGER NOT NULL,
    definition TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );

  -- next_fire_ms: the fire time the scheduler waits for; one in the past at start-up was missed.
  CREATE TABLE job_triggers (
    id TEXT PRIMARY KEY,
    job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    spec TEXT NOT NULL,
    anchor_ms INTEGER NOT NULL,
    next_fire_ms INTEGER
  );
  CREATE INDEX job_triggers_job ON job_triggers (job_id, position);

  -- One row per fire time of a trigger (trigger_id NULL: a manual run). The unique key is what makes
  -- each fire start at most one execution, also across restarts and concurrent schedulers.
  CREATE TABLE job_fires (
    id INTEGER PRIMARY KEY,
    job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    trigger_id TEXT,
    fire_ms INTEGER NOT NULL,
    fire_time TEXT NOT NULL,
    outcome TEXT NOT NULL,
    reason TEXT,
    execution_id TEXT,
    count INTEGER NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE UNIQUE INDEX job_fires_once ON job_fires (trigger_id, fire_ms);
  CREATE INDEX job_fires_job ON job_fires (job_id, id);

  -- One row per attempt at delivering a webhook call.
  CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY,
    job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    delivery_id TEXT NOT NULL,
    url TEXT NOT NULL,
    event TEXT NOT NULL,
    execution_id TEXT,
    attempt INTEGER NOT NULL,
    status_code INTEGER,
    ok INTEGER NOT NULL,
    error TEXT,
    sent_at TEXT NOT NULL,
    duration_ms INTEGER NOT NULL
  );
  CREATE INDEX webhook_deliveries_job ON webhook_deliveries (job_id, id);
  `,
  // Running late by step percentile (a job option), and retries that survive a restart.
  `
  ALTER TABLE jobs ADD COLUMN late_by_p95 INTEGER NOT NULL DEFAULT 0;

  -- A retry waiting for its delay. The key is the failed attempt: the scheduler that deletes the
  -- row is the one that starts the retry, so it runs once, also across restarts.
  CREATE TABLE job_pending_retries (
    failed_execution_id TEXT PRIMARY KEY,
    job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    failed_status TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    due_ms INTEGER NOT NULL,
    scheduled_at TEXT,
    created_at TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX job_pending_retries_job ON job_pending_retries (job_id);
  `,
  // The owner's heartbeat: when the process running an open execution last said it was alive. An
  // interrupted run ends at its owner's last sign of life, not when the crash was noticed.
  `
  ALTER TABLE executions ADD COLUMN owner_seen_at TEXT;
  `,
  // Cancel from anywhere: a process that does not own a run records the request; the owner polls
  // for requests on its open runs. The index holds only open runs with a request, so it stays tiny.
  `
  ALTER TABLE executions ADD COLUMN cancel_requested_at TEXT;
  CREATE INDEX executions_cancel_requested ON executions (owner_pid, owner_host, owner_start_time, id)
    WHERE cancel_requested_at IS NOT NULL AND status IN ('queued', 'running');
  `,
  // Re-runs link back to what they re-run (set once, at creation); a run's page lists its re-runs.
  `
  ALTER TABLE executions ADD COLUMN rerun_of TEXT;
  ALTER TABLE executions ADD COLUMN resume_from TEXT;
  CREATE INDEX executions_rerun_of ON executions (rerun_of, id) WHERE rerun_of IS NOT NULL;
  `,
  // Progress and trends: an ad-hoc run's own late threshold (a job run's is copied from its job, set
  // once at creation), and the newest runs of one name (a step's trend over runs that are no job's).
  `
  ALTER TABLE executions ADD COLUMN late_after_seconds REAL;
  CREATE INDEX executions_name ON executions (name, id);
  `,
  // Step summaries and outputs ($STEPFLOW_STEP_SUMMARY, $STEPFLOW_OUTPUT): the run's outputs
  // (small, bounded: a JSON object) on the execution; the summaries' Markdown (up to 1 MiB each) in
  // a table of its own, so that the execution and step rows listings and the live tail read stay
  // small. step_id 0 holds the run's whole summary (steps are numbered from 1).
  `
  ALTER TABLE executions ADD COLUMN outputs TEXT;
  CREATE TABLE summaries (
    execution_id TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    step_id INTEGER NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (execution_id, step_id)
  );
  `,
  // Resource limits (docs/LIMITS.md): what a run is limited to and which limits triggered, as JSON.
  `
  ALTER TABLE executions ADD COLUMN limits TEXT;
  ALTER TABLE executions ADD COLUMN limit_hits TEXT;
  `,
  // Workers (docs/WORKERS.md): a run for workers has runs_on (a JSON array of labels, maybe empty);
  // a claim sets worker_name and worker_attempt, and the lease runs from owner_seen_at (renewed by
  // the worker's heartbeats). The partial indexes hold only what claims and the lease sweep look
  // at: queued runs for workers, and claimed open runs.
  `
  ALTER TABLE executions ADD COLUMN runs_on TEXT;
  ALTER TABLE executions ADD COLUMN worker_name TEXT;
  ALTER TABLE executions ADD COLUMN worker_attempt INTEGER;
  CREATE INDEX executions_for_workers ON executions (id)
    WHERE status = 'queued' AND runs_on IS NOT NULL;
  CREATE INDEX executions_claimed ON executions (worker_name, id)
    WHERE worker_name IS NOT NULL AND status IN ('queued', 'running');
  CREATE TABLE workers (
    name TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    labels TEXT NOT NULL,
    slots INTEGER NOT NULL,
    version TEXT NOT NULL,
    started_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
  // Retention (docs/RETENTION.md): a pinned run never expires; logs_expired_at says when its log
  // text was dropped (the record, steps and line_count stay). Artifacts gain the status 'expired'.
  `
  ALTER TABLE executions ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE executions ADD COLUMN logs_expired_at TEXT;
  `,
  // A job's runsOn (a JSON array of labels, '[]': none) and retryOnLost (docs/JOBS.md): columns
  // with defaults, so jobs saved before read as running on the server and not retried when lost.
  `
  ALTER TABLE jobs ADD COLUMN runs_on TEXT NOT NULL DEFAULT '[]';
  ALTER TABLE jobs ADD COLUMN retry_on_lost INTEGER NOT NULL DEFAULT 0;
  `,
  // Users and server-side sessions (docs/USERS.md). A session row holds the SHA-256 of its token,
  // never the token; it goes with its user.
  `
  CREATE TABLE users (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    password_hash TEXT,
    created_at TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0
  ) WITHOUT ROWID;
  CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    idle_expires_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
  ) WITHOUT ROWID;
  CREATE INDEX sessions_user ON sessions (user_id);
  `,
  // Secrets at rest (docs/SECRETS.md): the id of the key every stored secret is sealed under,
  // written by the first start that sealed an older version's clear text and by each rotation.
  `
  CREATE TABLE secret_keys (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    key_id TEXT NOT NULL,
    sealed_at TEXT NOT NULL
  );
  `,
  // Users' single sign-on identities (docs/USERS.md, OIDC): the provider's issuer and subject,
  // never reassigned by it, so a rename at the provider finds the same user. Goes with its user.
  `
  CREATE TABLE user_identities (
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    PRIMARY KEY (issuer, subject)
  ) WITHOUT ROWID;
  CREATE INDEX user_identities_user ON user_identities (user_id);
  `,
  // Users' API tokens (docs/USERS.md): the SHA-256 of the secret, never the secret; a name is
  // unique among a user's tokens that are not revoked. They go with their user.
  `
  CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    last_used_at TEXT,
    revoked_at TEXT
  ) WITHOUT ROWID;
  CREATE UNIQUE INDEX api_tokens_user_name ON api_tokens (user_id, name) WHERE revoked_at IS NULL;
  `,
  // The audit log (docs/AUDIT.md): append-only, the rowid is the keyset cursor (newest first);
  // indexes for the filters a reader uses most (who, what object, when).
  // Runs say who started them (created_by: a user name, job:<name>, local…; null before this step).
  `
  CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    token TEXT,
    ip TEXT,
    via TEXT NOT NULL,
    action TEXT NOT NULL,
    object_kind TEXT NOT NULL,
    object_id TEXT,
    outcome TEXT NOT NULL,
    error_code TEXT
  );
  CREATE INDEX audit_log_actor ON audit_log (actor, id);
  CREATE INDEX audit_log_object ON audit_log (object_kind, object_id, id);
  CREATE INDEX audit_log_at ON audit_log (at);
  ALTER TABLE executions ADD COLUMN created_by TEXT;
  `,
  // Saved pipelines (docs/PIPELINES.md): the YAML text as given, keyed by the name it gives.
  `
  CREATE TABLE saved_pipelines (
    name TEXT PRIMARY KEY,
    yaml TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
  // Pipeline runs (docs/PIPELINES-RUNNING.md): the run and its nodes saved whole by the orchestrator
  // (definition and nodes as JSON text); ids are ULIDs, so newest first is by id.
  `
  CREATE TABLE pipeline_runs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    started_at TEXT,
    ended_at TEXT,
    created_by TEXT,
    rerun_of TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    definition TEXT NOT NULL,
    nodes TEXT NOT NULL
  );
  CREATE INDEX pipeline_runs_name ON pipeline_runs (name, id);
  CREATE INDEX pipeline_runs_status ON pipeline_runs (status, id);
  `,
  // The host monitor (docs/DASHBOARD.md): each worker's latest machine sample, JSON, from its
  // heartbeat; every replica reads it, so a worker shows wherever its heartbeats went.
  `
  ALTER TABLE workers ADD COLUMN host_sample TEXT;
  `,
  // Workspace settings (one document) and Python environments (docs/WORKSPACE-ENVIRONMENTS.md).
  `
  CREATE TABLE settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    document TEXT NOT NULL
  );
  CREATE TABLE environments (
    name TEXT PRIMARY KEY,
    interpreter TEXT NOT NULL,
    requirements TEXT NOT NULL,
    state TEXT NOT NULL,
    generation INTEGER NOT NULL,
    last_build_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  `,
  // Projects (docs/WORKSPACE.md): the records; the files live under <dataDir>/projects/<id>/.
  // next_version only grows, so a number is never reused after old versions are dropped. A run
  // in a project names it and its version (project: JSON {name, version}; null for other runs).
  `
  CREATE TABLE projects (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    current_version INTEGER NOT NULL,
    next_version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE project_versions (
    project_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT,
    source TEXT NOT NULL,
    note TEXT,
    files INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    PRIMARY KEY (project_id, version)
  ) WITHOUT ROWID;
  ALTER TABLE executions ADD COLUMN project TEXT;
  `,
  // Pipeline jobs (docs/JOBS.md): the job whose fire started a pipeline run (its link as JSON, its
  // id again for the overlap count and ?job= listing); null for runs started by hand. And the
  // process driving the run (JSON owner), so a run whose driver died can be told from one going on.
  `
  ALTER TABLE pipeline_runs ADD COLUMN job_id TEXT;
  ALTER TABLE pipeline_runs ADD COLUMN job TEXT;
  ALTER TABLE pipeline_runs ADD COLUMN driver TEXT;
  CREATE INDEX pipeline_runs_job ON pipeline_runs (job_id, id) WHERE job_id IS NOT NULL;
  `,
  // Packed log text (docs/PERFORMANCE.md, "Storage per line"): a chunk's text as Brotli bytes in
  // text_z, its UTF-8 size in text_bytes (what retention reports freed), with text '' — or text as
  // is and both null (chunks under 512 characters, text that does not shrink, runs not packed yet).
  // Readers decode with chunkText (log-text-packing.ts). Ended runs are packed when the store is
  // idle (log-packer.ts); logs_packed marks the runs done, the index finds the others.
  `
  ALTER TABLE log_chunks ADD COLUMN text_z BLOB;
  ALTER TABLE log_chunks ADD COLUMN text_bytes INTEGER;
  ALTER TABLE executions ADD COLUMN logs_packed INTEGER NOT NULL DEFAULT 0;
  CREATE INDEX executions_logs_to_pack ON executions (id) WHERE logs_packed = 0;
  `,
];

/**
 * Brings the schema to the latest version. Safe when several processes open a new data dir at
 * once: the version is re-read under BEGIN IMMEDIATE, so only the first one applies the steps.
 */
export function runMigrations(db: Database.Database): void {
  const target = MIGRATIONS.length;
  if (readVersion(db) === target) return;
  db.exec('BEGIN IMMEDIATE');
  try {
    const current = readVersion(db);
    if (current > target) {
      throw new StepflowError(
        ERROR_CODES.STORE_UNAVAILABLE,
        `the database has schema version ${current}, newer than this StepFlow supports (${target}); upgrade StepFlow`,
      );
    }
    for (let version = current; version < target; version++) {
      db.exec(MIGRATIONS[version] ?? '');
    }
    db.pragma(`user_version = ${target}`);
    db.exec('COMMIT');
  } catch (error) {
    // Undo a partial migration, then let the caller report the original error.
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

function readVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}
