import { describe, expect, it } from 'vitest';
import { matchesExecutionFilter } from './execution-filter.js';
import type { Execution } from './model.js';

const execution = {
  status: 'running',
  tags: { env: 'prod', query: 'a=b', empty: '' },
  jobId: 'job-1',
} as Partial<Execution> as Execution;

describe('matchesExecutionFilter', () => {
  it('matches like the list query: status any of, every tag, the job', () => {
    expect(matchesExecutionFilter(execution, {})).toBe(true);
    expect(matchesExecutionFilter(execution, { status: ['queued', 'running'] })).toBe(true);
    expect(matchesExecutionFilter(execution, { status: ['succeeded'] })).toBe(false);
    expect(matchesExecutionFilter(execution, { tag: ['env=prod', 'empty'] })).toBe(true);
    expect(matchesExecutionFilter(execution, { tag: ['env=prod', 'team'] })).toBe(false);
    expect(matchesExecutionFilter(execution, { tag: ['env=pro'] })).toBe(false);
    // The value is everything after the first `=`; `key=` wants the empty value.
    expect(matchesExecutionFilter(execution, { tag: ['query=a=b', 'empty='] })).toBe(true);
    expect(matchesExecutionFilter(execution, { tag: ['toString'] })).toBe(false);
    expect(matchesExecutionFilter(execution, { jobId: 'job-1' })).toBe(true);
    expect(matchesExecutionFilter(execution, { jobId: 'job-2' })).toBe(false);
    expect(matchesExecutionFilter({ ...execution, jobId: null }, { jobId: 'job-1' })).toBe(false);
  });
});
