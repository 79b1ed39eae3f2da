import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetConfigForTests } from '#config';
import { planAvailability, type SweepReport } from '#core/earning-availability';
import type { LedgerRecord } from '#core/payment-ports';
import { lambdaContext } from '#local/lambda-context';
import { functionEnvironment } from '#local/stack';
import { newPartnerUser } from '#tests/connect';
import { eventReceiver, eventsOfPartner, expectPublishedAndDelivered } from '#tests/event-receiver';
import { api, stackInfo } from '#tests/local';
import { admin, eventually } from '#tests/payments';
import { recordHeld } from '#tests/payouts';

/**
 * `earning.available`: the availability sweep (the scheduled job, run here in this process against the local stack)
 * stores each held earning's transition to available once, with its event in the same transaction; the event
 * reaches the platform's endpoint through the stream and the bus, signed. A second sweep, or two at once, writes
 * no second transition and no second event.
 */
const MINUTE = 60_000;
const DAY = 86_400_000;

type Sweep = (event: unknown, context: unknown) => Promise<SweepReport>;

describe('earning.available', () => {
  const hooks = eventReceiver();
  let ops = '';
  let endpoint = { id: '', secret: '' };
  let sweep: () => Promise<SweepReport> = async () => {
    throw new Error('not set up');
  };
  let adapters: {
    store: typeof import('#adapters/dynamodb/availability-store').dynamoAvailabilityStore;
    ledger: typeof import('#adapters/dynamodb/ledger-store').dynamoLedgerStore;
  };

  const available = (partnerId: string) => eventsOfPartner(ops, partnerId, 'earning.available');
  const heldEntries = async (partnerId: string) =>
    (await adapters.ledger.allEntries(partnerId)).filter((entry) => entry.id.startsWith('held:'));

  beforeAll(async () => {
    Object.assign(process.env, functionEnvironment(stackInfo(), 'unused', ''));
    resetConfigForTests();
    const job = (await import('../../functions/jobs/earnings-available.ts')) as unknown as { handler: Sweep };
    let invocation = 0;
    sweep = () => {
      invocation += 1;
      const at = new Date().toISOString();
      const event = { id: `sweep-${invocation}`, 'detail-type': 'Scheduled Event', time: at, detail: {} };
      return job.handler(event, lambdaContext('earnings-available', `sweep-${invocation}`, 180_000));
    };
    adapters = {
      store: (await import('#adapters/dynamodb/availability-store')).dynamoAvailabilityStore,
      ledger: (await import('#adapters/dynamodb/ledger-store')).dynamoLedgerStore,
    };
    await hooks.start();
    ops = (await admin()).idToken;
    const created = await api<{ id: string; secret: string }>('POST', '/admin/webhook-endpoints', {
      token: ops,
      body: { url: hooks.url('/available'), eventTypes: ['earning.available'] },
    });
    expect(created.status, created.text).toBe(201);
    endpoint = created.body;
  });
  afterAll(async () => {
    await api('DELETE', `/admin/webhook-endpoints/${endpoint.id}`, { token: ops });
    await hooks.close();
  });

  it('an earning past its holding period becomes available once: one event, delivered signed; a second sweep writes nothing', async () => {
    const partner = await newPartnerUser('avail-once');
    const now = Date.now();
    const dueAt = new Date(now - MINUTE).toISOString();
    const due = await recordHeld(partner.partnerId, 1_250, dueAt);
    const later = await recordHeld(partner.partnerId, 800, new Date(now + DAY).toISOString());
    // Recording writes `earning.recorded`, never `earning.available`: nothing is stored until a sweep runs.
    expect(await available(partner.partnerId)).toEqual([]);

    const first = await sweep();
    expect(first.madeAvailable).toBeGreaterThanOrEqual(1);
    expect(first.more).toBe(false);
    const [event, ...others] = await eventually(
      () => available(partner.partnerId),
      (events) => events.length > 0,
      20_000,
    );
    expect(others).toEqual([]);
    expect(event).toMatchObject({
      type: 'earning.available',
      partnerId: partner.partnerId,
      data: {
        entryId: `held:${due}`,
        externalId: due,
        source: 'recorded',
        amount: 1_250,
        currency: 'usd',
        availableAt: dueAt,
        reference: null,
      },
    });
    await expectPublishedAndDelivered(hooks, '/available', event?.id ?? '', endpoint.secret);

    // The transition is stored on the due entry only, and reads agree with it.
    const stored = Object.fromEntries((await heldEntries(partner.partnerId)).map((e) => [e.reference, e]));
    expect(stored[due]?.availableSince).toBeGreaterThanOrEqual(now);
    expect(Date.parse(event?.occurredAt ?? '')).toBe(stored[due]?.availableSince);
    expect(stored[later]?.availableSince).toBeUndefined();
    const history = await api<{ entries: Array<{ reference: string; payoutStatus: string }> }>('GET', '/earnings', {
      token: partner.idToken,
    });
    expect(history.status, history.text).toBe(200);
    expect(Object.fromEntries(history.body.entries.map((e) => [e.reference, e.payoutStatus]))).toEqual({
      [due]: 'available',
      [later]: 'pending',
    });

    // A stored transition leaves the work index: no sweep reads the entry again.
    const waiting: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await adapters.store.awaitingAvailability(Date.now() + 2 * DAY, { limit: 100, cursor });
      waiting.push(...page.entries.filter((e) => e.partnerId === partner.partnerId).map((e) => e.reference));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(waiting).toEqual([later]);

    // A second sweep finds no work left and writes nothing.
    const second = await sweep();
    expect(second).toEqual({ pages: 1, madeAvailable: 0, alreadyAvailable: 0, more: false });
    expect(await available(partner.partnerId)).toHaveLength(1);
    expect((await heldEntries(partner.partnerId)).find((e) => e.reference === due)?.availableSince).toBe(
      stored[due]?.availableSince,
    );
  });

  it('two sweeps at once store each transition and its event once', async () => {
    const partner = await newPartnerUser('avail-race');
    const at = new Date(Date.now() - MINUTE).toISOString();
    const ids = await Promise.all([300, 400, 500].map((amount) => recordHeld(partner.partnerId, amount, at)));

    const reports = await Promise.all([sweep(), sweep()]);
    const mine = await eventually(
      () => available(partner.partnerId),
      (events) => events.length >= 3,
      20_000,
    );
    expect(mine.map((e) => e.data.externalId).sort()).toEqual([...ids].sort());
    expect(reports.every((r) => r.more === false)).toBe(true);
    expect(new Set(mine.map((e) => e.id)).size).toBe(3);
    for (const event of mine) await expectPublishedAndDelivered(hooks, '/available', event.id, endpoint.secret);
    // Each delivery reached the platform once.
    const delivered = hooks.received.filter((r) => ids.includes(String(r.event.data.externalId)));
    expect(delivered).toHaveLength(3);
  });

  it('two sweeps that read the same entries before either writes: one stores each transition, the other none', async () => {
    const partner = await newPartnerUser('avail-stale');
    const at = new Date(Date.now() - MINUTE).toISOString();
    const ids = await Promise.all([610, 620].map((amount) => recordHeld(partner.partnerId, amount, at)));
    // Both sweeps read the waiting entries first (as concurrent invocations do), then both write.
    const waiting = (await heldEntries(partner.partnerId)).filter((e) => e.availableSince === undefined);
    expect(waiting).toHaveLength(2);
    const plannedA = planAvailability(waiting, Date.now());
    const plannedB = planAvailability(waiting, Date.now() + 1);
    const results = await Promise.all([
      ...plannedA.map((t) => adapters.store.markAvailable(t)),
      ...plannedB.map((t) => adapters.store.markAvailable(t)),
    ]);
    expect(results.filter(Boolean)).toHaveLength(2);
    const events = await eventually(
      () => available(partner.partnerId),
      (found) => found.length >= 2,
      20_000,
    );
    expect(events.map((e) => e.data.externalId).sort()).toEqual([...ids].sort());

    // A stored transition is final on its own: another event for the same entry (whatever its id) is refused whole.
    const [entry] = waiting as [LedgerRecord];
    const [again] = planAvailability([entry], Date.now());
    if (!again) throw new Error('no transition planned');
    const other = { ...again, event: { ...again.event, id: `${again.event.id}x` } };
    expect(await adapters.store.markAvailable(other)).toBe(false);
    expect(await available(partner.partnerId)).toHaveLength(2);
    // Neither is waiting any longer: a sweep reads past them.
    expect(await sweep()).toMatchObject({ madeAvailable: 0, alreadyAvailable: 0 });
  });

  it('an earning written before the sweep existed gets its one event once the backfill puts it in the index', async () => {
    const { dynamo, tableName } = await import('#adapters/dynamodb/client');
    const { ledgerEntryKey } = await import('#adapters/dynamodb/payment-keys');
    const { backfillAvailabilityIndex } = await import('#adapters/dynamodb/availability-backfill');
    const { UpdateCommand } = await import('@aws-sdk/lib-dynamodb');
    const partner = await newPartnerUser('avail-legacy');
    const due = await recordHeld(partner.partnerId, 990, new Date(Date.now() - MINUTE).toISOString());
    const [entry] = await heldEntries(partner.partnerId);
    if (!entry) throw new Error('no held entry');
    // As the code before the sweep wrote it: held (GSI3), without the availability index keys.
    await dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: ledgerEntryKey(entry.partnerId, true, entry.occurredAt, entry.id),
        UpdateExpression: 'REMOVE GSI2PK, GSI2SK',
      }),
    );
    await sweep();
    expect(await available(partner.partnerId)).toEqual([]);

    const options = { client: dynamo(), table: tableName() };
    expect((await backfillAvailabilityIndex({ ...options, dryRun: true })).indexed).toBeGreaterThanOrEqual(1);
    expect((await backfillAvailabilityIndex(options)).indexed).toBeGreaterThanOrEqual(1);
    // Run again: nothing left to index.
    expect(await backfillAvailabilityIndex(options)).toEqual({ indexed: 0, skipped: 0 });
    await sweep();
    const events = await eventually(
      () => available(partner.partnerId),
      (found) => found.length > 0,
      20_000,
    );
    expect(events.map((e) => e.data.externalId)).toEqual([due]);
  });
});
