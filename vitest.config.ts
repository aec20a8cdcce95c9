import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Tests that spawn the daemon or fsync many files compete for 2 cores; keep the pool small.
    maxWorkers: 2,
    // One throwaway PostgreSQL cluster for the whole run (test/postgres/*); files make their own databases.
    globalSetup: ['test/postgres/global-setup.ts'],
  },
});
