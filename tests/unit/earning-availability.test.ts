import { describe, expect, it } from 'vitest';
import {
  type AvailabilityStore,
  type AvailabilityTransition,
  planAvailability,
  sweepAvailableEarnings,
} from '#core/earning-availability';
import { payoutStatusOf } from '#core/earnings';
import type { LedgerRecord } from '#core/payment-ports';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 30, 12, 0);
const PARTNER = 'ptn_aaaaaaaaaaaaaaaaaaaaaaaa';

const held = (externalId: string, availableAt: number, overrides: Partial<LedgerRecord> = {}): LedgerRecord => ({
  id: `held:${externalId}`,
  partnerId: PARTNER,
  currency: 'usd',
  type: 'earning',
  amount: 1_000,
  occurredAt: NOW - 10 * DAY,
  description: 'Referral bonus',
  reference: externalId,
  payoutStatus: 'pending',
  availableAt,
  recordedAt: new Date(NOW - 10 * DAY).toISOString(),
  ...overrides,
});

describe('planAvailability', () => {
  it('plans one transition per held earning whose holding period has ended, with its event', () => {
    const due = held('job-1', NOW - DAY, { platformReference: 'job-1-ref' });
    const edge = held('job-2', NOW);
    const [first, second, ...rest] = planAvailability([due, edge, held('job-3', NOW + 1)], NOW);
    expect(rest).toEqual([]);
    expect(first?.availableSince).toBe(NOW);
    expect(first?.entry).toBe(due);
    expect(first?.event).toMatchObject({
      type: 'earning.available',
      version: 1,
      partnerId: PARTNER,
      occurredAt: new Date(NOW).toISOString(),
      data: {
        entryId: 'held:job-1',
        externalId: 'job-1',
        source: 'recorded',
        amount: 1_000,
        currency: 'usd',
        availableAt: new Date(NOW - DAY).toISOString(),
        reference: 'job-1-ref',
      },
    });
    expect(second?.event.data).toMatchObject({ entryId: 'held:job-2', reference: null });
  });

  it('names the event by the entry: planned again later, the same earning gets the same event id', () => {
    const entry = held('commission:pi_123', NOW - DAY);
    const [now] = planAvailability([entry], NOW);
    const [later] = planAvailability([entry], NOW + DAY);
    expect(now?.event.id).toBe(later?.event.id);
    expect(now?.event.data.source).toBe('commission');
    const [other] = planAvailability([held('commission:pi_124', NOW - DAY)], NOW);
    expect(other?.event.id).not.toBe(now?.event.id);
  });

  it('plans nothing for a stored transition, a line that is not an earning, or a Stripe-paid earning', () => {
    expect(
      planAvailability(
        [
          held('done', NOW - DAY, { availableSince: NOW - 1 }),
          held('claw', NOW - DAY, { type: 'clawback', amount: -100 }),
          held('adj', NOW - DAY, { type: 'adjustment', amount: 50 }),
          held('dest', NOW - DAY, { payoutStatus: 'transferred' }),
          held('no-time', NOW - DAY, { availableAt: undefined }),
        ],
        NOW,
      ),
    ).toEqual([]);
  });

  it('still plans an earning a payout run attached before the sweep reached it (it did become available)', () => {
    const attached = planAvailability([held('early', NOW - DAY, { payoutStatus: 'in_payout', payoutId: 'po_1' })], NOW);
    expect(attached).toHaveLength(1);
  });

  it('reads agree with the stored transition', () => {
    const entry = held('read', NOW + DAY);
    expect(payoutStatusOf(entry, NOW)).toBe('pending');
    // Stored (by a sweep whose clock ran ahead of this reader's): available, whatever the reader's clock says.
    expect(payoutStatusOf({ ...entry, availableSince: NOW + DAY }, NOW)).toBe('available');
    // The payout run's own states stay what they are.
    expect(payoutStatusOf({ ...entry, availableSince: NOW, payoutStatus: 'paid' }, NOW)).toBe('paid');
  });
});

