import { AsyncLocalStorage } from 'node:async_hooks';
import type { StripeLane } from '#core/stripe-limits';

/**
 * Which lane of the global Stripe rate budget the requests of the current call chain use. API routes run their use
 * case in the interactive lane (httpHandler does it); everything else — webhook handlers, payout workers, scripts —
 * is background by default. Kept apart from the Stripe client so routes that never call Stripe do not bundle it.
 */
const lane = new AsyncLocalStorage<StripeLane>();

export function withStripeLane<T>(which: StripeLane, run: () => Promise<T>): Promise<T> {
  return lane.run(which, run);
}

export function currentStripeLane(): StripeLane {
  return lane.getStore() ?? 'background';
}
