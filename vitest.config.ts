import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Safety nets against a test that hangs, not timings: tests wait for conditions (a message, a file, a
    // screen), and on a machine busy with other work a long end-to-end test (a console in tmux, a browser)
    // can take minutes. Speed targets live in bench/.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // expect.poll waits for a condition (a screen, a meter): 1 s by default, far too short when loaded.
    expect: { poll: { timeout: 60_000 } },
    // Two cores: keep parallelism modest so audio/server tests are not starved.
    maxWorkers: 2,
    reporters: ['default', './test/helpers/plain-summary-reporter.ts'],
  },
});
