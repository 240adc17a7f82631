import { defineConfig } from 'vitest/config';

// Three projects, one after the other: fast unit tests (files in parallel); the lab's
// component tests, which start real registries and servers and measure wall-clock lags and
// rates, one file at a time (in parallel with CPU-bound files their timing assertions
// flake on two cores); then end-to-end tests that start whole labs, k6 and chromium, one
// file at a time, so two of them never fight over the cores or the same loopback addresses.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/e2e/**', 'test/lab/**', 'node_modules/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'lab',
          include: ['test/lab/**/*.test.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
