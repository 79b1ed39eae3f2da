import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DomainEvent } from '#core/domain-events';
import {
  type ConnectedPayoutFact,
  DISCREPANCY_KINDS,
  type Discrepancy,
  type DiscrepancyKind,
  emptyCounts,
  type FactPage,
  type PageCounts,
  type PayoutFact,
  type ReconciliationReport,
  type ReconciliationRunStart,
  type SellerTransferFact,
} from '#core/reconciliation';
import { dynamo, tableName } from './client.ts';
import { isConditionFailed } from './conditions.ts';
import { decodeJsonCursor, encodeJsonCursor, invalidCursor } from './cursor.ts';
import { openConnectedPayoutPartitions, openConnectedPayoutsThrough } from './keys.ts';
import { outboxPut } from './outbox.ts';
import { dynamoPartnerRepository } from './partner-repository.ts';
import { runPayoutIndexPk } from './payment-keys.ts';
import { dynamoPaymentStore } from './payment-store.ts';
import { dynamoPayoutStore } from './payout-store.ts';
import { batchGetAll, batchPutAll, type Item, queryPrefix } from './query.ts';
import { queryShards } from './sharded-index.ts';
import { transactWrite } from './transactions.ts';

/**
 * Reconciliation records: one report per day and one item per discrepancy, each written once with its
 * `reconciliation.discrepancy` event (the outbox), so a re-run of a day stores and announces nothing twice.
 *
 * A run of a day (one per schedule firing or `npm run reconcile`) keeps its counts on a run item, adds each page's
 * counts once (a page marker, written in the same transaction), and notes the payout transfers Stripe listed so the
 * payouts phase looks up only the others.
 *
 * | Item             | PK                              | SK                                  | ttl       |
 * |------------------|---------------------------------|-------------------------------------|-----------|
 * | Report           | RECONCILIATION#<date>           | REPORT                              |           |
 * | Discrepancy      | RECONCILIATION#<date>           | DISCREPANCY#<kind>#<subject id>     |           |
 * | Run              | RECONCILIATION#<date>           | RUN#<runId>                         |           |
 * | Page counted     | RECONCILIATION#<date>           | RUN#<runId>#PAGE#<phase>#<n>        | 35 days   |
 * | Listed transfer  | RECONCILIATION_LISTED#<runId>   | <transfer id>                       | 35 days   |
 */
const pk = (date: string) => `RECONCILIATION#${date}`;
const DISCREPANCY = 'DISCREPANCY#';
const runKey = (date: string, runId: string) => ({ PK: pk(date), SK: `RUN#${runId}` });
const listedPk = (runId: string) => `RECONCILIATION_LISTED#${runId}`;
/** How long a run's page markers and listed transfers are kept (TTL): long after any redelivery. */
const WORKING_ITEM_SECONDS = 35 * 86_400;
const workingTtl = () => Math.ceil(Date.now() / 1000) + WORKING_ITEM_SECONDS;

/** Where the payouts phase is: the runs left to read (the first is current), which status, and the index key. */
interface PaidPayoutCursor {
  runs: string[];
  status: 'paid' | 'reversed';
  key: Item | null;
}

function parsePaidPayoutCursor(value: unknown): PaidPayoutCursor {
  const cursor = value as Partial<PaidPayoutCursor> | null;
  if (
    typeof cursor !== 'object' ||
    cursor === null ||
    !Array.isArray(cursor.runs) ||
    !cursor.runs.every((run) => typeof run === 'string') ||
    (cursor.status !== 'paid' && cursor.status !== 'reversed') ||
    (cursor.key !== null && (typeof cursor.key !== 'object' || Array.isArray(cursor.key)))
  ) {
    throw invalidCursor();
  }
  return { runs: cursor.runs, status: cursor.status, key: cursor.key ?? null };
}

function toReport(item: Item): ReconciliationReport {
  const startedAt = String(item.startedAt);
  const finishedAt = String(item.finishedAt ?? item.startedAt);
  const byKind = emptyCounts();
  for (const kind of Object.keys(DISCREPANCY_KINDS) as DiscrepancyKind[])
    byKind[kind] = Number(item.byKind?.[kind] ?? 0);
  return {
    date: String(item.date),
    runId: String(item.runId),
    transfersChecked: Number(item.transfersChecked ?? 0),
    payoutsChecked: Number(item.payoutsChecked ?? 0),
    connectedPayoutsChecked: Number(item.connectedPayoutsChecked ?? 0),
    discrepancies: Object.values(byKind).reduce((sum, n) => sum + n, 0),
    byKind,
    startedAt,
    finishedAt,
    durationMs: Date.parse(finishedAt) - Date.parse(startedAt),
  };
}

