import { validationError } from '../../core/errors.js';
import type { ExecutionFilter } from '../../core/execution-filter.js';
import { EXECUTION_STATUSES, isExecutionStatus, type ExecutionStatus } from '../../core/statuses.js';
import { EXECUTIONS_TOPIC, HOST_TOPIC, JOBS_TOPIC, type LiveTopic } from '../../protocol/live-messages.js';

/** What a topic names, once validated. */
export type ParsedTopic =
  | { kind: 'executions' }
  | { kind: 'jobs' }
  | { kind: 'execution'; executionId: string }
  | { kind: 'pipeline'; runId: string }
  | { kind: 'host' };

/**
 * A client message once validated, in one shape whether it named one topic or several: `topics`
 * is never empty, `since` only comes with one execution topic, `filter` only with `executions`.
 */
export type ClientRequest =
  | { type: 'ping' }
  | { type: 'unsubscribe'; topics: LiveTopic[] }
  | { type: 'subscribe'; topics: LiveTopic[]; since?: number; filter?: ExecutionFilter };

const EXECUTION_ID = /^[\w.-]{1,128}$/;
/** As many as a message may name; a dashboard needs three or four. */
const MAX_TOPICS_PER_MESSAGE = 100;
/** As `GET /api/executions` takes. */
const MAX_FILTER_VALUES = 20;
const MAX_FILTER_TEXT = 1024;
const FILTER_FIELDS = ['status', 'tag', 'jobId'] as const;

/** The fields each message type takes; any other is refused, as unknown body fields are over HTTP. */
const FIELDS: Readonly<Record<ClientRequest['type'], readonly string[]>> = {
  ping: ['type'],
  subscribe: ['type', 'topic', 'topics', 'since', 'filter'],
  unsubscribe: ['type', 'topic', 'topics'],
};

/**
 * Validates one text frame from a client. Throws a `validation_failed` StepflowError with a
 * message meant for the client. An unknown field is refused too: a misspelt `since` would
 * otherwise silently mean "from now", and the client would never learn why lines are missing.
 */
export function parseClientMessage(text: string): ClientRequest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The parse error itself says nothing the client can use beyond this.
    throw validationError('message is not valid JSON');
  }
  if (!isPlainObject(value)) throw validationError('message must be a JSON object with a "type"');
  const message = value;
  if (typeof message.type === 'string' && Object.hasOwn(FIELDS, message.type)) {
    const known = FIELDS[message.type as ClientRequest['type']];
    const unknown = Object.keys(message).find((field) => !known.includes(field));
    if (unknown !== undefined) {
      throw validationError(
        `unknown field ${JSON.stringify(unknown)} in a "${message.type}" message (it takes ${known.join(', ')})`,
        { field: unknown },
      );
    }
  }
  switch (message.type) {
    case 'ping':
      return { type: 'ping' };
    case 'unsubscribe':
      return { type: 'unsubscribe', topics: topicsOf(message) };
    case 'subscribe':
      return subscribeRequest(message);
    default:
      throw validationError(`unknown message type ${JSON.stringify(message.type)}`);
  }
}

function subscribeRequest(message: Record<string, unknown>): ClientRequest {
  const topics = topicsOf(message);
  const single = message.topics === undefined ? topics[0] : undefined;
  const request: ClientRequest = { type: 'subscribe', topics };
  const since = message.since;
  if (since !== undefined && since !== null) {
    if (single === undefined) {
      throw validationError('since applies to one execution topic: send it with "topic", not "topics"', {
        field: 'since',
      });
    }
    if (typeof since !== 'number' || !Number.isSafeInteger(since) || since < 0) {
      throw validationError(`since must be a non-negative integer, got ${JSON.stringify(since)}`, {
        topic: single,
        field: 'since',
      });
    }
    request.since = since;
  }
  if (message.filter !== undefined) {
    if (!topics.includes(EXECUTIONS_TOPIC)) {
      throw validationError('filter applies to the "executions" topic only', {
        field: 'filter',
        ...(single === undefined ? {} : { topic: single }),
      });
    }
    request.filter = parseFilter(message.filter);
  }
  return request;
}

