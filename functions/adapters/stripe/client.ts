import Stripe from 'stripe';
import { config } from '#config';
import { readSecret } from '../secrets.ts';

let client: Promise<Stripe> | undefined;

/**
 * One Stripe client per execution environment, built from config. In AWS it talks to api.stripe.com with the key
 * from Secrets Manager; locally STRIPE_API_HOST/PORT/PROTOCOL point the same SDK at the emulator.
 *
 * The SDK's own retries are on (Stripe-documented: it retries network errors, 409, 429 and 5xx with the same
 * idempotency key); every write we make passes our own idempotency key, so a retry never doubles a write.
 */
export function stripe(): Promise<Stripe> {
  client ??= readSecret('stripeApiKey').then((apiKey) => {
    const cfg = config();
    return new Stripe(apiKey, {
      maxNetworkRetries: 2,
      timeout: 20_000,
      appInfo: { name: 'connect-payouts', url: 'https://github.com/connect-payouts/connect-payouts' },
      ...(cfg.STRIPE_API_HOST ? { host: cfg.STRIPE_API_HOST } : {}),
      ...(cfg.STRIPE_API_PORT ? { port: cfg.STRIPE_API_PORT } : {}),
      ...(cfg.STRIPE_API_PROTOCOL ? { protocol: cfg.STRIPE_API_PROTOCOL } : {}),
    });
  });
  client.catch(() => {
    client = undefined; // a failed secret read must not poison the execution environment
  });
  return client;
}

/** Idempotency keys are derived from our own identifiers, never random: `<operation>:<our id>[:<attempt>]`. */
export function idempotencyKey(operation: string, ...ids: Array<string | number>): string {
  return [operation, ...ids].join(':');
}
