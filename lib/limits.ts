/**
 * Runtime limits of the deployed stack, dependency-free so the local stack (local/) applies the same numbers:
 * function timeouts (handlers see them through context.getRemainingTimeInMillis()) and the payout queue's redrive.
 */
export const FUNCTION_TIMEOUT_SECONDS = {
  /** API routes. API Gateway gives up after 29 s; a route that needs longer belongs on a queue. */
  api: 10,
  /** The scheduled planner. */
  schedule: 300,
  /**
   * A reconciliation step: one page of 100 Stripe transfers with our side of each (a destination charge's transfer
   * costs two Stripe reads, paced by the rate budget: about 8 s for a page of them at 25 requests/s per endpoint).
   */
  'reconciliation-queue': 120,
  /** The availability sweep: at most 50 pages of 100 transitions, stopping 30 s before this limit. */
  'sweep-schedule': 180,
  /** Payout queue workers. */
  'payout-queue': 60,
  /** The outbox publisher (table stream → event bus). */
  'table-stream': 60,
  /** Event deliveries to the platform (10 s per request, endpoints in parallel). */
  'event-delivery-queue': 60,
  /** Partner emails. */
  'email-queue': 60,
  /** The Stripe events consumer (EventBridge channel): up to 10 events, each a Stripe re-read and a few writes. */
  'stripe-events-queue': 60,
} as const;

export const PAYOUT_QUEUE = {
  /** Deliveries before a payout message moves to the dead-letter queue (and the DLQ alarm fires). */
  maxReceiveCount: 5,
  /** AWS guidance for SQS event sources: at least 6x the worker timeout, so a retry never overlaps a running attempt. */
  visibilityTimeoutSeconds: 6 * FUNCTION_TIMEOUT_SECONDS['payout-queue'],
} as const;

export const RECONCILIATION_QUEUE = {
  /** Deliveries of a step before it moves to the dead-letter queue (alarmed on); the day's report then never lands. */
  maxReceiveCount: 5,
  visibilityTimeoutSeconds: 6 * FUNCTION_TIMEOUT_SECONDS['reconciliation-queue'],
} as const;

/** Largest request body any route accepts (httpHandler's MAX_BODY_BYTES); the WAF refuses larger non-webhook bodies. */
export const REQUEST_BODY_LIMIT_BYTES = 64 * 1024;

/** How long queued work is kept, and when its age alarms. */
export const QUEUE_RETENTION_DAYS = 14;
export const ALARM_THRESHOLDS = {
  /**
   * Oldest payout message older than this: the worker has stalled (throttled, disabled trigger, failing batch).
   * A 1,000,000-partner run sends for ~3 hours at Stripe's live limit, so its last messages wait about that long.
   */
  payoutQueueAgeSeconds: 4 * 3600,
  /** A message has sat in the dead-letter queue for a day: nobody redrove it. */
  deadLetterAgeSeconds: 24 * 3600,
  /** While the DLQ holds messages, the alarm is re-armed this often, so it notifies again. */
  deadLetterRenotifyHours: 6,
  /** API: share of 5xx answers over 5 minutes (two periods in a row). */
  api5xxRate: 0.05,
  /** API: p99 latency in milliseconds over 5 minutes (three periods in a row). */
  apiLatencyP99Ms: 5_000,
  /** Webhooks: share of deliveries refused (signature or payload) over 5 minutes, with at least 5 deliveries. */
  webhookRejectedRate: 0.2,
} as const;

export const STRIPE_EVENTS_QUEUE = {
  /** Deliveries of one Stripe event before it moves to the dead-letter queue (Stripe's own retries are gone). */
  maxReceiveCount: 8,
  visibilityTimeoutSeconds: 6 * FUNCTION_TIMEOUT_SECONDS['stripe-events-queue'],
} as const;