/** The sweep's contract with its storage, in memory: a sparse index that a stored transition leaves. */
class MemoryAvailability implements AvailabilityStore {
  readonly events = new Map<string, AvailabilityTransition['event']>();
  reads = 0;
  constructor(readonly entries: LedgerRecord[]) {}

  async awaitingAvailability(at: number, page: { cursor?: string | undefined; limit: number }) {
    this.reads += 1;
    const waiting = this.entries
      .filter((e) => e.availableSince === undefined && (e.availableAt ?? Infinity) <= at)
      .sort((a, b) => (a.availableAt as number) - (b.availableAt as number) || (a.id < b.id ? -1 : 1))
      .filter((e) => page.cursor === undefined || e.id > page.cursor);
    const entries = waiting.slice(0, page.limit).map((e) => ({ ...e }));
    const last = entries.at(-1);
    return { entries, nextCursor: waiting.length > page.limit && last ? last.id : null };
  }

  async markAvailable(transition: AvailabilityTransition) {
    const stored = this.entries.find((e) => e.id === transition.entry.id);
    if (!stored || stored.availableSince !== undefined || this.events.has(transition.event.id)) return false;
    Object.assign(stored, { availableSince: transition.availableSince });
    this.events.set(transition.event.id, transition.event);
    return true;
  }
}

describe('sweepAvailableEarnings', () => {
  const clock = { now: () => new Date(NOW) };
  const ids = (n: number) => Array.from({ length: n }, (_, i) => `e${String(i).padStart(3, '0')}`);

  it('stores every due transition once; a second sweep stores none', async () => {
    const store = new MemoryAvailability([...ids(7).map((id) => held(id, NOW - DAY)), held('later', NOW + DAY)]);
    const first = await sweepAvailableEarnings({ store, clock }, { pageSize: 3, maxPages: 10 });
    expect(first).toEqual({ pages: 3, madeAvailable: 7, alreadyAvailable: 0, more: false });
    expect(store.events.size).toBe(7);
    const second = await sweepAvailableEarnings({ store, clock }, { pageSize: 3, maxPages: 10 });
    expect(second).toEqual({ pages: 1, madeAvailable: 0, alreadyAvailable: 0, more: false });
    expect(store.events.size).toBe(7);
  });

  it('counts the transitions a concurrent sweep stored first, without a second event', async () => {
    const store = new MemoryAvailability(ids(4).map((id) => held(id, NOW - DAY)));
    const [a, b] = await Promise.all([
      sweepAvailableEarnings({ store, clock }, { pageSize: 10, maxPages: 10 }),
      sweepAvailableEarnings({ store, clock }, { pageSize: 10, maxPages: 10 }),
    ]);
    expect((a?.madeAvailable ?? 0) + (b?.madeAvailable ?? 0)).toBe(4);
    expect((a?.alreadyAvailable ?? 0) + (b?.alreadyAvailable ?? 0)).toBe(4);
    expect(store.events.size).toBe(4);
  });

  it('stops at its bounds (pages, time) and says more is left; the next run continues', async () => {
    const store = new MemoryAvailability(ids(10).map((id) => held(id, NOW - DAY)));
    const bounded = await sweepAvailableEarnings({ store, clock }, { pageSize: 2, maxPages: 2 });
    expect(bounded).toEqual({ pages: 2, madeAvailable: 4, alreadyAvailable: 0, more: true });
    const noTime = await sweepAvailableEarnings({ store, clock }, { pageSize: 2, maxPages: 10, hasTime: () => false });
    expect(noTime).toEqual({ pages: 0, madeAvailable: 0, alreadyAvailable: 0, more: true });
    const rest = await sweepAvailableEarnings({ store, clock }, { pageSize: 2, maxPages: 10 });
    expect(rest).toMatchObject({ madeAvailable: 6, more: false });
    expect(store.events.size).toBe(10);
  });
});
