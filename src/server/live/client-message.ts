import { validationError } from '../../core/errors.js';
import {
  EXECUTIONS_TOPIC,
  JOBS_TOPIC,
  type LiveClientMessage,
  type LiveTopic,
} from '../../protocol/live-messages.js';

/** What a topic names, once validated. */
export type ParsedTopic =
  { kind: 'executions' } | { kind: 'jobs' } | { kind: 'execution'; executionId: string };

const EXECUTION_ID = /^[\w.-]{1,128}$/;

/** The fields each message type takes; any other is refused, as unknown body fields are over HTTP. */
const FIELDS: Readonly<Record<LiveClientMessage['type'], readonly string[]>> = {
  ping: ['type'],
  subscribe: ['type', 'topic', 'since'],
  unsubscribe: ['type', 'topic'],
};

/**
 * Validates one text frame from a client. Throws a `validation_failed` StepflowError with a
 * message meant for the client. An unknown field is refused too: a misspelt `since` would
 * otherwise silently mean "from now", and the client would never learn why lines are missing.
 */
export function parseClientMessage(text: string): LiveClientMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The parse error itself says nothing the client can use beyond this.
    throw validationError('message is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw validationError('message must be a JSON object with a "type"');
  }
  const message = value as Record<string, unknown>;
  if (typeof message.type === 'string' && Object.hasOwn(FIELDS, message.type)) {
    const known = FIELDS[message.type as LiveClientMessage['type']];
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
      return { type: 'unsubscribe', topic: topicField(message.topic) };
    case 'subscribe': {
      const topic = topicField(message.topic);
      const since = message.since;
      if (since === undefined || since === null) return { type: 'subscribe', topic };
      if (typeof since !== 'number' || !Number.isSafeInteger(since) || since < 0) {
        throw validationError(`since must be a non-negative integer, got ${JSON.stringify(since)}`, {
          topic,
        });
      }
      return { type: 'subscribe', topic, since };
    }
    default:
      throw validationError(`unknown message type ${JSON.stringify(message.type)}`);
  }
}

function topicField(value: unknown): LiveTopic {
  if (typeof value !== 'string') throw validationError('topic must be a string');
  parseTopic(value);
  return value as LiveTopic;
}

/** `executions`, `jobs` or `execution:<id>`; anything else is a `validation_failed` error. */
export function parseTopic(topic: string): ParsedTopic {
  if (topic === EXECUTIONS_TOPIC) return { kind: 'executions' };
  if (topic === JOBS_TOPIC) return { kind: 'jobs' };
  if (topic.startsWith('execution:')) {
    const executionId = topic.slice('execution:'.length);
    if (EXECUTION_ID.test(executionId)) return { kind: 'execution', executionId };
  }
  throw validationError(
    `unknown topic ${JSON.stringify(topic)}: use "executions", "jobs" or "execution:<id>"`,
    {
      topic,
    },
  );
}
