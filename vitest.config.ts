import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/host-guard.ts'],
    setupFiles: ['test/host-guard-file.ts', 'test/setup-documents.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', './test/reporters/no-skips.ts'],
  },
});
