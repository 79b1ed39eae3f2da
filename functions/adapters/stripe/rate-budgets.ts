import Stripe from 'stripe';
import { config } from '#config';
import { createStripeRateBudgets, type StripeRateBudgets, type StripeRequestSlot } from '#core/rate-budget';
import { type DeclaredStripeLimits, type KeyMode, planStripeBudgets, stripeEndpoint } from '#core/stripe-limits';
import { PAYOUT_BATCH_SIZE } from '../../batch-sizes.ts';
import { dynamoRateBudgetStore } from '../dynamodb/rate-budget-store.ts';
import { currentStripeContext } from './lane.ts';

/** The stage's declared limits (`STRIPE_RATE_LIMITS`, JSON); `{}` = Stripe's documented defaults. */
export function declaredStripeLimits(): DeclaredStripeLimits {
  return config().STRIPE_RATE_LIMITS ?? {};
}

const budgetsByMode = new Map<KeyMode, StripeRateBudgets>();

/** One set of budgets per key mode and execution environment, shared through the table with every function. */
export function stripeRateBudgets(mode: KeyMode): StripeRateBudgets {
  let budgets = budgetsByMode.get(mode);
  if (!budgets) {
    budgets = createStripeRateBudgets({
      plan: planStripeBudgets(mode, declaredStripeLimits()),
      store: dynamoRateBudgetStore,
      // Requests that wait together (a batch of payouts) reserve their start times in one write.
      blockSize: PAYOUT_BATCH_SIZE,
    });
    budgetsByMode.set(mode, budgets);
  }
  return budgets;
}

/** Tests change the declared limits between cases. */
export function resetStripeRateBudgetsForTests(): void {
  budgetsByMode.clear();
}

export type StripeWaitObserver = (slot: StripeRequestSlot, waitedMs: number) => void;
let observer: StripeWaitObserver | undefined;

/** Benchmarks and tests see how long each request waited for its start time (one observer; undefined removes it). */
export function observeStripeWaits(next: StripeWaitObserver | undefined): void {
  observer = next;
}

/**
 * The SDK's own Node HTTP client with every request — first attempts and the SDK's retries alike — taking its start
 * time from the budgets just before it leaves. The SDK's timeout covers the request itself, not the wait.
 */
export function pacedHttpClient(mode: KeyMode): NonNullable<Stripe.StripeConfig['httpClient']> {
  const inner = Stripe.createNodeHttpClient();
  return {
    getClientName: () => inner.getClientName(),
    async makeRequest(host, port, path, method, headers, requestData, protocol, timeout) {
      const slot: StripeRequestSlot = { endpoint: stripeEndpoint(method, path), ...currentStripeContext() };
      const waited = await stripeRateBudgets(mode).acquire(slot);
      observer?.(slot, waited);
      return inner.makeRequest(host, port, path, method, headers, requestData, protocol, timeout);
    },
  };
}
