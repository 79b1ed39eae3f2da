import type { Clock } from './clock.ts';
import type { DomainEvent } from './domain-events.ts';
import { earningAvailableEvent } from './earning-events.ts';
import type { LedgerRecord } from './payment-ports.ts';

/**
 * The transition of a platform-held earning from `pending` to `available`, stored once per earning.
 *
 * An earning becomes payable by the clock: its `availableAt` (end of the holding period) passes. No request or
 * webhook happens at that moment, so a scheduled sweep stores the transition: it reads the earnings still waiting
 * for it (a sparse index keyed by `availableAt`, see the adapter), and for each one whose `availableAt` has passed
 * writes `availableSince` on its ledger entry together with its `earning.available` event (the outbox), on the
 * condition that no transition is stored yet. A rerun or a concurrent sweep therefore stores each transition, and
 * writes each event, once.
 *
 * Reads stay consistent with it: `payoutStatusOf` reports `available` once the transition is stored, and also from
 * `availableAt` on (the sweep stores it within one schedule interval; the event carries both times).
 */

/** One transition to store: what the entry gets, the event written with it, and the entry it applies to. */
export interface AvailabilityTransition {
  entry: LedgerRecord;
  /** Epoch ms written on the entry as `availableSince` (the sweep's time). */
  availableSince: number;
  event: DomainEvent<'earning.available'>;
}

/** Only held earnings (operator-recorded and commissions) become available; other held lines are not earnings. */
export const awaitsAvailability = (
  entry: Pick<LedgerRecord, 'type' | 'availableAt' | 'availableSince' | 'payoutStatus'>,
): boolean =>
  entry.type === 'earning' &&
  entry.availableAt !== undefined &&
  entry.availableSince === undefined &&
  entry.payoutStatus !== undefined &&
  entry.payoutStatus !== 'transferred';

/**
 * The transitions of a page of waiting entries at `now`: every earning whose `availableAt` is at or before `now`
 * and that has no stored transition. Entries not yet due, already moved on, or not earnings get none. A payout
 * run may have attached an earning before the sweep reached it (`in_payout`, `paid`): it still became available,
 * and gets its one transition.
 */
export function planAvailability(entries: readonly LedgerRecord[], now: number): AvailabilityTransition[] {
  const at = new Date(now);
  return entries
    .filter((entry) => awaitsAvailability(entry) && (entry.availableAt as number) <= now)
    .map((entry) => ({ entry, availableSince: now, event: earningAvailableEvent(entry, at) }));
}

/** The sweep's storage (the DynamoDB adapter; an in-memory one in unit tests). */
export interface AvailabilityStore {
  /** Earnings waiting for their transition whose `availableAt` is at or before `at`, oldest first. */
  awaitingAvailability(
    at: number,
    page: { cursor?: string | undefined; limit: number },
  ): Promise<{ entries: LedgerRecord[]; nextCursor: string | null }>;
  /** Stores one transition with its event; false when one is already stored (a rerun or a concurrent sweep). */
  markAvailable(transition: AvailabilityTransition): Promise<boolean>;
}

export interface SweepDeps {
  store: AvailabilityStore;
  clock: Clock;
}

export interface SweepLimits {
  /** Entries read per page. */
  pageSize: number;
  /** Pages per invocation: what is left waits for the next run (the index keeps it). */
  maxPages: number;
  /** Whether there is time for another page (the function's remaining time). */
  hasTime?: () => boolean;
}

export interface SweepReport {
  pages: number;
  /** Transitions stored by this sweep (each with its event). */
  madeAvailable: number;
  /** Transitions another sweep stored first. */
  alreadyAvailable: number;
  /** True when the sweep stopped at its bounds with entries left (the next run continues). */
  more: boolean;
}

/**
 * One sweep: pages through the waiting earnings due at the sweep's time and stores their transitions, at most
 * `maxPages` pages of `pageSize`, and only while there is time. Pages follow the index's cursor (the entries a
 * stored transition removes from the index are behind it), so a page is never read twice in one sweep.
 */
export async function sweepAvailableEarnings(deps: SweepDeps, limits: SweepLimits): Promise<SweepReport> {
  const now = deps.clock.now().getTime();
  const report: SweepReport = { pages: 0, madeAvailable: 0, alreadyAvailable: 0, more: false };
  let cursor: string | undefined;
  for (;;) {
    if (report.pages >= limits.maxPages || (limits.hasTime && !limits.hasTime())) {
      report.more = true;
      return report;
    }
    const page = await deps.store.awaitingAvailability(now, { limit: limits.pageSize, cursor });
    report.pages += 1;
    for (const transition of planAvailability(page.entries, now)) {
      if (await deps.store.markAvailable(transition)) report.madeAvailable += 1;
      else report.alreadyAvailable += 1;
    }
    if (page.nextCursor === null) return report;
    cursor = page.nextCursor;
  }
}
