import { describe, expect, it } from 'vitest';
import { stripe } from '#adapters/stripe/client';

/**
 * The local stack's secrets come from the environment (no cache): this proves the client follows the key it reads.
 * The deployed path, Secrets Manager through the five-minute cache, is tests/unit/secrets-cache.test.ts.
 */
describe('Stripe API key roll', () => {
  it('a warm function builds a new client for a rolled key on its next call and reuses it while unchanged', async () => {
    const original = process.env.LOCAL_STRIPE_API_KEY;
    if (!original) throw new Error('LOCAL_STRIPE_API_KEY is not set for the in-process functions');
    const first = await stripe();
    expect(await stripe()).toBe(first); // one client while the key is unchanged (keep-alive connections reused)

    process.env.LOCAL_STRIPE_API_KEY = `${original}_rolled`; // what put-secret-value does, as the function sees it
    try {
      const rolled = await stripe();
      expect(rolled).not.toBe(first);
      const balance = await rolled.balance.retrieve(); // the new client works against Stripe
      expect(balance.object).toBe('balance');
      expect(await stripe()).toBe(rolled);
    } finally {
      process.env.LOCAL_STRIPE_API_KEY = original;
    }
    expect(await stripe()).not.toBe(first); // and back: a new client for the restored key
  });
});
