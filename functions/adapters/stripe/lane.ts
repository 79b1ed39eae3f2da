import { AsyncLocalStorage } from 'node:async_hooks';
import type { StripeLane, StripeShare } from '#core/stripe-limits';

/**
 * Where the requests of the current call chain sit in the Stripe rate budgets: which lane of the global budget they
 * use and, for a job with a share of its own, that share. API routes run their use case in the interactive lane
 * (httpHandler does it); reconciliation runs its steps in its share of the background lane (the reconcile job does
 * it); everything else — webhook handlers, payout workers, scripts — is background by default. Kept apart from the
 * Stripe client so routes that never call Stripe do not bundle it.
 */
export interface StripeCallContext {
  lane: StripeLane;
  share?: StripeShare;
}

const context = new AsyncLocalStorage<StripeCallContext>();

export function withStripeLane<T>(which: StripeLane, run: () => Promise<T>): Promise<T> {
  return context.run({ lane: which }, run);
}

/** Runs `run` with its Stripe requests in `share` of the background lane. */
export function withStripeShare<T>(share: StripeShare, run: () => Promise<T>): Promise<T> {
  return context.run({ lane: 'background', share }, run);
}

export function currentStripeContext(): StripeCallContext {
  return context.getStore() ?? { lane: 'background' };
}
