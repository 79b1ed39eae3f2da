/**
 * Function timeouts in seconds, dependency-free so the local API server can apply the same limits as the stack
 * (handlers see them through context.getRemainingTimeInMillis()).
 */
export const FUNCTION_TIMEOUT_SECONDS = {
  /** API routes. API Gateway gives up after 29 s; a route that needs longer belongs on a queue. */
  api: 10,
  /** The scheduled planner. */
  schedule: 300,
  /** Payout queue workers; the queue's visibility timeout is 6x this. */
  'payout-queue': 60,
} as const;
