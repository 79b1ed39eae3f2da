import { defineConfig } from 'vitest/config';

// Every suite, in groups that `npm test` runs side by side as vitest processes (local/test-all.ts):
//   - the projects with tests/helpers/global-setup.ts need a local stack (DynamoDB Local, cognito-local, the Stripe
//     emulator, fauxqs and the API Gateway stand-in, started on free ports) and run one file at a time; they run in
//     two lanes, each process with its own stack;
//   - every other project needs no stack and runs meanwhile.
// Within one vitest process, files of a one-at-a-time project run after every other group has finished, and on a
// 2-core machine vitest runs one worker: in one process the two groups would add up instead of overlapping.

export default defineConfig({
  test: {
    // Handlers log through Powertools; keep test output readable. Metrics are never emitted locally.
    env: { POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' },
    projects: [
      { extends: true, test: { name: 'unit', include: ['tests/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: { name: 'emulator', include: ['tests/emulator/**/*.test.ts'], testTimeout: 30_000, hookTimeout: 30_000 },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          // Starts its own stacks (twice), not the shared one: it runs with the other group.
          exclude: ['tests/integration/start-stop.test.ts'],
          globalSetup: ['tests/helpers/global-setup.ts'],
          // The files share one local stack, and some move the emulator's clock or delivery mode: one at a time.
          fileParallelism: false,
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          // Shares the integration suites' local stack (one per process, see the global setup); one file at a time.
          globalSetup: ['tests/helpers/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['tests/browser/**/*.test.ts'],
          // The same local stack (web app at /app), then the app built once and one headless Chromium.
          globalSetup: ['tests/helpers/global-setup.ts', 'tests/helpers/browser-setup.ts'],
          fileParallelism: false,
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'npm-start',
          include: ['tests/integration/start-stop.test.ts'],
          testTimeout: 90_000,
          hookTimeout: 90_000,
        },
      },
      {
        extends: true,
        test: { name: 'infra', include: ['tests/infra/**/*.test.ts'], testTimeout: 300_000, hookTimeout: 300_000 },
      },
    ],
  },
});
