import type Stripe from 'stripe';

/**
 * A Stripe event of `type` around `object`, as the mappers read it (unit tests of `toPlatformEvent` and
 * `toConnectEvent`): `account` only when given, as Stripe sends it for events of connected accounts.
 */
export const stripeEvent = (type: string, object: Record<string, unknown>, account?: string) =>
  ({
    id: 'evt_1',
    object: 'event',
    type,
    created: 1_700_000_000,
    ...(account ? { account } : {}),
    data: { object },
    livemode: false,
  }) as unknown as Stripe.Event;
