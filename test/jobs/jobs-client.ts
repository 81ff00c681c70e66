import type { ExecutionBody, ExecutionPageBody } from '../../src/protocol/api-schemas.js';
import type { DeliveryListBody, FireListBody, JobBody } from '../../src/protocol/job-schemas.js';
import { call } from '../server/execution-api-client.js';

export { call, waitFor } from '../server/execution-api-client.js';

/** POST /api/jobs, failing the test on anything but 201. */
export async function createJob(url: string, body: Record<string, unknown>): Promise<JobBody> {
  const response = await call<JobBody>(url, 'POST', '/api/jobs', body);
  if (response.status !== 201) throw new Error(`POST /api/jobs: ${response.status} ${response.text}`);
  return response.body;
}

/** Every execution of a job, oldest first. */
export async function runsOf(url: string, jobId: string): Promise<ExecutionBody[]> {
  const response = await call<ExecutionPageBody>(url, 'GET', `/api/executions?jobId=${jobId}&limit=500`);
  if (response.status !== 200) throw new Error(`GET /api/executions: ${response.status} ${response.text}`);
  return [...response.body.items].reverse();
}

export async function historyOf(url: string, jobId: string): Promise<FireListBody['items']> {
  const response = await call<FireListBody>(url, 'GET', `/api/jobs/${jobId}/history?limit=1000`);
  if (response.status !== 200) throw new Error(`GET history: ${response.status} ${response.text}`);
  return response.body.items;
}

export async function deliveriesOf(url: string, jobId: string): Promise<DeliveryListBody['items']> {
  const response = await call<DeliveryListBody>(url, 'GET', `/api/jobs/${jobId}/deliveries`);
  if (response.status !== 200) throw new Error(`GET deliveries: ${response.status} ${response.text}`);
  return response.body.items;
}

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled', 'timed_out', 'interrupted']);
export const ended = (execution: ExecutionBody): boolean => TERMINAL.has(execution.status);

/** Whether two ended executions ran at the same time for a while. */
export function overlapped(a: ExecutionBody, b: ExecutionBody): boolean {
  const start = (e: ExecutionBody) => Date.parse(e.startedAt ?? e.createdAt);
  const end = (e: ExecutionBody) => Date.parse(e.endedAt ?? new Date().toISOString());
  return start(a) < end(b) && start(b) < end(a);
}

/** A unique job name per call, so test files can share nothing and run in parallel. */
let counter = 0;
export const uniqueName = (prefix: string): string => `${prefix}-${process.pid}-${++counter}`;
