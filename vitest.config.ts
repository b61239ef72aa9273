import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/infra/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.integration.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          // One local platform is shared; files run one after another against it.
          fileParallelism: false,
          // Sized for a loaded 2-core machine (CI beside other work): a test that needs longer
          // says so itself. Timeouts only bound a hang; no assertion depends on them.
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
