import { describe, expect, it } from 'vitest';
import type { PipelineDefinition, PipelineNode } from './pipeline-definition.js';
import { needsEnv } from './needs-env.js';
import { estimateRemainingMs, nodeHistory, nodeWarningsDue } from './node-timing.js';
import { newRunNodes, type PipelineNodeStatus, type PipelineRun } from './pipeline-run.js';
import { nodesToRerun, pipelineProgress, pipelineRunStatus, planPipeline } from './pipeline-rules.js';

const node = (name: string, extra: Partial<PipelineNode> = {}): PipelineNode => ({
  name,
  command: 'true',
  env: {},
  needs: [],
  if: 'success',
  retry: { max: 0, delaySeconds: 0 },
  runsOn: [],
  continueOnError: false,
  ...extra,
});

const pipeline = (nodes: PipelineNode[], extra: Partial<PipelineDefinition> = {}): PipelineDefinition => ({
  name: 'p',
  env: {},
  nodes,
  ...extra,
});

/** The nodes' records with the given statuses (the rest waiting). */
function states(definition: PipelineDefinition, statuses: Record<string, PipelineNodeStatus>) {
  return newRunNodes(definition).map((state) => ({
    ...state,
    status: statuses[state.name] ?? state.status,
    attempt: statuses[state.name] ? 1 : 0,
  }));
}

// fetch → a, b → join; cleanup (always) after join; notify (failure) after join.
const diamond = pipeline([
  node('fetch'),
  node('a', { needs: ['fetch'] }),
  node('b', { needs: ['fetch'] }),
  node('join', { needs: ['a', 'b'] }),
  node('cleanup', { needs: ['join'], if: 'always' }),
  node('notify', { needs: ['join'], if: 'failure' }),
]);

describe('planPipeline', () => {
  it('starts the nodes without needs first, then both branches at once, then the join', () => {
    expect(planPipeline(diamond, states(diamond, {})).start).toEqual(['fetch']);
    expect(planPipeline(diamond, states(diamond, { fetch: 'succeeded' })).start).toEqual(['a', 'b']);
    expect(
      planPipeline(diamond, states(diamond, { fetch: 'succeeded', a: 'succeeded', b: 'running' })).start,
    ).toEqual([]);
    expect(
      planPipeline(diamond, states(diamond, { fetch: 'succeeded', a: 'succeeded', b: 'succeeded' })).start,
    ).toEqual(['join']);
  });

  it('skips the dependants of a failed node, and runs if: always and if: failure nodes', () => {
    let s = states(diamond, { fetch: 'succeeded', a: 'failed', b: 'succeeded' });
    const plan = planPipeline(diamond, s);
    expect(plan.start).toEqual([]);
    expect(plan.skip).toEqual([{ name: 'join', reason: 'needs a failed' }]);
    s = states(diamond, { fetch: 'succeeded', a: 'failed', b: 'succeeded', join: 'skipped' });
    expect(planPipeline(diamond, s).start).toEqual(['cleanup', 'notify']);
  });

  it('skips if: failure nodes when nothing failed', () => {
    const s = states(diamond, { fetch: 'succeeded', a: 'succeeded', b: 'succeeded', join: 'succeeded' });
    const plan = planPipeline(diamond, s);
    expect(plan.start).toEqual(['cleanup']);
    expect(plan.skip.map((skip) => skip.name)).toEqual(['notify']);
  });

  it('lets dependants of a continueOnError node run', () => {
    const definition = pipeline([node('x', { continueOnError: true }), node('y', { needs: ['x'] })]);
    expect(planPipeline(definition, states(definition, { x: 'failed' })).start).toEqual(['y']);
    expect(pipelineRunStatus(definition, states(definition, { x: 'failed', y: 'succeeded' }), false)).toBe(
      'succeeded',
    );
  });

  it('keeps within the pipeline concurrency', () => {
    const definition = pipeline([node('a'), node('b'), node('c')], { concurrency: 2 });
    expect(planPipeline(definition, states(definition, {})).start).toEqual(['a', 'b']);
    expect(planPipeline(definition, states(definition, { a: 'running' })).start).toEqual(['b']);
  });

  it('starts nothing once a cancel was asked for', () => {
    expect(planPipeline(diamond, states(diamond, {}), { cancelRequested: true })).toEqual({
      start: [],
      skip: [],
    });
  });
});

