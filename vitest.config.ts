import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The web's unit tests live beside their modules; the browser tests in test/browser.
    include: ['test/**/*.test.ts', 'web/src/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
  },
});
