import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers/run-cli.js';
import type { ExecutionBody, ExecutionDetailBody } from '../../src/protocol/api-schemas.js';

export const FIXTURES = path.join(ROOT, 'test/fixtures/server');

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** One HTTP call with a JSON body (when given), answered as parsed JSON when it is JSON. */
export async function call<T = unknown>(
  baseUrl: string,
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiResponse<T>> {
  const response = await fetch(`${baseUrl}${url}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const isJson = response.headers.get('content-type')?.includes('json') ?? false;
  return {
    status: response.status,
    headers: response.headers,
    text,
    body: (isJson ? JSON.parse(text) : text) as T,
  };
}

export async function startExecution(baseUrl: string, body: Record<string, unknown>): Promise<ExecutionBody> {
  const response = await call<ExecutionBody>(baseUrl, 'POST', '/api/executions', body);
  if (response.status !== 201) throw new Error(`POST /api/executions: ${response.status} ${response.text}`);
  return response.body;
}

export async function getExecution(baseUrl: string, id: string): Promise<ExecutionDetailBody> {
  const response = await call<ExecutionDetailBody>(baseUrl, 'GET', `/api/executions/${id}`);
  if (response.status !== 200)
    throw new Error(`GET /api/executions/${id}: ${response.status} ${response.text}`);
  return response.body;
}

export async function waitFor<T>(
  probe: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Polls until the execution has one of `statuses`. */
export function waitForStatus(
  baseUrl: string,
  id: string,
  statuses: string[] = ['succeeded', 'failed', 'cancelled', 'timed_out', 'interrupted'],
  timeoutMs = 10_000,
): Promise<ExecutionDetailBody> {
  return waitFor(
    async () => {
      const execution = await getExecution(baseUrl, id);
      return statuses.includes(execution.status) ? execution : undefined;
    },
    `${id} to be ${statuses.join('|')}`,
    timeoutMs,
  );
}

/** A zombie (exited, not yet reaped) counts as dead. */
export function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false; // no such process
  }
}
