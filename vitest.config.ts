import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Temp dirs: a private TMPDIR per run, checked for leftovers at the end (test/helpers/temp.ts).
    globalSetup: ['test/setup/global-tmp.ts'],
    setupFiles: ['test/setup/temp-cleanup.ts'],
  },
});
