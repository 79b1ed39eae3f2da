/**
 * Queue batch sizes, apart from the route table so that a function needing one (the Stripe rate budgets reserve
 * start times per payout batch) does not bundle and build the whole table at cold start. `functions/routes.ts`
 * re-exports them for the stacks.
 */

/** Stripe events per consumer invocation (EventBridge channel); processed one after another. */
export const STRIPE_EVENTS_BATCH_SIZE = 10;

/**
 * Payout messages per worker invocation (the SQS event source's batch size). The worker reserves this many Stripe
 * rate-budget start times per write, one per payout of a batch.
 */
export const PAYOUT_BATCH_SIZE = 10;
