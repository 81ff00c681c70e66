import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Audit } from '../app/audit.js';
import type { Principal } from '../core/access.js';
import {
  auditActorOf,
  objectKindOf,
  outcomeOfStatus,
  type AuditAction,
  type NewAuditEntry,
} from '../core/audit.js';
import type { StepflowApp } from './build-server.js';
import { knownPrincipalOf } from './route-access.js';

/**
 * Where a route's audited object id comes from: a path parameter (`param:id`), a field of the
 * parsed body (`body:name`) or of the JSON answered on success (`response:id`, a new run's id).
 */
type ObjectSource = `param:${string}` | `body:${string}` | `response:${string}`;

/** What a state-changing route declares to be audited (`config: { permission, audit }`). */
interface RouteAudit {
  action: AuditAction;
  /** Absent: the action has no object (a backup). */
  object?: ObjectSource;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Recorded in the audit log once answered, with the outcome from the status (audit-hook.ts). */
    audit?: RouteAudit;
  }
}

/** What onSend saw of the answer: the object id from the response, or the error code. */
const answers = new WeakMap<object, { responseId?: string; errorCode?: string }>();

/**
 * Records every request to a route that declares `config.audit`, once answered, in one place:
 * who (the principal the guard found, `anonymous` when it found none), from where (`request.ip`:
 * the forwarded address behind a trusted proxy), the action and its object, and the outcome from
 * the status — 2xx ok; 401/403 denied, including requests the guard refused before the route ran;
 * any other status failed, with the error code of the JSON answer. Nothing of the body but the one
 * declared id field is kept: no password, token or env value can reach the log.
 */
export function installAuditHook(app: StepflowApp, audit: Pick<Audit, 'record'>): void {
  app.addHook('onSend', async (request, reply, payload) => {
    const declared = request.routeOptions.config.audit;
    if (declared === undefined || typeof payload !== 'string') return payload;
    const status = reply.statusCode;
    if (status >= 400) {
      answers.set(request.raw, { errorCode: errorCodeOf(payload) });
    } else if (declared.object?.startsWith('response:')) {
      answers.set(request.raw, { responseId: fieldOf(parsed(payload), declared.object.slice(9)) });
    }
    return payload;
  });
  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    const declared = request.routeOptions.config.audit;
    if (declared === undefined) return;
    const outcome = outcomeOfStatus(reply.statusCode);
    const answer = answers.get(request.raw);
    audit.record({
      ...requestActor(request, knownPrincipalOf(request)),
      action: declared.action,
      objectKind: objectKindOf(declared.action),
      objectId: objectIdOf(request, declared.object, answer?.responseId),
      outcome,
      errorCode: outcome === 'ok' ? null : (answer?.errorCode ?? `http_${reply.statusCode}`),
    });
  });
}

/** Who and from where, for entries a route records itself (sign-in, sign-out). */
export function requestActor(
  request: FastifyRequest,
  principal: Principal | undefined,
): Pick<NewAuditEntry, 'actorKind' | 'actor' | 'token' | 'ip' | 'via'> {
  return { ...auditActorOf(principal), ip: request.ip, via: 'api' };
}

function objectIdOf(
  request: FastifyRequest,
  source: ObjectSource | undefined,
  responseId: string | undefined,
): string | null {
  if (source === undefined) return null;
  const colon = source.indexOf(':');
  const where = source.slice(0, colon);
  const field = source.slice(colon + 1);
  if (where === 'response') return responseId ?? null;
  // A request the guard refused was never parsed: its body says nothing.
  return fieldOf(where === 'param' ? request.params : request.body, field) ?? null;
}

function fieldOf(value: unknown, field: string): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const found = (value as Record<string, unknown>)[field];
  // Ids and names are short strings; anything else is not an id worth keeping.
  return typeof found === 'string' && found.length <= 256 ? found : undefined;
}

function parsed(payload: string): unknown {
  try {
    return JSON.parse(payload);
  } catch {
    return undefined; // not JSON: no id to take
  }
}

function errorCodeOf(payload: string): string | undefined {
  const error = (parsed(payload) as { error?: unknown } | undefined)?.error;
  return fieldOf(error, 'code');
}
