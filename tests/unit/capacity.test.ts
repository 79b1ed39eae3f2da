import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { INDEX_SHARDS } from '#adapters/dynamodb/shards';
import { capacityReport, paymentCeilings, payoutCeilings } from '../../bench/capacity.ts';

/** docs/capacity.md shows the capacity script's output; the figures follow the code's shard counts. */

const doc = readFileSync(path.resolve(import.meta.dirname, '../../docs/capacity.md'), 'utf8');

describe('the capacity model', () => {
  it('docs/capacity.md embeds exactly what `npm run capacity` prints', () => {
    const embedded = doc.split('<!-- capacity:begin -->\n')[1]?.split('\n<!-- capacity:end -->')[0];
    expect(embedded).toBe(capacityReport());
  });

  it('puts the payments ceiling where the arithmetic says, before and after sharding', () => {
    const unbounded = { global: 1e9, endpoint: 1e9 };
    const low = (ceilings: Array<{ perSecond: number }>) => Math.min(...ceilings.map((c) => c.perSecond));
    // One partition, three index writes per payment.
    expect(low(paymentCeilings(1, unbounded))).toBeCloseTo(1_000 / 3);
    // Sharded, the partition ceiling scales with the shard count and something else binds.
    const sharded = paymentCeilings(INDEX_SHARDS.payments, unbounded);
    expect(sharded.find((c) => c.limit.startsWith('GSI2 `PAYMENTS'))?.perSecond).toBeCloseTo(
      (INDEX_SHARDS.payments * 1_000) / 3,
    );
    expect(low(sharded)).toBeGreaterThan(1_000 / 3);
    // At Stripe's defaults the interactive lane binds either way: 100 x 0.95 x 0.2.
    expect(low(paymentCeilings(1, { global: 100, endpoint: 25 }))).toBeCloseTo(19);
    // A 1,000,000-partner run at the default transfers limit: 25 x 0.95 transfers/s.
    expect(low(payoutCeilings({ global: 100, transfers: 25 }, 5))).toBeCloseTo(23.75);
  });
});
