import type { TestProject } from 'vitest/node';
import type { LocalStackInfo } from '#local/stack';
import { startLocalStack } from '#local/stack';

declare module 'vitest' {
  export interface ProvidedContext {
    stack: LocalStackInfo;
  }
}

/**
 * Starts the whole local stack once for the integration suites: DynamoDB Local, cognito-local, the Stripe
 * emulator and the API Gateway stand-in, all on free ports, and stops every process afterwards.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Handlers run in this process: keep their logs out of the test output unless asked for.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  const stack = await startLocalStack({
    apiPort: 0,
    dynamoPort: 0,
    cognitoPort: 0,
    stripePort: 0,
    stripeInitialBalance: [{ currency: 'usd', amount: 100_000_000 }],
    // Integration tests exercise our code, not Stripe's limit; the payout suites set their own limit.
    stripeRateLimitPerSecond: 10_000,
  });
  project.provide('stack', stack.info);
  return () => stack.stop();
}
