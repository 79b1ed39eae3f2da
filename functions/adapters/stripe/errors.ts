import Stripe from 'stripe';
import { domainError, isDomainError } from '#core/errors';

/**
 * The one table from Stripe's error classes to our domain errors. Stripe's own message stays in `cause` (for the
 * logs): it can name parameters and accounts, so it never reaches an API response. Stripe's request id is kept in
 * `details`, where support can quote it.
 */
export function stripeFailure(error: unknown, attempted: string): unknown {
  if (!(error instanceof Stripe.errors.StripeError)) return error;
  const details = error.requestId ? { stripeRequestId: error.requestId } : undefined;
  const failure = (() => {
    if (error instanceof Stripe.errors.StripeIdempotencyError) {
      return domainError(
        'idempotency_conflict',
        `Stripe refused to ${attempted}: the same request was made with different parameters.`,
        details,
      );
    }
    if (error instanceof Stripe.errors.StripeRateLimitError) {
      return domainError('stripe_rate_limited', 'Stripe is busy; retry in a moment.', details);
    }
    if (error instanceof Stripe.errors.StripeInvalidRequestError) {
      return domainError('stripe_invalid_request', `Stripe refused to ${attempted}.`, details);
    }
    if (error instanceof Stripe.errors.StripePermissionError) {
      return domainError('stripe_permission_denied', `Stripe refused to ${attempted}.`, details);
    }
    // API errors, connection failures, authentication (a misconfigured key): Stripe failed, not the caller.
    return domainError('stripe_error', `Stripe could not ${attempted}; retry later.`, details);
  })();
  failure.cause = { type: error.type, code: error.code, statusCode: error.statusCode, message: error.message };
  return failure;
}

/** Stripe's error code, when the error is Stripe's. */
export function stripeErrorCode(error: unknown): string | undefined {
  return error instanceof Stripe.errors.StripeError ? error.code : undefined;
}

export const isStripeError = (error: unknown): error is InstanceType<typeof Stripe.errors.StripeError> =>
  error instanceof Stripe.errors.StripeError;

/**
 * Stripe answered that an object we asked for does not exist (`resource_missing`), e.g. a signed event names a
 * PaymentIntent Stripe does not have. Asking again cannot change that answer.
 */
export function isStripeObjectMissing(error: unknown): boolean {
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  return isDomainError(error) && error.kind === 'upstream' && cause?.code === 'resource_missing';
}
