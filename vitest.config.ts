import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The end-to-end suites run real DVC and git in temporary repositories.
    testTimeout: 180_000,
    // Two workers on two cores: the long suites wait on DVC and git subprocesses much of the time.
    maxWorkers: 2,
    hookTimeout: 180_000,
  },
});
