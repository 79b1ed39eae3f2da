import type { TestProject } from 'vitest/node';
import { type Examples, mergeExamples, redact } from '#local/openapi/examples';
import type { LocalStack, LocalStackInfo } from '#local/stack';
import { startLocalStack } from '#local/stack';

/** What the shared test stack declares: every limit raised to 1,000/s (see the comment at its use). */
export const TEST_SUITE_STRIPE_LIMITS = { global: 1_000, endpointDefault: 1_000 } as const;

declare module 'vitest' {
  export interface ProvidedContext {
    stack: LocalStackInfo;
  }
}

/**
 * The handlers run in vitest's main process and read their configuration from `process.env`, which
 * `startLocalStack` sets: one process can host only one local stack. Every project that lists this global setup
 * in one vitest process therefore shares the same stack, started by the first and stopped by the last; `npm test`
 * runs them in lanes of their own processes (local/test-all.ts), each with its own stack. Their files run one at a
 * time (fileParallelism: false puts them in vitest's single sequential group), so they never overlap.
 */
interface SharedStack {
  stack: Promise<LocalStack>;
  users: number;
}
const shared = globalThis as typeof globalThis & { __connectPayoutsStack?: SharedStack };

/**
 * Starts the whole local stack once for the suites that need it: DynamoDB Local, cognito-local, the Stripe
 * emulator and the API Gateway stand-in, all on free ports, and stops every process afterwards.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Handlers run in this process: keep their logs out of the test output unless asked for.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  // The payment suites test the customer-set amount route (POST /payments/intents) on purpose: open amounts are on
  // in the test stack. Their refusal when off (the default) is a unit test; `npm start` keeps the default.
  process.env.OPEN_AMOUNTS ??= 'true';
  shared.__connectPayoutsStack ??= {
    stack: startLocalStack({
      apiPort: 0,
      dynamoPort: 0,
      cognitoPort: 0,
      stripePort: 0,
      stripeInitialBalance: [{ currency: 'usd', amount: 100_000_000 }],
      // Raised limits, declared explicitly to the emulator and the functions alike: the suites create hundreds of
      // partners, payments and payouts back to back through the API, which at Stripe's test-mode defaults (the
      // interactive lane gets 20 % of 23.75/s) would make every file minutes long. The Stripe-limits suite
      // (tests/integration/stripe-limits.test.ts) switches both back to Stripe's defaults for its own scenarios.
      stripeRateLimits: TEST_SUITE_STRIPE_LIMITS,
      functionStripeRateLimits: TEST_SUITE_STRIPE_LIMITS,
      // Redeliveries (ambiguous Stripe failures, crashes) come back after 2 s instead of AWS's 6 minutes.
      payoutVisibilityTimeoutSeconds: 2,
      // Every answer the suites receive must be one the API contract (openapi.json) documents.
      enforceContract: true,
      // The web app at /app for the browser suites; partners still return from Stripe to the API's own page
      // (APP_URL empty), which the onboarding and security suites check.
      webApp: true,
      appUrl: '',
      recordExamples: process.env.RECORD_EXAMPLES === '1',
    }),
    users: 0,
  };
  const entry = shared.__connectPayoutsStack;
  entry.users += 1;
  const stack = await entry.stack;
  project.provide('stack', stack.info);
  return async () => {
    entry.users -= 1;
    if (entry.users > 0) return;
    shared.__connectPayoutsStack = undefined;
    const violations = [...stack.api.contractViolations];
    if (process.env.RECORD_EXAMPLES === '1') mergeExamples(redact(stack.api.examples) as Examples);
    await stack.stop();
    // A violation already answered 500 to the request that caused it; this also catches answers no test checked
    // (webhook deliveries, fire-and-forget calls).
    if (violations.length > 0) {
      throw new Error(
        `The API broke its contract ${violations.length} time(s):\n${violations
          .map((v) => `- ${v.route} ${v.status}: ${v.problem}`)
          .join('\n')}`,
      );
    }
  };
}
