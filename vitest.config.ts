import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The web's unit tests live beside their modules; the browser tests in test/browser.
    include: ['test/**/*.test.ts', 'web/src/**/*.test.ts'],
    testTimeout: 60_000,
    // expect.poll (the browser tests' wait for what React draws) gives up after 1 s by default: too
    // soon on a loaded machine when the page still has an answer to fetch before it redraws.
    expect: { poll: { timeout: 10_000 } },
    pool: 'forks',
  },
});
