import type pg from 'pg';
import { ERROR_CODES, StepflowError } from '../../core/errors.js';

/**
 * The PostgreSQL schema, as an append-only list: step N brings the version recorded in
 * `stepflow_migrations` from N to N+1. Never edit a step that has shipped; add one.
 *
 * Every table of the SQLite schema (`../sqlite/migrations.ts`, all its steps folded into the first
 * one here), with the same columns and the same value types, so that the pure row conversions give
 * identical objects on both backends: timestamps as the same ISO text and epoch-ms integers, flags
 * as 0/1 integers, JSON as text (read back exactly as written; a damaged one is `unreadable`).
 * Differences: integers that may pass 2^31 are `bigint` (read back as numbers, see `open-pool.ts`);
 * log text is `bytea` (the UTF-8 bytes; PostgreSQL text cannot hold NUL); ids, names and ISO times
 * sort by bytes (`COLLATE "C"`) whatever the database's locale, as SQLite's BINARY does.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE executions (
    id text COLLATE "C" PRIMARY KEY,
    name text COLLATE "C" NOT NULL,
    command text NOT NULL,
    argv text,
    cwd text NOT NULL,
    tags text NOT NULL,
    status text COLLATE "C" NOT NULL,
    exit_code integer,
    signal text,
    error text,
    created_at text COLLATE "C" NOT NULL,
    created_ms bigint NOT NULL,
    started_at text COLLATE "C",
    ended_at text COLLATE "C",
    duration_ms bigint,
    timeout_seconds double precision,
    meta text NOT NULL,
    owner_host text COLLATE "C",
    owner_pid bigint,
    owner_start_time bigint,
    line_count bigint NOT NULL,
    resources text,
    run_spec text NOT NULL,
    job_id text COLLATE "C",
    attempt integer,
    retry_of_id text COLLATE "C",
    scheduled_at text COLLATE "C",
    owner_seen_at text COLLATE "C",
    cancel_requested_at text COLLATE "C",
    rerun_of text COLLATE "C",
    resume_from text,
    late_after_seconds double precision,
    outputs text,
    limits text,
    limit_hits text
  );
  CREATE INDEX executions_status ON executions (status, id);
  CREATE INDEX executions_created ON executions (created_ms);
  CREATE INDEX executions_job ON executions (job_id, id) WHERE job_id IS NOT NULL;
  CREATE INDEX executions_cancel_requested ON executions (owner_pid, owner_host, owner_start_time, id)
    WHERE cancel_requested_at IS NOT NULL AND status IN ('queued', 'running');
  CREATE INDEX executions_rerun_of ON executions (rerun_of, id) WHERE rerun_of IS NOT NULL;
  CREATE INDEX executions_name ON executions (name, id);

  CREATE TABLE execution_tags (
    execution_id text COLLATE "C" NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    key text COLLATE "C" NOT NULL,
    value text COLLATE "C" NOT NULL,
    PRIMARY KEY (execution_id, key)
  );
  CREATE INDEX execution_tags_key_value ON execution_tags (key, value);

  CREATE TABLE steps (
    execution_id text COLLATE "C" NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    id integer NOT NULL,
    parent_id integer,
    name text NOT NULL,
    status text NOT NULL,
    started_at text COLLATE "C" NOT NULL,
    ended_at text COLLATE "C",
    duration_ms bigint,
    meta text NOT NULL,
    implicit integer NOT NULL,
    source text NOT NULL,
    error text,
    estimated_duration_seconds double precision,
    first_seq bigint NOT NULL,
    PRIMARY KEY (execution_id, id)
  );

  CREATE TABLE artifacts (
    execution_id text COLLATE "C" NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    id integer NOT NULL,
    step_id integer,
    path text NOT NULL,
    description text NOT NULL,
    status text NOT NULL,
    error text,
    kind text,
    size bigint,
    sha256 text,
    media_type text,
    created_at text COLLATE "C" NOT NULL,
    stored_path text,
    PRIMARY KEY (execution_id, id)
  );

  CREATE TABLE annotations (
    execution_id text COLLATE "C" NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    id integer NOT NULL,
    step_id integer,
    seq bigint NOT NULL,
    level text NOT NULL,
    message text NOT NULL,
    title text,
    file text,
    line integer,
    col integer,
    end_line integer,
    end_col integer,
    PRIMARY KEY (execution_id, id)
  );

  CREATE TABLE resource_samples (
    execution_id text COLLATE "C" NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    ts bigint NOT NULL,
    cpu_percent double precision NOT NULL,
    memory_bytes bigint NOT NULL,
    process_count integer NOT NULL,
    PRIMARY KEY (execution_id, ts)
  );

  -- One row per run of consecutive lines of one execution with the same stream and step, exactly
  -- as in SQLite (../sqlite/log-chunks.ts), except text: the UTF-8 bytes of the lines joined by
  -- '\\n', so NUL and every other character survive as they do there.
  CREATE TABLE log_chunks (
    execution_id text COLLATE "C" NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    seq_start bigint NOT NULL,
    seq_end bigint NOT NULL,
    ts_start bigint NOT NULL,
    stream text NOT NULL,
    step_id integer,
    ts_deltas text,
    flags text,
    text bytea NOT NULL,
    PRIMARY KEY (execution_id, seq_start)
  );

  -- step_id 0 holds the run's whole summary (steps are numbered from 1).
  CREATE TABLE summaries (
    execution_id text COLLATE "C" NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    step_id integer NOT NULL,
    text text NOT NULL,
    PRIMARY KEY (execution_id, step_id)
  );

  -- Jobs and schedules (docs/JOBS.md). definition: the JSON of everything but the name, the
  -- enabled flag, late_by_p95 and the triggers.
  CREATE TABLE jobs (
    id text COLLATE "C" PRIMARY KEY,
    name text COLLATE "C" NOT NULL UNIQUE,
    enabled integer NOT NULL,
    definition text NOT NULL,
    created_at text COLLATE "C" NOT NULL,
    updated_at text COLLATE "C" NOT NULL,
    late_by_p95 integer NOT NULL DEFAULT 0
  );

  -- next_fire_ms: the fire time the scheduler waits for; one in the past at start-up was missed.
  CREATE TABLE job_triggers (
    id text COLLATE "C" PRIMARY KEY,
    job_id text COLLATE "C" NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    position integer NOT NULL,
    spec text NOT NULL,
    anchor_ms bigint NOT NULL,
    next_fire_ms bigint
  );
  CREATE INDEX job_triggers_job ON job_triggers (job_id, position);

  -- One row per fire time of a trigger (trigger_id NULL: a manual run). The unique key is what
  -- makes each fire start at most one execution, also across restarts and concurrent schedulers.
  CREATE TABLE job_fires (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    job_id text COLLATE "C" NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    trigger_id text COLLATE "C",
    fire_ms bigint NOT NULL,
    fire_time text COLLATE "C" NOT NULL,
    outcome text NOT NULL,
    reason text,
    execution_id text COLLATE "C",
    count integer NOT NULL,
    created_at text COLLATE "C" NOT NULL
  );
  CREATE UNIQUE INDEX job_fires_once ON job_fires (trigger_id, fire_ms);
  CREATE INDEX job_fires_job ON job_fires (job_id, id);

  -- One row per attempt at delivering a webhook call.
  CREATE TABLE webhook_deliveries (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    job_id text COLLATE "C" NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    delivery_id text NOT NULL,
    url text NOT NULL,
    event text NOT NULL,
    execution_id text COLLATE "C",
    attempt integer NOT NULL,
    status_code integer,
    ok integer NOT NULL,
    error text,
    sent_at text COLLATE "C" NOT NULL,
    duration_ms bigint NOT NULL
  );
  CREATE INDEX webhook_deliveries_job ON webhook_deliveries (job_id, id);

  -- A retry waiting for its delay. The key is the failed attempt: the scheduler that deletes the
  -- row is the one that starts the retry, so it runs once, also across restarts.
  CREATE TABLE job_pending_retries (
    failed_execution_id text COLLATE "C" PRIMARY KEY,
    job_id text COLLATE "C" NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    failed_status text NOT NULL,
    attempt integer NOT NULL,
    due_ms bigint NOT NULL,
    scheduled_at text COLLATE "C",
    created_at text COLLATE "C" NOT NULL
  );
  CREATE INDEX job_pending_retries_job ON job_pending_retries (job_id);

  -- The change marker (ExecutionStore.changeMarker): bumped once per committed write transaction,
  -- after its commit, so a reader that sees it move also sees the rows.
  CREATE SEQUENCE stepflow_changes;
  `,
  // Workers (docs/WORKERS.md), as SQLite's step "workers": runs_on is a JSON array of labels as text
  // (claims compare it as jsonb); a claim sets worker_name and worker_attempt, and the lease runs
  // from owner_seen_at. The partial indexes hold only what claims and the lease sweep look at.
  `
  ALTER TABLE executions ADD COLUMN runs_on text;
  ALTER TABLE executions ADD COLUMN worker_name text COLLATE "C";
  ALTER TABLE executions ADD COLUMN worker_attempt integer;
  CREATE INDEX executions_for_workers ON executions (id)
    WHERE status = 'queued' AND runs_on IS NOT NULL;
  CREATE INDEX executions_claimed ON executions (worker_name, id)
    WHERE worker_name IS NOT NULL AND status IN ('queued', 'running');
  CREATE TABLE workers (
    name text COLLATE "C" PRIMARY KEY,
    host text NOT NULL,
    labels text NOT NULL,
    slots integer NOT NULL,
    version text NOT NULL,
    started_at text COLLATE "C" NOT NULL,
    last_seen_at text COLLATE "C" NOT NULL
  );
  `,
  // Retention (docs/RETENTION.md): SQLite's step "retention".
  `
  ALTER TABLE executions ADD COLUMN pinned integer NOT NULL DEFAULT 0;
  ALTER TABLE executions ADD COLUMN logs_expired_at text COLLATE "C";
  `,
  // A job's runsOn (a JSON array of labels, '[]': none) and retryOnLost (docs/JOBS.md), as on SQLite.
  `
  ALTER TABLE jobs ADD COLUMN runs_on text NOT NULL DEFAULT '[]';
  ALTER TABLE jobs ADD COLUMN retry_on_lost integer NOT NULL DEFAULT 0;
  `,
  // Users and server-side sessions (docs/USERS.md), as SQLite's step of the same name.
  `
  CREATE TABLE users (
    id text COLLATE "C" PRIMARY KEY,
    name text COLLATE "C" NOT NULL UNIQUE,
    role text NOT NULL,
    password_hash text,
    created_at text COLLATE "C" NOT NULL,
    disabled integer NOT NULL DEFAULT 0
  );
  CREATE TABLE sessions (
    id_hash text COLLATE "C" PRIMARY KEY,
    user_id text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at text COLLATE "C" NOT NULL,
    last_seen_at text COLLATE "C" NOT NULL,
    idle_expires_at text COLLATE "C" NOT NULL,
    expires_at text COLLATE "C" NOT NULL,
    revoked_at text COLLATE "C"
  );
  CREATE INDEX sessions_user ON sessions (user_id);
  `,
  // Secrets at rest (docs/SECRETS.md): the id of the key every stored secret is sealed under,
  // written by the first start that sealed an older version's clear text and by each rotation.
  `
  CREATE TABLE secret_keys (
    id integer PRIMARY KEY CHECK (id = 1),
    key_id text NOT NULL,
    sealed_at text NOT NULL
  );
  `,
  // Users' single sign-on identities (docs/USERS.md, OIDC), as SQLite's step of the same name.
  `
  CREATE TABLE user_identities (
    issuer text COLLATE "C" NOT NULL,
    subject text COLLATE "C" NOT NULL,
    user_id text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at text COLLATE "C" NOT NULL,
    PRIMARY KEY (issuer, subject)
  );
  CREATE INDEX user_identities_user ON user_identities (user_id);
  `,
  // Users' API tokens (docs/USERS.md): the SHA-256 of the secret, never the secret; a name is
  // unique among a user's tokens that are not revoked. They go with their user.
  `
  CREATE TABLE api_tokens (
    id text COLLATE "C" PRIMARY KEY,
    user_id text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name text COLLATE "C" NOT NULL,
    hash text COLLATE "C" NOT NULL UNIQUE,
    created_at text COLLATE "C" NOT NULL,
    expires_at text COLLATE "C",
    last_used_at text COLLATE "C",
    revoked_at text COLLATE "C"
  );
  CREATE UNIQUE INDEX api_tokens_user_name ON api_tokens (user_id, name) WHERE revoked_at IS NULL;
  `,
  // The audit log and a run's created_by (docs/AUDIT.md), as SQLite's step of the same name; the
  // identity column is the keyset cursor.
  `
  CREATE TABLE audit_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at text COLLATE "C" NOT NULL,
    actor_kind text NOT NULL,
    actor text COLLATE "C" NOT NULL,
    token text,
    ip text,
    via text NOT NULL,
    action text COLLATE "C" NOT NULL,
    object_kind text COLLATE "C" NOT NULL,
    object_id text COLLATE "C",
    outcome text NOT NULL,
    error_code text
  );
  CREATE INDEX audit_log_actor ON audit_log (actor, id);
  CREATE INDEX audit_log_object ON audit_log (object_kind, object_id, id);
  CREATE INDEX audit_log_at ON audit_log (at);
  ALTER TABLE executions ADD COLUMN created_by text;
  `,
  // Saved pipelines (docs/PIPELINES.md): the YAML text as given, keyed by the name it gives.
  `
  CREATE TABLE saved_pipelines (
    name text COLLATE "C" PRIMARY KEY,
    yaml text NOT NULL,
    created_at text COLLATE "C" NOT NULL,
    updated_at text COLLATE "C" NOT NULL
  );
  `,
  // Pipeline runs (docs/PIPELINES-RUNNING.md): the run and its nodes saved whole by the orchestrator
  // (definition and nodes as JSON text); ids are ULIDs, so newest first is by id.
  `
  CREATE TABLE pipeline_runs (
    id text COLLATE "C" PRIMARY KEY,
    name text COLLATE "C" NOT NULL,
    status text NOT NULL,
    created_at text NOT NULL,
    started_at text,
    ended_at text,
    created_by text,
    rerun_of text,
    cancel_requested integer NOT NULL DEFAULT 0,
    definition text NOT NULL,
    nodes text NOT NULL
  );
  CREATE INDEX pipeline_runs_name ON pipeline_runs (name, id);
  CREATE INDEX pipeline_runs_status ON pipeline_runs (status, id);
  `,
  // The host monitor, as SQLite's: each worker's latest machine sample (JSON as text) from its heartbeat.
  `
  ALTER TABLE workers ADD COLUMN host_sample text;
  `,
  // Workspace settings (one document) and Python environments (docs/WORKSPACE-ENVIRONMENTS.md).
  `
  CREATE TABLE settings (
    id integer PRIMARY KEY CHECK (id = 1),
    document text NOT NULL
  );
  CREATE TABLE environments (
    name text PRIMARY KEY,
    interpreter text NOT NULL,
    requirements text NOT NULL,
    state text NOT NULL,
    generation integer NOT NULL,
    last_build_id text,
    created_at text NOT NULL,
    updated_at text NOT NULL
  );
  `,
  // Projects (docs/WORKSPACE.md), as SQLite's step of the same name.
  `
  CREATE TABLE projects (
    id text PRIMARY KEY,
    name text COLLATE "C" NOT NULL UNIQUE,
    current_version integer NOT NULL,
    next_version integer NOT NULL,
    created_at text NOT NULL,
    updated_at text NOT NULL
  );
  CREATE TABLE project_versions (
    project_id text NOT NULL,
    version integer NOT NULL,
    created_at text NOT NULL,
    created_by text,
    source text NOT NULL,
    note text,
    files bigint NOT NULL,
    bytes bigint NOT NULL,
    PRIMARY KEY (project_id, version)
  );
  ALTER TABLE executions ADD COLUMN project text;
  `,
  // Pipeline jobs, as SQLite's: the job whose fire started a pipeline run (null for runs started by
  // hand), and the process driving the run.
  `
  ALTER TABLE pipeline_runs ADD COLUMN job_id text COLLATE "C";
  ALTER TABLE pipeline_runs ADD COLUMN job text;
  ALTER TABLE pipeline_runs ADD COLUMN driver text;
  CREATE INDEX pipeline_runs_job ON pipeline_runs (job_id, id) WHERE job_id IS NOT NULL;
  `,
];

/** Any constant: the key of the advisory lock migrations run under (the bytes of "SFMG"). */
const MIGRATION_LOCK = 0x53464d47;

/**
 * Brings the schema to the latest version, in one transaction under a transaction-scoped advisory
 * lock: processes opening the same database at once wait for the first, which migrates; the others
 * then find nothing to do. A failed step rolls back whole.
 */
export async function runMigrations(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS stepflow_migrations (
      version integer PRIMARY KEY,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await client.query<{ version: number }>(
      'SELECT coalesce(max(version), 0)::integer AS version FROM stepflow_migrations',
    );
    const current = rows[0]?.version ?? 0;
    const target = MIGRATIONS.length;
    if (current > target) {
      throw new StepflowError(
        ERROR_CODES.STORE_UNAVAILABLE,
        `the database has schema version ${current}, newer than this StepFlow supports (${target}); upgrade StepFlow`,
      );
    }
    for (let version = current; version < target; version++) {
      await client.query(MIGRATIONS[version] ?? '');
      await client.query('INSERT INTO stepflow_migrations (version) VALUES ($1)', [version + 1]);
    }
    await client.query('COMMIT');
  } catch (error) {
    // Undo a partial migration, then let the caller report the original error.
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