export const dynamoReconciliationStore = {
  async record(discrepancy: Discrepancy, event: DomainEvent): Promise<boolean> {
    const subject = discrepancy.id.slice(discrepancy.date.length + discrepancy.kind.length + 2);
    try {
      await transactWrite([
        {
          Put: {
            TableName: tableName(),
            Item: {
              PK: pk(discrepancy.date),
              SK: `${DISCREPANCY}${discrepancy.kind}#${subject}`,
              entity: 'reconciliation-discrepancy',
              ...discrepancy,
              eventId: event.id,
              recordedAt: event.occurredAt,
            },
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
        outboxPut(event),
      ]);
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false; // found by an earlier run of the same day
      throw error;
    }
  },

  async beginRun(run: ReconciliationRunStart): Promise<boolean> {
    try {
      await dynamo().send(
        new PutCommand({
          TableName: tableName(),
          Item: {
            ...runKey(run.date, run.runId),
            entity: 'reconciliation-run',
            ...run,
            transfersChecked: 0,
            payoutsChecked: 0,
            connectedPayoutsChecked: 0,
            byKind: emptyCounts(),
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false; // the same run started again (a redelivered start)
      throw error;
    }
  },

  async countPage(runId: string, date: string, pageKey: string, counts: PageCounts): Promise<boolean> {
    const kinds = Object.keys(DISCREPANCY_KINDS) as DiscrepancyKind[];
    try {
      await transactWrite([
        {
          Put: {
            TableName: tableName(),
            Item: {
              PK: pk(date),
              SK: `RUN#${runId}#PAGE#${pageKey}`,
              entity: 'reconciliation-page',
              ttl: workingTtl(),
            },
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
        {
          Update: {
            TableName: tableName(),
            Key: runKey(date, runId),
            UpdateExpression: `ADD transfersChecked :t, payoutsChecked :p, connectedPayoutsChecked :c, ${kinds.map((kind, i) => `byKind.${kind} :k${i}`).join(', ')}`,
            ConditionExpression: 'attribute_exists(PK)',
            ExpressionAttributeValues: {
              ':t': counts.transfersChecked,
              ':p': counts.payoutsChecked,
              ':c': counts.connectedPayoutsChecked,
              ...Object.fromEntries(kinds.map((kind, i) => [`:k${i}`, counts.byKind[kind]])),
            },
          },
        },
      ]);
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false; // this page was counted by an earlier delivery
      throw error;
    }
  },

  async finishRun(runId: string, date: string, finishedAt: string): Promise<ReconciliationReport> {
    const { Attributes } = await dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: runKey(date, runId),
        UpdateExpression: 'SET finishedAt = if_not_exists(finishedAt, :at)',
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeValues: { ':at': finishedAt },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toReport(Attributes as Item);
  },

  async markListed(runId: string, transferIds: readonly string[]): Promise<void> {
    const ttl = workingTtl();
    await batchPutAll(transferIds.map((id) => ({ PK: listedPk(runId), SK: id, entity: 'reconciliation-listed', ttl })));
  },

  async listed(runId: string, transferIds: readonly string[]): Promise<Set<string>> {
    const items = await batchGetAll([...new Set(transferIds)].map((id) => ({ PK: listedPk(runId), SK: id })));
    return new Set(items.map((item) => String(item.SK)));
  },

  async saveReport(report: ReconciliationReport): Promise<void> {
    await dynamo().send(
      new PutCommand({
        TableName: tableName(),
        Item: { PK: pk(report.date), SK: 'REPORT', entity: 'reconciliation-report', ...report },
      }),
    );
  },

  async get(date: string): Promise<{ report: ReconciliationReport | null; discrepancies: Discrepancy[] }> {
    const [{ Item: report }, items] = await Promise.all([
      dynamo().send(
        new GetCommand({ TableName: tableName(), Key: { PK: pk(date), SK: 'REPORT' }, ConsistentRead: true }),
      ),
      queryPrefix(pk(date), DISCREPANCY),
    ]);
    const strip = ({ PK: _pk, SK: _sk, entity: _entity, ...rest }: Item) => rest;
    return {
      // Read through toReport: a report saved before a count or kind existed reads with it at 0.
      report: report ? toReport(report) : null,
      discrepancies: items.map((item) => {
        const { eventId: _eventId, recordedAt: _recordedAt, ...discrepancy } = strip(item);
        return discrepancy as Discrepancy;
      }),
    };
  },

  /** A payout as reconciliation compares it, with the partner's connected account (cached per run). */
  async payout(
    partnerId: string,
    payoutId: string,
    accounts: Map<string, string | null>,
  ): Promise<PayoutFact | undefined> {
    const payout = await dynamoPayoutStore.getPayout(partnerId, payoutId);
    if (!payout) return undefined;
    return {
      payoutId: payout.id,
      partnerId: payout.partnerId,
      amount: payout.amount,
      currency: payout.currency,
      destination: await accountOf(partnerId, accounts),
      transferId: payout.stripeTransferId,
      reversedAmount: payout.reversedAmount,
    };
  },

  /** A seller's share of a multi-seller order as reconciliation compares it with the seller's transfer. */
  async sellerTransfer(orderId: string, partnerId: string): Promise<SellerTransferFact | undefined> {
    const order = await dynamoPaymentStore.getOrder(orderId);
    const share = order?.sellers?.find((seller) => seller.partnerId === partnerId);
    if (!order || !share) return undefined;
    return {
      orderId: order.id,
      partnerId,
      currency: order.currency,
      destination: share.stripeAccountId,
      transferId: share.transferId,
      amount: share.transferred ?? share.transferPlan?.amount ?? null,
      reversedAmount: share.transferReversed + (share.disputeReversed ?? 0),
    };
  },

  async payment(paymentId: string) {
    const payment = await dynamoPaymentStore.getPayment(paymentId);
    return payment
      ? { paymentId: payment.id, partnerId: payment.partnerId, fee: payment.fee, currency: payment.currency }
      : undefined;
  },

  /**
   * One page of the connected payouts still open (pending or in transit) arriving on or before `through` (a UTC
   * day): the sparse work index of open payouts, merged from its shards in arrival order.
   */
  async openConnectedPayoutPage(
    through: string,
    cursor: string | null,
    limit: number,
  ): Promise<FactPage<ConnectedPayoutFact>> {
    const page = await queryShards({
      index: 'GSI2',
      partitions: openConnectedPayoutPartitions(),
      descending: false,
      limit,
      cursor: cursor ?? undefined,
      bounds: { high: openConnectedPayoutsThrough(through) },
    });
    return {
      items: page.items.map((item) => ({
        payoutId: String(item.id),
        partnerId: String(item.partnerId),
        accountId: String(item.accountId),
        amount: Number(item.amount),
        currency: String(item.currency),
        status: item.status,
        arrivalDate: item.arrivalDate ?? null,
      })),
      next: page.nextCursor,
    };
  },

  /**
   * One page of the payouts whose transfer was recorded in [start, end) (epoch ms): the paid and reversed payouts
   * of every run that was sending then (started before the end, not finished before the start), read `limit` at a
   * time from each run's payout index.
   */
  async paidPayoutPage(
    start: number,
    end: number,
    cursorText: string | null,
    limit: number,
    accounts: Map<string, string | null>,
  ): Promise<FactPage<PayoutFact>> {
    const cursor = cursorText
      ? decodeJsonCursor(cursorText, parsePaidPayoutCursor)
      : { runs: await runsSendingBetween(start, end), status: 'paid' as const, key: null };
    const runId = cursor.runs[0];
    if (runId === undefined) return { items: [], next: null };
    const result = await dynamo().send(
      new QueryCommand({
        TableName: tableName(),
        IndexName: 'GSI2',
        KeyConditionExpression: 'GSI2PK = :pk AND begins_with(GSI2SK, :status)',
        ExpressionAttributeValues: { ':pk': runPayoutIndexPk(runId), ':status': `${cursor.status}#` },
        Limit: limit,
        ...(cursor.key ? { ExclusiveStartKey: cursor.key } : {}),
      }),
    );
    const items: PayoutFact[] = [];
    for (const item of (result.Items ?? []) as Item[]) {
      const paidAt = Date.parse(String(item.paidAt ?? ''));
      if (!(paidAt >= start && paidAt < end)) continue;
      items.push({
        payoutId: item.id,
        partnerId: item.partnerId,
        amount: Number(item.amount),
        currency: item.currency,
        destination: await accountOf(item.partnerId, accounts),
        transferId: item.stripeTransferId ?? null,
        reversedAmount: Number(item.reversedAmount ?? 0),
      });
    }
    const after: PaidPayoutCursor | null = result.LastEvaluatedKey
      ? { ...cursor, key: result.LastEvaluatedKey as Item }
      : cursor.status === 'paid'
        ? { runs: cursor.runs, status: 'reversed', key: null }
        : cursor.runs.length > 1
          ? { runs: cursor.runs.slice(1), status: 'paid', key: null }
          : null;
    return { items, next: after ? encodeJsonCursor(after) : null };
  },
};

/** The payout runs that were sending during [start, end) (epoch ms): a handful (runs are monthly). */
async function runsSendingBetween(start: number, end: number): Promise<string[]> {
  const runs: string[] = [];
  let cursor: string | null = null;
  do {
    const page = await dynamoPayoutStore.listRuns({ limit: 25, ...(cursor ? { cursor } : {}) });
    for (const run of page.runs) {
      if (Date.parse(run.startedAt) >= end || (run.finishedAt && Date.parse(run.finishedAt) < start)) continue;
      runs.push(run.id);
    }
    cursor = page.nextCursor;
  } while (cursor);
  return runs;
}

async function accountOf(partnerId: string, accounts: Map<string, string | null>): Promise<string | null> {
  if (!accounts.has(partnerId)) {
    accounts.set(partnerId, (await dynamoPartnerRepository.get(partnerId))?.stripeAccountId ?? null);
  }
  return accounts.get(partnerId) ?? null;
}
