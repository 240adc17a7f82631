import { defineConfig } from 'vitest/config';

// Two projects: fast unit tests (files in parallel), then end-to-end tests that start real
// processes (registries, k6, chromium, namespaces) one file at a time, so two of them never
// fight over the machine's two cores or the same loopback addresses.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/e2e/**', 'node_modules/**'] },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