/** `topic` (one) or `topics` (a list of distinct names): exactly one of them. */
function topicsOf(message: Record<string, unknown>): LiveTopic[] {
  const { topic, topics } = message;
  if (topic !== undefined && topics !== undefined) {
    throw validationError('send either "topic" or "topics", not both', { field: 'topics' });
  }
  if (topics === undefined) return [topicField(topic)];
  if (!Array.isArray(topics) || topics.length === 0 || topics.length > MAX_TOPICS_PER_MESSAGE) {
    throw validationError(`topics must be a list of 1 to ${MAX_TOPICS_PER_MESSAGE} topics`, {
      field: 'topics',
    });
  }
  const list = topics.map(topicField);
  const repeated = list.find((name, index) => list.indexOf(name) !== index);
  if (repeated !== undefined) {
    throw validationError(`topics names ${JSON.stringify(repeated)} twice`, { field: 'topics' });
  }
  return list;
}

function topicField(value: unknown): LiveTopic {
  if (typeof value !== 'string') throw validationError('topic must be a string', { field: 'topic' });
  parseTopic(value);
  return value as LiveTopic;
}

/** A filter of the `executions` topic, checked as strictly as `GET /api/executions`' query. */
function parseFilter(value: unknown): ExecutionFilter {
  const details = { topic: EXECUTIONS_TOPIC };
  if (!isPlainObject(value)) {
    throw validationError('filter must be an object with status, tag or jobId', {
      ...details,
      field: 'filter',
    });
  }
  const unknown = Object.keys(value).find((key) => !(FILTER_FIELDS as readonly string[]).includes(key));
  if (unknown !== undefined) {
    throw validationError(`filter.${unknown}: unknown filter field (it takes ${FILTER_FIELDS.join(', ')})`, {
      ...details,
      field: `filter.${unknown}`,
    });
  }
  const filter: ExecutionFilter = {};
  if (value.status !== undefined) {
    filter.status = stringList(value.status, 'filter.status').map((status) => {
      if (isExecutionStatus(status)) return status;
      throw validationError(
        `filter.status: unknown status ${JSON.stringify(status)} (one of ${EXECUTION_STATUSES.join(', ')})`,
        { ...details, field: 'filter.status' },
      );
    }) satisfies ExecutionStatus[];
  }
  if (value.tag !== undefined) {
    filter.tag = stringList(value.tag, 'filter.tag').map((tag) => {
      if (tag.startsWith('=') || tag === '') {
        throw validationError(`filter.tag: ${JSON.stringify(tag)} has an empty key (use key=value or key)`, {
          ...details,
          field: 'filter.tag',
        });
      }
      return tag;
    });
  }
  if (value.jobId !== undefined) {
    const jobId = value.jobId;
    if (typeof jobId !== 'string' || jobId === '' || jobId.length > 128) {
      throw validationError('filter.jobId must be a job id (a string of 1 to 128 characters)', {
        ...details,
        field: 'filter.jobId',
      });
    }
    filter.jobId = jobId;
  }
  return filter;
}

function stringList(value: unknown, field: string): string[] {
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    value.length > MAX_FILTER_VALUES ||
    !value.every((item) => typeof item === 'string' && item.length <= MAX_FILTER_TEXT)
  ) {
    throw validationError(`${field} must be a list of 1 to ${MAX_FILTER_VALUES} strings`, {
      topic: EXECUTIONS_TOPIC,
      field,
    });
  }
  return value as string[];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `executions`, `jobs`, `host` or `execution:<id>`; anything else is a `validation_failed` error. */
export function parseTopic(topic: string): ParsedTopic {
  if (topic === EXECUTIONS_TOPIC) return { kind: 'executions' };
  if (topic === JOBS_TOPIC) return { kind: 'jobs' };
  if (topic === HOST_TOPIC) return { kind: 'host' };
  if (topic.startsWith('execution:')) {
    const executionId = topic.slice('execution:'.length);
    if (EXECUTION_ID.test(executionId)) return { kind: 'execution', executionId };
  }
  if (topic.startsWith('pipeline:')) {
    const runId = topic.slice('pipeline:'.length);
    if (EXECUTION_ID.test(runId)) return { kind: 'pipeline', runId };
  }
  throw validationError(
    `unknown topic ${JSON.stringify(topic)}: use "executions", "jobs", "host", "execution:<id>" or "pipeline:<runId>"`,
    {
      topic,
    },
  );
}
