#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { backfillAvailabilityIndex } from '#adapters/dynamodb/availability-backfill';
import { backfillOpenConnectedPayouts } from '#adapters/dynamodb/connected-payout-backfill';
import { backfillIndexShards } from '#adapters/dynamodb/index-backfill';

/**
 * Moves items written before the index keys were write-sharded to their shards (see
 * functions/adapters/dynamodb/index-backfill.ts and docs/capacity.md, "Migrating a table").
 *
 *   npm run backfill:index-shards -- --table <name> [--region eu-west-1] [--endpoint http://…] \
 *     [--page-size 100] [--max-moves 10000] [--dry-run]
 *
 * With `--availability` it instead puts held earnings written before the availability sweep existed in the sweep's
 * index (functions/adapters/dynamodb/availability-backfill.ts), so they get their `earning.available`.
 *
 * With `--connected-payouts` it instead puts connected payouts recorded open (pending or in transit) before
 * reconciliation compared them in its work index (functions/adapters/dynamodb/connected-payout-backfill.ts).
 *
 * Credentials come from the usual AWS chain. Idempotent and resumable: stop it at any time and run it again.
 */
const { values } = parseArgs({
  options: {
    table: { type: 'string' },
    region: { type: 'string' },
    endpoint: { type: 'string' },
    'page-size': { type: 'string', default: '100' },
    'max-moves': { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    availability: { type: 'boolean', default: false },
    'connected-payouts': { type: 'boolean', default: false },
  },
});
const table = values.table ?? process.env.TABLE_NAME;
if (!table) {
  console.error('--table (or TABLE_NAME) is required');
  process.exit(2);
}
const positive = (text: string | undefined, name: string) => {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`--${name} must be a positive integer`);
    process.exit(2);
  }
  return value;
};
const client = DynamoDBDocumentClient.from(
  new DynamoDBClient({
    ...(values.region ? { region: values.region } : {}),
    ...(values.endpoint ? { endpoint: values.endpoint } : {}),
  }),
);
const pageSize = positive(values['page-size'], 'page-size');
// The one-off index backfills that put missing items in a sparse index (instead of moving keys to their shards).
const indexBackfill = values.availability
  ? backfillAvailabilityIndex
  : values['connected-payouts']
    ? backfillOpenConnectedPayouts
    : null;
if (indexBackfill) {
  const indexed = await indexBackfill({
    client,
    table,
    dryRun: values['dry-run'],
    ...(pageSize ? { pageSize } : {}),
    onProgress: (line) => console.error(line),
  });
  console.log(JSON.stringify({ table, dryRun: values['dry-run'], ...indexed }));
  process.exit(0);
}
const maxMoves = positive(values['max-moves'], 'max-moves');
const result = await backfillIndexShards({
  client,
  table,
  dryRun: values['dry-run'],
  ...(pageSize ? { pageSize } : {}),
  ...(maxMoves ? { maxMoves } : {}),
  onProgress: (line) => console.error(line),
});
console.log(JSON.stringify({ table, dryRun: values['dry-run'], ...result }));
if (!result.done && !values['dry-run']) console.error('Not finished (--max-moves reached): run it again to go on.');