describe('pipelineRunStatus and progress', () => {
  it('is queued, running, then failed when a node failed', () => {
    expect(pipelineRunStatus(diamond, states(diamond, {}), false)).toBe('queued');
    expect(pipelineRunStatus(diamond, states(diamond, { fetch: 'running' }), false)).toBe('running');
    const ended = states(diamond, {
      fetch: 'succeeded',
      a: 'failed',
      b: 'succeeded',
      join: 'skipped',
      cleanup: 'succeeded',
      notify: 'succeeded',
    });
    expect(pipelineRunStatus(diamond, ended, false)).toBe('failed');
    expect(pipelineRunStatus(diamond, ended, true)).toBe('cancelled');
    expect(pipelineProgress(ended)).toEqual({ done: 6, total: 6 });
    expect(pipelineProgress(states(diamond, { fetch: 'succeeded', a: 'running' }))).toEqual({
      done: 1,
      total: 6,
    });
  });
});

describe('nodesToRerun', () => {
  it('is the nodes that did not succeed and everything after them', () => {
    const nodes = states(diamond, {
      fetch: 'succeeded',
      a: 'failed',
      b: 'succeeded',
      join: 'skipped',
      cleanup: 'succeeded',
      notify: 'succeeded',
    });
    const run = { nodes } as PipelineRun;
    expect([...nodesToRerun(diamond, run)].sort()).toEqual(['a', 'cleanup', 'join', 'notify']);
  });
});

describe('needsEnv', () => {
  it('names each output of each need STEPFLOW_NEEDS_<NODE>_<KEY>', () => {
    const outputs = new Map([['build-app', { version: '1.2', 'out-dir': '/tmp/x' }]]);
    expect(needsEnv({ needs: ['build-app'] }, outputs)).toEqual({
      STEPFLOW_NEEDS_BUILD_APP_VERSION: '1.2',
      STEPFLOW_NEEDS_BUILD_APP_OUT_DIR: '/tmp/x',
    });
  });
});

describe('node timing', () => {
  const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
  const past = (seconds: number[]): PipelineRun[] =>
    seconds.map(
      (duration) =>
        ({
          nodes: [
            {
              name: 'a',
              status: 'succeeded',
              attempts: [{ executionId: 'x', status: 'succeeded', startedAt: at(0), endedAt: at(duration) }],
            },
          ],
        }) as PipelineRun,
    );

  it('takes the median and p95 of past durations', () => {
    const history = nodeHistory(past([1, 2, 3, 4, 100]));
    expect(history.get('a')).toEqual({ medianMs: 3000, p95Ms: 100_000, samples: 5 });
  });

  it('estimates what is left along the longest chain, and nothing without history', () => {
    const definition = pipeline([node('a'), node('b', { needs: ['a'] })]);
    const run = { definition, nodes: states(definition, {}) };
    const history = new Map([
      ['a', { medianMs: 1000, p95Ms: 1000, samples: 1 }],
      ['b', { medianMs: 2000, p95Ms: 2000, samples: 1 }],
    ]);
    expect(estimateRemainingMs(run, history, 0)).toBe(3000);
    expect(estimateRemainingMs(run, new Map([['a', history.get('a')!]]), 0)).toBeNull();
  });

  it('warns at the thresholds and past the p95, in the order they pass', () => {
    const thresholds = { warnAfterSeconds: 5, criticalAfterSeconds: 30 };
    expect(nodeWarningsDue(4000, thresholds, undefined)).toEqual([]);
    expect(nodeWarningsDue(6000, thresholds, 5500)).toEqual(['warning', 'slower_than_p95']);
    expect(nodeWarningsDue(31_000, thresholds, undefined)).toEqual(['warning', 'critical']);
  });
});
