import type { Application } from '../app/application.js';
import type { ExecutionReads } from '../app/executions.js';
import type { StepflowConfig } from '../config.js';
import { redactDatabaseUrl } from '../core/database-url.js';
import { ERROR_CODES, isStepflowError, StepflowError } from '../core/errors.js';
import type { ExecutionStatus } from '../core/statuses.js';
import { isTerminalExecutionStatus } from '../core/statuses.js';
import type {
  ExecutionBody,
  ExecutionPageBody,
  ExecutionSummaryBody,
  LogPageBody,
} from '../protocol/api-schemas.js';
import { toExecutionDetailJson, type ExecutionDetailJson } from '../protocol/execution-json.js';
import { toRunSearchPageJson } from '../protocol/run-search-json.js';
import type { RunSearchPageBody } from '../protocol/run-search-schemas.js';
import { parseSince } from '../core/since-time.js';
import { requestJson, type ServerTarget } from './jobs/jobs-api-client.js';

/** How a cancel went, as `stepflow cancel` reports it. */
interface CancelAnswer {
  /** `ended`: it is over now (dropped from a queue, or its dead process recovered); `requested`: it is stopping. */
  state: 'ended' | 'requested';
  execution: ExecutionBody;
}

/**
 * Where `stepflow ls|show|logs|cancel` read: this machine's data dir, or a server's API
 * (`--server`, `STEPFLOW_SERVER`). The same commands and output either way; the answers are the
 * API's shapes. `where` names the place in messages ("not found in …").
 */
export interface ExecutionSource extends ExecutionReadSource {
  cancel(id: string): Promise<CancelAnswer>;
}

/** What the read commands (`ls`, `show`, `logs`, `search`) use of a source: no changes. */
export interface ExecutionReadSource {
  readonly where: string;
  list(query: { status?: ExecutionStatus[]; limit: number }): Promise<ExecutionPageBody>;
  get(id: string): Promise<ExecutionDetailJson>;
  /** The run's summary Markdown and each step's (not part of `get`). */
  summary(id: string): Promise<ExecutionSummaryBody>;
  readLog(id: string, page: { after: number; limit: number }): Promise<LogPageBody>;
  /** Every run's log searched (`GET /api/search`); `since` as the API takes it (ISO or `24h`). */
  search(query: RunSearchRequest): Promise<RunSearchPageBody>;
}

/** What `stepflow search` asks for. */
interface RunSearchRequest {
  text: string;
  status?: ExecutionStatus[];
  since?: string;
  limit: number;
  cursor?: string;
}

const notFoundIn = (id: string, where: string) =>
  new StepflowError(ERROR_CODES.NOT_FOUND, `execution "${id}" not found in ${where}`);

/** The data dir of this machine, through the application layer. */
export function localSource(
  app: Application,
  config: Pick<StepflowConfig, 'dataDir' | 'database'>,
): ExecutionSource {
  const source = localReadSource(app.executions.reads, config);
  return {
    ...source,
    async cancel(id) {
      await source.get(id);
      const { state, execution } = await app.executions.cancel(id);
      return { state: state === 'cancelled' || state === 'interrupted' ? 'ended' : 'requested', execution };
    },
  };
}

/** The data dir's executions, read only: what `ls`, `show`, `logs` and `search` open (`stepflow-reads.ts`). */
export function localReadSource(
  reads: ExecutionReads,
  { dataDir, database }: Pick<StepflowConfig, 'dataDir' | 'database'>,
): ExecutionReadSource {
  const where =
    database === undefined
      ? `the data dir ${dataDir} (another one: STEPFLOW_STORAGE_PATH; a server: --server)`
      : `the database ${redactDatabaseUrl(database.url)} (a server: --server)`;
  const get = async (id: string): Promise<ExecutionDetailJson> => {
    const detail = await reads.getExecution(id);
    if (detail === undefined) throw notFoundIn(id, where);
    return toExecutionDetailJson(detail);
  };
  return {
    where,
    list: (query) => reads.listExecutions(query),
    get,
    async summary(id) {
      const summary = await reads.getSummary(id);
      if (summary === undefined) throw notFoundIn(id, where);
      return summary;
    },
    async readLog(id, page) {
      return reads.readLog(id, page);
    },
    async search({ text, status, since, limit, cursor }) {
      const page = await reads.searchRuns({
        text,
        status,
        since: since === undefined ? undefined : parseSince(since, new Date()),
        limit,
        cursor,
      });
      return toRunSearchPageJson(page, text);
    },
  };
}

/** A StepFlow server's REST API (`GET /api/executions…`, `POST …/cancel`). */
export function serverSource(target: ServerTarget): ExecutionSource {
  const where = `the server ${target.baseUrl}`;
  const path = (id: string, rest = '') => `/api/executions/${encodeURIComponent(id)}${rest}`;
  /** A 404 from the server says "execution X not found"; say where it was looked for. */
  const naming = async <T>(id: string, request: Promise<T>): Promise<T> =>
    request.catch((error: unknown) => {
      if (isStepflowError(error) && error.code === ERROR_CODES.NOT_FOUND) throw notFoundIn(id, where);
      throw error;
    });
  return {
    where,
    list({ status, limit }) {
      const query = new URLSearchParams({ limit: String(limit) });
      if (status) query.set('status', status.join(','));
      return requestJson<ExecutionPageBody>(target, 'GET', `/api/executions?${query}`);
    },
    get: (id) => naming(id, requestJson<ExecutionDetailJson>(target, 'GET', path(id))),
    summary: (id) => naming(id, requestJson<ExecutionSummaryBody>(target, 'GET', path(id, '/summary'))),
    readLog: (id, { after, limit }) =>
      naming(id, requestJson<LogPageBody>(target, 'GET', path(id, `/logs?after=${after}&limit=${limit}`))),
    async cancel(id) {
      const execution = await naming(id, requestJson<ExecutionBody>(target, 'POST', path(id, '/cancel')));
      // 200 with an ended run (it was queued, or its process had died), else 202: stopping.
      return { state: isTerminalExecutionStatus(execution.status) ? 'ended' : 'requested', execution };
    },
    search({ text, status, since, limit, cursor }) {
      const query = new URLSearchParams({ q: text, limit: String(limit) });
      if (status) query.set('status', status.join(','));
      if (since !== undefined) query.set('since', since);
      if (cursor !== undefined) query.set('cursor', cursor);
      return requestJson<RunSearchPageBody>(target, 'GET', `/api/search?${query}`);
    },
  };
}
