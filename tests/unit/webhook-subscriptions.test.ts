import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONNECT_EVENT_TYPES, toConnectEvent } from '#adapters/stripe/connect-event';
import { PLATFORM_EVENT_TYPES, toPlatformEvent } from '#adapters/stripe/platform-event';
import { stripeEvent } from '#tests/stripe-event';

const event = stripeEvent;

/** A plausible object of each type, carrying the references the mappings look for. */
const OBJECT = {
  id: 'obj_1',
  account: 'acct_1',
  payment_intent: 'pi_1',
  charge: 'ch_1',
  source_transaction: 'ch_1',
  status: 'paid',
  amount: 100,
  currency: 'usd',
};

/**
 * The endpoints subscribe to exactly the events the handlers act on: a listed type the mapping ignores would be a
 * wasted (billed) delivery, and a handled type missing from the list would never arrive in production.
 */
describe('webhook subscriptions', () => {
  it('every platform type subscribed to is acted on', () => {
    for (const type of PLATFORM_EVENT_TYPES) {
      expect(toPlatformEvent(event(type, OBJECT)).kind, type).not.toBe('ignored');
    }
  });

  it('every Connect type subscribed to is acted on', () => {
    for (const type of CONNECT_EVENT_TYPES) {
      expect(toConnectEvent(event(type, OBJECT, 'acct_1')).kind, type).not.toBe('ignored');
    }
  });

  it('types the emulator emits but no handler acts on are not subscribed to', () => {
    const unhandled = ['payment_intent.created', 'charge.succeeded', 'transfer.created', 'application_fee.created'];
    for (const type of unhandled) {
      expect(toPlatformEvent(event(type, OBJECT)).kind, type).toBe('ignored');
      expect(PLATFORM_EVENT_TYPES as readonly string[], type).not.toContain(type);
      expect(CONNECT_EVENT_TYPES as readonly string[], type).not.toContain(type);
    }
  });

  it('the README tells the operator to select exactly these events', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const deploy = readme.slice(readme.indexOf('## Deploy'), readme.indexOf('## Tests'));
    const platform = deploy.slice(deploy.indexOf('platform endpoint'), deploy.indexOf('Connect endpoint'));
    const connect = deploy.slice(deploy.indexOf('Connect endpoint'));
    const listed = (text: string) => [...text.matchAll(/`([a-z_]+(?:\.[a-z_]+)+)`/g)].map((m) => m[1]).sort();
    expect(listed(platform)).toEqual([...PLATFORM_EVENT_TYPES].sort());
    expect(listed(connect)).toEqual([...CONNECT_EVENT_TYPES].sort());
  });
});
