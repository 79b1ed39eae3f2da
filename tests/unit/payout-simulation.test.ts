import { describe, expect, it } from 'vitest';
import type { TransferGateway } from '#core/payouts';
import { INVARIANTS, simulate } from '#tests/payout-simulation';

/**
 * A fixed slice of the payout simulation (`npm run simulate -- --seeds N` runs any number): 300 seeded schedules of
 * planner and worker crashes, duplicate and concurrent deliveries, Stripe faults, reversals, refunds, disputes,
 * status flips and operator holds on the in-memory store and fake Stripe, each drained and checked against every
 * invariant. A failing seed prints its replay command.
 */
const SEEDS = Array.from({ length: 300 }, (_, i) => i + 1);

describe('payout simulation: a fixed slice of seeds', () => {
  it('keeps every invariant over 300 schedules', async () => {
    const failures: string[] = [];
    let checked = 0;
    let transfers = 0;
    let crashes = 0;
    for (const seed of SEEDS) {
      const result = await simulate(seed);
      checked += result.invariantsChecked;
      transfers += result.transfers;
      crashes += result.crashes;
      for (const failure of result.failures)
        failures.push(`seed ${seed}: ${failure} (replay: npm run simulate -- --seed ${seed} --seeds 1 --verbose)`);
    }
    expect(failures).toEqual([]);
    // The slice reaches what it claims to exercise: transfers made, crashes injected, every invariant checked.
    expect(transfers).toBeGreaterThan(100);
    expect(crashes).toBeGreaterThan(100);
    expect(checked).toBeGreaterThan(SEEDS.length * INVARIANTS.length);
  });

  it('notices a broken idempotency key (positive control): a fresh key on every send transfers twice', async () => {
    let calls = 0;
    const freshKeys = (gateway: TransferGateway): TransferGateway => ({
      ...gateway,
      create: (request) => gateway.create({ ...request, idempotencyKey: `${request.idempotencyKey}:${calls++}` }),
    });
    const failing: number[] = [];
    for (const seed of SEEDS.slice(0, 100)) {
      const result = await simulate(seed, { wrapTransfers: freshKeys });
      if (result.failures.some((failure) => failure.startsWith(INVARIANTS[0]))) failing.push(seed);
    }
    expect(failing.length).toBeGreaterThan(0);
  });
});
