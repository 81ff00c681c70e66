import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import type { RunSpec } from '../../src/core/model.js';
import type { LiveLine, LiveServerMessage } from '../../src/protocol/live-messages.js';
import type { StepflowApp } from '../../src/server/build-server.js';
import { liveHubOf, type LiveHub, type LiveHubOptions } from '../../src/server/live/live-hub.js';
import type { Stepflow } from '../../src/stepflow.js';
import { startTestServer } from '../helpers/test-server.js';

/** Helpers for the live (WebSocket) tests: the real server on port 0 and real `ws` clients. */

export interface LiveServer {
  url: string;
  wsUrl: string;
  app: StepflowApp;
  stepflow: Stepflow;
  hub: LiveHub;
  dir: string;
  /** Writes a script into the temp dir and starts it; resolves with its id and end. */
  run(script: string, file?: string): Promise<{ id: string; done: Promise<unknown> }>;
  close(): Promise<void>;
}

/** `test/helpers/test-server.ts` plus the hub and a script runner, with live hub settings. */
export async function startLiveServer(
  settings: {
    env?: NodeJS.ProcessEnv;
    live?: Partial<LiveHubOptions>;
    config?: { maxConcurrent?: number };
  } = {},
): Promise<LiveServer> {
  const server = await startTestServer(settings);
  const hub = liveHubOf(server.app.server);
  if (!hub) throw new Error('no live hub attached');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-live-test-'));
  let scripts = 0;
  return {
    url: server.url,
    wsUrl: `ws://127.0.0.1:${server.port}/ws`,
    app: server.app,
    stepflow: server.stepflow,
    hub,
    dir,
    async run(script, file = `script-${++scripts}.py`) {
      fs.writeFileSync(path.join(dir, file), script);
      const spec: RunSpec = { argv: [file.endsWith('.py') ? 'python3' : 'bash', file], cwd: dir };
      const submitted = await server.stepflow.engine.submit(spec);
      return { id: submitted.execution.id, done: submitted.done };
    },
    async close() {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A Python script printing `lines` lines ("line <n>") in bursts of `burst`, split into `steps`
 * steps, pausing `pauseMs` between bursts.
 */
export function burstScript({
  lines,
  burst = 500,
  steps = 1,
  pauseMs = 5,
  startDelayMs = 0,
}: {
  lines: number;
  burst?: number;
  steps?: number;
  pauseMs?: number;
  startDelayMs?: number;
}): string {
  return `import sys, time
time.sleep(${startDelayMs / 1000})
n = 0
per_step = ${Math.ceil(lines / steps)}
for step in range(1, ${steps} + 1):
    print(f"STEP_START:part {step}", flush=True)
    target = min(${lines}, step * per_step)
    while n < target:
        chunk = []
        for _ in range(min(${burst}, target - n)):
            n += 1
            chunk.append(f"line {n}")
        sys.stdout.write("\\n".join(chunk) + "\\n")
        sys.stdout.flush()
        time.sleep(${pauseMs / 1000})
    print(f"STEP_COMPLETE:part {step}", flush=True)
`;
}

type Predicate = (message: LiveServerMessage) => boolean;

/** A real `ws` client that records everything it receives. */
export class LiveTestClient {
  readonly messages: LiveServerMessage[] = [];
  /** When each of `messages` arrived (epoch ms). */
  readonly receivedAt: number[] = [];
  /** Lines received per execution, in arrival order. */
  readonly lines = new Map<string, LiveLine[]>();
  closed = false;
  private waiters: { predicate: Predicate; resolve: (m: LiveServerMessage) => void }[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as LiveServerMessage;
      this.messages.push(message);
      this.receivedAt.push(Date.now());
      if (message.type === 'lines') {
        let list = this.lines.get(message.executionId);
        if (!list) this.lines.set(message.executionId, (list = []));
        for (const line of message.lines) list.push(line);
      }
      this.waiters = this.waiters.filter((waiter) => {
        if (!waiter.predicate(message)) return true;
        waiter.resolve(message);
        return false;
      });
    });
    ws.on('close', () => (this.closed = true));
  }

  static connect(
    wsUrl: string,
    options: { headers?: Record<string, string>; protocols?: string[] } = {},
  ): Promise<LiveTestClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(wsUrl, options.protocols ?? [], { headers: options.headers });
      const client = new LiveTestClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
    });
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Subscribes and waits for the ack. */
  async subscribe(topic: string, since?: number): Promise<LiveServerMessage> {
    const ack = this.next((m) => (m.type === 'subscribed' || m.type === 'error') && m.topic === topic);
    this.send(since === undefined ? { type: 'subscribe', topic } : { type: 'subscribe', topic, since });
    return ack;
  }

  /** The first message already received that matches, else the next one to arrive. */
  find(predicate: Predicate, timeoutMs = 15_000): Promise<LiveServerMessage> {
    const seen = this.messages.find(predicate);
    return seen ? Promise.resolve(seen) : this.next(predicate, timeoutMs);
  }

  /** The next message to arrive that matches. */
  next(predicate: Predicate, timeoutMs = 15_000): Promise<LiveServerMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no matching message within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.push({
        predicate,
        resolve: (message) => {
          clearTimeout(timer);
          resolve(message);
        },
      });
    });
  }

  /** Resolves once the execution's full state says it ended. */
  finished(executionId: string): Promise<LiveServerMessage> {
    return this.find(
      (m) => m.type === 'execution' && m.execution.id === executionId && m.execution.endedAt !== null,
    );
  }

  seqs(executionId: string): number[] {
    return (this.lines.get(executionId) ?? []).map((line) => line.seq);
  }

  lastSeq(executionId: string): number {
    return this.lines.get(executionId)?.at(-1)?.seq ?? 0;
  }

  close(): void {
    this.ws.close();
  }
}

/** 1…n, for exactly-once assertions. */
export function range(n: number, from = 1): number[] {
  return Array.from({ length: n - from + 1 }, (_, i) => from + i);
}

export function waitUntil(condition: () => boolean, timeoutMs = 15_000, stepMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (condition()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`condition not met within ${timeoutMs} ms`));
      setTimeout(check, stepMs);
    };
    check();
  });
}
