import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { statusIndexKeys, statusIndexPartitions } from '#adapters/dynamodb/keys';
import {
  heldIndexKeys,
  heldIndexPartitions,
  paymentIndexKeys,
  paymentIndexPartitions,
} from '#adapters/dynamodb/payment-keys';
import {
  decodeShardCursor,
  encodeShardCursor,
  mergeShards,
  queryTag,
  type ShardPosition,
  type ShardReader,
} from '#adapters/dynamodb/sharded-index';
import { INDEX_SHARDS, shardOf } from '#adapters/dynamodb/shards';
import type { Currency } from '#core/money';
import { PARTNER_STATUSES, type PartnerStatus } from '#core/partner';

/**
 * Key distribution of the write-sharded indexes, through the real key builders, on a generated workload; and the
 * shard merge (the cursor included) against the unsharded order, as properties.
 */

/** Deterministic ids: `<prefix>_` and 24 hex characters of a counter's hash (the shape of our ids). */
const idOf = (prefix: string, n: number) =>
  `${prefix}_${createHash('sha256').update(`${prefix}${n}`).digest('hex').slice(0, 24)}`;
const isoAt = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * 1_000).toISOString();

function shares(partitionKeys: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const pk of partitionKeys) counts.set(pk, (counts.get(pk) ?? 0) + 1);
  return new Map([...counts].map(([pk, count]) => [pk, count / partitionKeys.length]));
}
const maxShare = (partitionKeys: string[]) => Math.max(...shares(partitionKeys).values());

/** The largest share any partition key value may take of its class's writes: its fair share plus `margin`. */
const allowed = (shards: number, margin = 0.2) => (1 + margin) / shards;

