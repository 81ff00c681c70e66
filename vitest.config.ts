import { defineConfig } from 'vitest/config';

/**
 * Two groups, one after the other. Most files wait on real processes, servers and timers rather
 * than burn CPU, so two run at once (vitest's default on a 2-core machine is one). The files that
 * drive Chromium or a whole cluster of processes (PostgreSQL, replicas, workers) run alone
 * afterwards: their timing margins assume the machine is theirs.
 */
const ALONE = ['test/e2e/**/*.test.ts', 'test/workers/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    reporters: ['default', './test/summary-reporter.ts'],
    globalSetup: ['./test/clean-tree.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'shared',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ALONE,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'alone',
          include: ALONE,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
