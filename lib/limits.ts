/**
 * Runtime limits of the deployed stack, dependency-free so the local stack (local/) applies the same numbers:
 * function timeouts (handlers see them through context.getRemainingTimeInMillis()) and the payout queue's redrive.
 */
export const FUNCTION_TIMEOUT_SECONDS = {
  /** API routes. API Gateway gives up after 29 s; a route that needs longer belongs on a queue. */
  api: 10,
  /** The scheduled planner. */
  schedule: 300,
  /** Payout queue workers. */
  'payout-queue': 60,
  /** The Stripe events consumer (EventBridge channel): up to 10 events, each a Stripe re-read and a few writes. */
  'stripe-events-queue': 60,
} as const;

export const PAYOUT_QUEUE = {
  /** Deliveries before a payout message moves to the dead-letter queue (and the DLQ alarm fires). */
  maxReceiveCount: 5,
  /** AWS guidance for SQS event sources: at least 6x the worker timeout, so a retry never overlaps a running attempt. */
  visibilityTimeoutSeconds: 6 * FUNCTION_TIMEOUT_SECONDS['payout-queue'],
} as const;

export const STRIPE_EVENTS_QUEUE = {
  /** Deliveries of one Stripe event before it moves to the dead-letter queue (Stripe's own retries are gone). */
  maxReceiveCount: 8,
  visibilityTimeoutSeconds: 6 * FUNCTION_TIMEOUT_SECONDS['stripe-events-queue'],
} as const;