// CPU-bound (a few hundred thousand hashes); the machine may be shared, so allow well beyond the usual 5 s.
describe('key distribution on a generated workload', { timeout: 60_000 }, () => {
  const PAYMENTS = 100_000;
  const PARTNERS = 10_000;
  const CURRENCIES: Currency[] = ['usd', 'eur', 'gbp', 'cad'];
  // A realistic mix of partner statuses (most active).
  const STATUS_MIX: Array<[PartnerStatus, number]> = [
    ['active', 0.7],
    ['pending_verification', 0.12],
    ['not_set_up', 0.1],
    ['restricted', 0.05],
    ['disconnected', 0.03],
  ];
  const statusOf = (n: number): PartnerStatus => {
    let at = (n % 1_000) / 1_000;
    for (const [status, share] of STATUS_MIX) {
      if (at < share) return status;
      at -= share;
    }
    return 'active';
  };
  const partners = Array.from({ length: PARTNERS }, (_, n) => ({ id: idOf('ptn', n), status: statusOf(n) }));

  it(`payments: ${PAYMENTS.toLocaleString('en')} payments spread over ${INDEX_SHARDS.payments} partition key values`, () => {
    const keys = Array.from({ length: PAYMENTS }, (_, n) => paymentIndexKeys(isoAt(n), idOf('pay', n)).GSI2PK);
    expect(new Set(keys)).toEqual(new Set(paymentIndexPartitions()));
    expect(maxShare(keys)).toBeLessThanOrEqual(allowed(INDEX_SHARDS.payments));
    // Positive control: the unsharded key put every payment on one value.
    expect(maxShare(keys.map((pk) => pk.replace(/#\d{2}$/, '')))).toBe(1);
  });

  it(`partners: ${PARTNERS.toLocaleString('en')} partners, each status over ${INDEX_SHARDS.partners} values`, () => {
    for (const status of PARTNER_STATUSES) {
      const keys = partners
        .filter((partner) => partner.status === status)
        .map((partner) => statusIndexKeys(status, isoAt(0), partner.id).GSI2PK);
      expect(keys.length).toBeGreaterThan(0);
      expect(new Set(keys)).toEqual(new Set(statusIndexPartitions([status])));
      expect(maxShare(keys)).toBeLessThanOrEqual(allowed(INDEX_SHARDS.partners) + (keys.length < 1_000 ? 0.1 : 0));
    }
  });

  it(`held entries: ${PAYMENTS.toLocaleString('en')} earnings of ${PARTNERS.toLocaleString('en')} partners in ${CURRENCIES.length} currencies`, () => {
    // Sales spread over partners (each partner a similar share: the hot single partner is bounded by its totals
    // item, see docs/capacity.md), currencies by the partner.
    const byCurrency = new Map<Currency, string[]>();
    for (let n = 0; n < PAYMENTS; n++) {
      const partner = partners[(n * 7_919) % PARTNERS] as { id: string };
      const currency = CURRENCIES[shardOf(`currency of ${partner.id}`, CURRENCIES.length)] as Currency;
      const pk = heldIndexKeys(currency, Date.UTC(2026, 0, 1) + n * 1_000, partner.id, `le_${n}`).GSI3PK;
      const keys = byCurrency.get(currency) ?? [];
      keys.push(pk);
      byCurrency.set(currency, keys);
    }
    for (const [currency, keys] of byCurrency) {
      expect(new Set(keys)).toEqual(new Set(heldIndexPartitions(currency)));
      // Entries follow their partner (about 2,500 partners per currency here), so shards vary more than by entry.
      expect(maxShare(keys)).toBeLessThanOrEqual(allowed(INDEX_SHARDS.held, 0.4));
    }
    // A partner's held entries stay in one shard (the planner meets each partner once per currency).
    const one = partners[0] as { id: string };
    const pks = new Set(
      Array.from({ length: 50 }, (_, n) => heldIndexKeys('usd', Date.parse(isoAt(n)), one.id, idOf('le', n)).GSI3PK),
    );
    expect(pks.size).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------------------------

interface Row {
  sk: string;
  shard: number;
  keep: boolean;
}

/** An in-memory index: per shard, rows in sort-key order; the reader honours direction, bounds and a filter. */
function memoryReader(
  rows: Row[],
  partitions: string[],
  descending: boolean,
  bounds: { low?: string; high?: string },
  reads: { count: number },
): ShardReader {
  return async (partition, after, want) => {
    reads.count++;
    const shard = partitions.indexOf(partition);
    const inShard = rows
      .filter((row) => row.shard === shard && row.keep)
      .filter(
        (row) =>
          (bounds.low === undefined || row.sk >= bounds.low) && (bounds.high === undefined || row.sk <= bounds.high),
      )
      .filter((row) => after === undefined || (descending ? row.sk < after : row.sk > after))
      .sort((a, b) => (a.sk < b.sk ? -1 : 1) * (descending ? -1 : 1));
    return { items: inShard.slice(0, want).map((row) => ({ SK: row.sk })), more: inShard.length > want };
  };
}

/** Rows with unique sort keys (short, from a small alphabet: many near neighbours), a random shard, and whether the
 * filter keeps them (three in four). */
const rowsArb = (shards: number) =>
  fc.uniqueArray(
    fc.record({
      sk: fc.string({ minLength: 1, maxLength: 6, unit: fc.constantFrom('0', '1', '2', '3', '#', 'a', 'b', 'Z') }),
      shard: fc.nat({ max: shards - 1 }),
      keep: fc.nat({ max: 3 }).map((n) => n > 0),
    }),
    { selector: (row) => row.sk, maxLength: 80 },
  );

/** Every page from the first, each cursor through its string form; returns the pages' sort keys. */
async function pageThrough(
  partitions: string[],
  descending: boolean,
  limit: number,
  read: ShardReader,
): Promise<{ pages: string[][]; cursors: string[] }> {
  const tag = queryTag('GSI2', descending, partitions);
  const pages: string[][] = [];
  const cursors: string[] = [];
  let position: ShardPosition = { finished: new Set() };
  for (let guard = 0; guard < 1_000; guard++) {
    const { items, next } = await mergeShards({
      partitions,
      descending,
      limit,
      position,
      read,
      sortKey: (item) => String(item.SK),
    });
    pages.push(items.map((item) => String(item.SK)));
    if (!next) return { pages, cursors };
    const cursor = encodeShardCursor(tag, next);
    cursors.push(cursor);
    position = decodeShardCursor(cursor, tag, partitions.length);
  }
  throw new Error('did not finish');
}

describe('merging the shards', () => {
  const SHARDS = [1, 2, 5, 16];

  it('returns exactly the unsharded order, page after page: nothing lost, nothing twice, no empty page before the end', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...SHARDS).chain((shards) =>
          fc.record({
            shards: fc.constant(shards),
            rows: rowsArb(shards),
            descending: fc.boolean(),
            limit: fc.integer({ min: 1, max: 12 }),
            bounds: fc.record(
              { low: fc.constantFrom('1', '2', 'a'), high: fc.constantFrom('2', '3', 'b', 'Z') },
              { requiredKeys: [] },
            ),
          }),
        ),
        async ({ shards, rows, descending, limit, bounds }) => {
          const partitions = Array.from({ length: shards }, (_, shard) => `P#${shard}`);
          const { pages } = await pageThrough(
            partitions,
            descending,
            limit,
            memoryReader(rows, partitions, descending, bounds, { count: 0 }),
          );
          // The unsharded order: every row in bounds that passes the filter, one sorted list.
          const unsharded = rows
            .filter((row) => row.keep)
            .filter(
              (row) =>
                (bounds.low === undefined || row.sk >= bounds.low) &&
                (bounds.high === undefined || row.sk <= bounds.high),
            )
            .map((row) => row.sk)
            .sort((a, b) => (a < b ? -1 : 1) * (descending ? -1 : 1));
          expect(pages.flat()).toEqual(unsharded);
          // Full pages until the last one.
          for (const page of pages.slice(0, -1)) expect(page.length).toBe(limit);
          expect(pages.at(-1)?.length ?? 0).toBeLessThanOrEqual(limit);
        },
      ),
      { numRuns: 300, seed: 20261130 },
    );
  });

  it('resumes exactly from any cursor: the same page again, however often it is asked for', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .constantFrom(...SHARDS)
          .chain((shards) =>
            fc.record({ shards: fc.constant(shards), rows: rowsArb(shards), limit: fc.integer({ min: 1, max: 7 }) }),
          ),
        async ({ shards, rows, limit }) => {
          const partitions = Array.from({ length: shards }, (_, shard) => `P#${shard}`);
          const read = memoryReader(rows, partitions, true, {}, { count: 0 });
          const { pages, cursors } = await pageThrough(partitions, true, limit, read);
          const tag = queryTag('GSI2', true, partitions);
          for (const [i, cursor] of cursors.entries()) {
            const again = await mergeShards({
              partitions,
              descending: true,
              limit,
              position: decodeShardCursor(cursor, tag, shards),
              read,
              sortKey: (item) => String(item.SK),
            });
            expect(again.items.map((item) => String(item.SK))).toEqual(pages[i + 1]);
          }
        },
      ),
      { numRuns: 200, seed: 7 },
    );
  });

  it('does not read a shard again once it is finished', async () => {
    const partitions = ['P#0', 'P#1', 'P#2', 'P#3'];
    // Shard 0 holds the two newest rows, the others many older ones.
    const rows: Row[] = [
      { sk: '9', shard: 0, keep: true },
      { sk: '8', shard: 0, keep: true },
      ...Array.from({ length: 30 }, (_, n) => ({
        sk: `0${String(n).padStart(2, '0')}`,
        shard: 1 + (n % 3),
        keep: true,
      })),
    ];
    const reads = { count: 0 };
    const { pages } = await pageThrough(partitions, true, 5, memoryReader(rows, partitions, true, {}, reads));
    expect(pages.flat()).toHaveLength(32);
    // 7 pages. Shard 0 is read once (the first page takes both its rows and it has no more); shards 1-3 on every
    // page until their last row is handed out: shard 3's (`002`) on page 6, so page 7 reads shards 1 and 2 only.
    expect(pages).toHaveLength(7);
    expect(reads.count).toBe(1 + 3 * 6 + 2);
  });
});

describe('shard cursors', () => {
  const partitions = paymentIndexPartitions();
  const tag = queryTag('GSI2', true, partitions);
  const position = { after: `${isoAt(5)}#${idOf('pay', 5)}`, finished: new Set([0, 3, 15]) };

  it('round-trip, and stay short at every shard count we use', () => {
    const cursor = encodeShardCursor(tag, position);
    expect(decodeShardCursor(cursor, tag, partitions.length)).toEqual(position);
    const all = encodeShardCursor(queryTag('GSI2', true, statusIndexPartitions(PARTNER_STATUSES)), {
      after: `${isoAt(5)}#${idOf('ptn', 5)}`,
      finished: new Set(Array.from({ length: 20 }, (_, i) => i)),
    });
    // The API accepts cursors up to 512 characters.
    expect(Math.max(cursor.length, all.length)).toBeLessThan(160);
  });

  it('are refused when they belong to another query or name shards it does not have', () => {
    const cursor = encodeShardCursor(tag, position);
    const other = queryTag('GSI2', true, statusIndexPartitions(['active']));
    expect(() => decodeShardCursor(cursor, other, 4)).toThrow(expect.objectContaining({ code: 'invalid_cursor' }));
    expect(() => decodeShardCursor(cursor, queryTag('GSI2', false, partitions), 16)).toThrow(
      expect.objectContaining({ code: 'invalid_cursor' }),
    );
    const beyond = encodeShardCursor(tag, { after: position.after, finished: new Set([16]) });
    expect(() => decodeShardCursor(beyond, tag, 16)).toThrow(expect.objectContaining({ code: 'invalid_cursor' }));
    for (const crafted of [
      Buffer.from(JSON.stringify({ q: tag, x: '0' })).toString('base64url'),
      Buffer.from(JSON.stringify({ q: tag, a: '', x: '0' })).toString('base64url'),
      Buffer.from(JSON.stringify({ q: tag, a: 'x', x: 'zz' })).toString('base64url'),
      Buffer.from(JSON.stringify({ q: tag, a: 'x', x: '0', extra: 1 })).toString('base64url'),
      Buffer.from(JSON.stringify({ 0: 'x' })).toString('base64url'),
      'e30',
      'Zm9v',
    ]) {
      expect(() => decodeShardCursor(crafted, tag, 16)).toThrow(expect.objectContaining({ code: 'invalid_cursor' }));
    }
    // Positive control: the untouched cursor decodes.
    expect(decodeShardCursor(cursor, tag, 16).after).toBe(position.after);
  });
});
