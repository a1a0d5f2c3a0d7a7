import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Native hnswlib and child processes: forks isolate crashes and signals better than threads.
    pool: 'forks',
  },
});
