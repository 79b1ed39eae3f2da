import { beforeAll, describe, expect, it } from 'vitest';
import { resetConfigForTests } from '#config';
import { domainEvent } from '#core/domain-events';
import { ensureAccount, syncAccountState } from '#core/onboarding';
import { deriveStatus, type Partner } from '#core/partner';
import type { PartnerDeps } from '#core/partner-access';
import { partnerStateEvents } from '#core/partner-events';
import type { StripeAccountSnapshot } from '#core/partner-ports';
import { functionEnvironment } from '#local/stack';
import { newPartnerUser, tableItem, withHeldDeliveries } from '#tests/connect';
import { eventsOfPartner, type StoredEvent } from '#tests/event-receiver';
import { api, stackInfo } from '#tests/local';
import { admin, emulator } from '#tests/payments';

/**
 * The partner's account state is written compare-and-set on the partner's version from its very first write (the
 * attach of the account, then the first state read from Stripe by the Connect webhook or the onboarding return):
 * two writes decided against the same partner never both land, the loser decides again against what won, and each
 * `partner.status_changed` names the version it replaced, so its `from` is always the status it replaced.
 */
describe('first writes of a partner’s account state', () => {
  let ops = '';
  let repository: typeof import('#adapters/dynamodb/partner-repository').dynamoPartnerRepository;
  let deps: () => PartnerDeps;
  let stripe: typeof import('#adapters/stripe/connect').stripeConnect;

  const statusEvents = async (partnerId: string): Promise<StoredEvent[]> =>
    (await eventsOfPartner(ops, partnerId, 'partner.status_changed')).reverse();
  const stored = async (partnerId: string): Promise<Partner> => {
    const partner = await repository.get(partnerId);
    if (!partner) throw new Error(`no partner ${partnerId}`);
    return partner;
  };
  const writeOf = (partner: Partner, snapshot: StripeAccountSnapshot, stateAsOf: string) => {
    const write = {
      accountId: snapshot.accountId,
      country: snapshot.country,
      state: snapshot.state,
      status: deriveStatus({ stripeAccountId: snapshot.accountId, onboarding: snapshot.state, disconnected: false }),
      stateAsOf,
      at: new Date().toISOString(),
    };
    return {
      ...write,
      events: partnerStateEvents(partner, write, new Date()),
      expectedVersion: partner.version,
    };
  };
  /** A partner with its Express account attached and no state read since (webhooks held by the caller). */
  const attached = async (prefix: string) => {
    const person = await newPartnerUser(prefix);
    const link = await api('POST', '/connect/onboarding-link', { token: person.idToken, body: {} });
    expect(link.status, link.text).toBe(200);
    const partner = await stored(person.partnerId);
    return { person, partner, accountId: partner.stripeAccountId ?? '' };
  };
  /**
   * A gate for Stripe calls: each call made through `hold` returns its result only once `release()` is called (a
   * handler held between its Stripe call and its write); `reached(n)` resolves once n calls have returned from Stripe.
   */
  const gate = () => {
    let calls = 0;
    const waiters: Array<{ count: number; resolve: () => void }> = [];
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const hold = async <T>(call: Promise<T>): Promise<T> => {
      const result = await call;
      calls += 1;
      for (const waiter of waiters) if (calls >= waiter.count) waiter.resolve();
      await released;
      return result;
    };
    const reached = (count: number) => new Promise<void>((resolve) => waiters.push({ count, resolve }));
    return { hold, reached, release };
  };

  beforeAll(async () => {
    Object.assign(process.env, functionEnvironment(stackInfo(), 'unused', ''));
    resetConfigForTests();
    repository = (await import('#adapters/dynamodb/partner-repository')).dynamoPartnerRepository;
    stripe = (await import('#adapters/stripe/connect')).stripeConnect;
    const { partnerDeps } = await import('#adapters/partner-deps');
    deps = () => partnerDeps({ info: () => undefined, warn: () => undefined }, { stripe });
    ops = (await admin()).idToken;
  });

  it('two state writes decided against the same version: the second is refused whatever its read, and converges', async () => {
    await withHeldDeliveries(async () => {
      const { person, partner, accountId } = await attached('first-write');
      // Two reads of the account (as the webhook and the return route make them), the second one later and newer.
      await emulator().setAccountState(accountId, 'restricted', { requirements: ['individual.id_number'] });
      const olderAt = new Date().toISOString();
      const older = await stripe.retrieveAccount(accountId);
      await emulator().setAccountState(accountId, 'verified');
      const newerAt = new Date(Date.now() + 1).toISOString();
      const newer = await stripe.retrieveAccount(accountId);
      const olderWrite = writeOf(partner, older, olderAt);
      const newerWrite = writeOf(partner, newer, newerAt);
      expect([olderWrite.status, newerWrite.status]).toEqual(['restricted', 'active']);
      const before = await statusEvents(person.partnerId);

      // The older read lands first; the newer one was decided against the same version: refused whole, although
      // its read is the later one (no stateAsOf order can tell that its events' `from` is stale).
      expect((await repository.saveOnboardingState(partner.id, olderWrite)).written).toBe(true);
      const afterFirst = await tableItem(`PARTNER#${partner.id}`, 'PROFILE');
      expect((await repository.saveOnboardingState(partner.id, newerWrite)).written).toBe(false);
      expect(await tableItem(`PARTNER#${partner.id}`, 'PROFILE')).toEqual(afterFirst);

      // The loser decides again against what won: the newer state is stored, with one event from `restricted`.
      const { outcome } = await syncAccountState(deps(), partner);
      expect(outcome).toBe('synced');
      expect(await stored(partner.id)).toMatchObject({ status: 'active', version: partner.version + 2 });
      const events = (await statusEvents(person.partnerId)).slice(before.length);
      expect(events.map((e) => [e.data.from, e.data.to])).toEqual([
        [partner.status, 'restricted'],
        ['restricted', 'active'],
      ]);
    });
  });

  it('the webhook and the return route reading the same account at once: one write lands, one event, both converge', async () => {
    await withHeldDeliveries(async () => {
      const { person, partner, accountId } = await attached('first-race');
      await emulator().setAccountState(accountId, 'verified');
      const before = await statusEvents(person.partnerId);
      const { hold, reached, release } = gate();
      const held: PartnerDeps = {
        ...deps(),
        stripe: { ...stripe, retrieveAccount: (id: string) => hold(stripe.retrieveAccount(id)) },
      };
      const bothRead = reached(2);
      const racing = [syncAccountState(held, partner), syncAccountState(held, partner)];
      await bothRead;
      release();
      const results = await Promise.all(racing);
      // One landed on the version both read; the other was refused and stored nothing newer than the winner's.
      expect(results.map((r) => r.outcome).sort()).toEqual(expect.arrayContaining(['synced']));
      const final = await stored(partner.id);
      expect(final.status).toBe('active');
      for (const result of results) expect(result.partner.status).toBe('active');
      const events = (await statusEvents(person.partnerId)).slice(before.length);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        id: domainEvent(
          'partner.status_changed',
          `${partner.id}:v${partner.version}:status:active`,
          { partnerId: partner.id, from: partner.status, to: 'active' },
          new Date(),
          partner.id,
        ).id,
        data: { from: partner.status, to: 'active' },
      });
    });
  });

  it('the attach of the account is refused when the partner changed since it was read, and is decided again', async () => {
    await withHeldDeliveries(async () => {
      const person = await newPartnerUser('first-attach');
      const partner = await stored(person.partnerId);
      // The account creation waits at Stripe while the partner changes (a new payout preference: a new version).
      const { hold, reached, release } = gate();
      const creating = reached(1);
      const held: PartnerDeps = {
        ...deps(),
        stripe: { ...stripe, createExpressAccount: (request) => hold(stripe.createExpressAccount(request)) },
      };
      const attaching = ensureAccount(held, { partner, role: 'owner' }, { sub: person.sub, email: person.email }, {});
      await creating;
      const changed = await api('PUT', '/partners/me/payout-preference', {
        token: person.idToken,
        body: { method: 'manual' },
      });
      expect(changed.status, changed.text).toBe(200);
      release();
      const result = await attaching;
      expect(result.created).toBe(true);
      const after = await stored(partner.id);
      expect(after).toMatchObject({ payoutPreference: 'manual', version: partner.version + 2 });
      expect(after.stripeAccountId).toEqual(expect.stringMatching(/^acct_/));
      // Its event names the version the attach replaced (the changed one), not the one first read.
      const [event, ...others] = await statusEvents(person.partnerId);
      expect(others).toEqual([]);
      expect(event?.id).toBe(
        domainEvent(
          'partner.status_changed',
          `${partner.id}:v${partner.version + 1}:status:${after.status}`,
          { partnerId: partner.id, from: partner.status, to: after.status },
          new Date(),
          partner.id,
        ).id,
      );
    });
  });
});
