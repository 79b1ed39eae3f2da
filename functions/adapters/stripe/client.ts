import Stripe from 'stripe';
import { config } from '#config';
import { keyMode } from '#core/stripe-limits';
import { readSecret } from '../secrets.ts';
import { STRIPE_API_VERSION } from './api-version.ts';
import { pacedHttpClient } from './rate-budgets.ts';

let current: { apiKey: string; client: Stripe } | undefined;

/**
 * The Stripe client for the current API key, built from config. In AWS it talks to api.stripe.com with the key from
 * Secrets Manager; locally STRIPE_API_HOST/PORT/PROTOCOL point the same SDK at the emulator.
 *
 * The key is read through the secrets cache (five minutes) on every call and the client rebuilt only when the key
 * changed: a rolled key reaches every warm function within five minutes, with no redeploy, and otherwise the same
 * client (and its keep-alive connections) is reused. A failed secret read is thrown to the caller, never cached.
 *
 * The SDK's own retries are on (Stripe-documented: it retries network errors, 409, 429 and 5xx with the same
 * idempotency key); every write we make passes our own idempotency key, so a retry never doubles a write.
 *
 * Every request, retries included, first takes a start time from the stage's Stripe rate budgets (its endpoint's
 * and one lane of the global budget, see `#core/stripe-limits`), so all functions together stay under the account's
 * limits. The API version is pinned (`STRIPE_API_VERSION`), never left to the account's default.
 */
export async function stripe(): Promise<Stripe> {
  const apiKey = await readSecret('stripeApiKey');
  if (current?.apiKey !== apiKey) {
    const cfg = config();
    current = {
      apiKey,
      client: new Stripe(apiKey, {
        apiVersion: STRIPE_API_VERSION,
        httpClient: pacedHttpClient(keyMode(apiKey)),
        maxNetworkRetries: 2,
        timeout: 20_000,
        appInfo: { name: 'connect-payouts', url: 'https://github.com/connect-payouts/connect-payouts' },
        ...(cfg.STRIPE_API_HOST ? { host: cfg.STRIPE_API_HOST } : {}),
        ...(cfg.STRIPE_API_PORT ? { port: cfg.STRIPE_API_PORT } : {}),
        ...(cfg.STRIPE_API_PROTOCOL ? { protocol: cfg.STRIPE_API_PROTOCOL } : {}),
      }),
    };
  }
  return current.client;
}

/** Idempotency keys are derived from our own identifiers, never random: `<operation>:<our id>[:<attempt>]`. */
export function idempotencyKey(operation: string, ...ids: Array<string | number>): string {
  return [operation, ...ids].join(':');
}

let stripeClock: () => number = () => Math.floor(Date.now() / 1000);

/**
 * Stripe's time (epoch seconds), for the timestamps we send (a Checkout Session's `expires_at`). In AWS it is our
 * clock; the local stack points it at the Stripe emulator's clock, which tests move forward.
 */
export const stripeNow = (): number => stripeClock();

/** Local stack only: follow the emulator's clock. */
export function useStripeClock(source: () => number): void {
  stripeClock = source;
}
