/**
 * The one definition of the table's key schema and indexes. CDK (lib/payouts-stack.ts) and the local stack
 * (local/dynamodb.ts) both build the table from this object, so the deployed and the local table cannot drift.
 * Only adapters/dynamodb knows what the keys contain; everything else sees domain objects.
 */
export const TABLE_SCHEMA = {
  partitionKey: 'PK',
  sortKey: 'SK',
  /** Items with this attribute (epoch seconds) are removed by DynamoDB TTL (webhook de-duplication, rate limits). */
  ttlAttribute: 'ttl',
  /** The table's stream carries new domain-event items (the outbox) to the event publisher. */
  streamViewType: 'NEW_IMAGE',
  globalSecondaryIndexes: [
    /** Lookups by a foreign id: Stripe account id -> partner, user sub -> memberships, external ids. */
    { indexName: 'GSI1', partitionKey: 'GSI1PK', sortKey: 'GSI1SK' },
    /** Listings for operators: partners by status, payments by date, payout runs by date. */
    { indexName: 'GSI2', partitionKey: 'GSI2PK', sortKey: 'GSI2SK' },
    /** Sparse work index: partners with available platform-held earnings, payouts awaiting funds. */
    { indexName: 'GSI3', partitionKey: 'GSI3PK', sortKey: 'GSI3SK' },
  ],
} as const;

export type IndexName = (typeof TABLE_SCHEMA.globalSecondaryIndexes)[number]['indexName'];
