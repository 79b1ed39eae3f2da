import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { DomainEvent } from '#core/domain-events';
import type { Discrepancy, PayoutFact, ReconciliationReport } from '#core/reconciliation';
import { dynamo, tableName } from './client.ts';
import { isConditionFailed } from './conditions.ts';
import { outboxPut } from './outbox.ts';
import { dynamoPartnerRepository } from './partner-repository.ts';
import { runPayoutIndexPk } from './payment-keys.ts';
import { dynamoPaymentStore } from './payment-store.ts';
import { dynamoPayoutStore } from './payout-store.ts';
import { type Item, queryPrefix } from './query.ts';
import { transactWrite } from './transactions.ts';

/**
 * Reconciliation records: one report per day and one item per discrepancy, each written once with its
 * `reconciliation.discrepancy` event (the outbox), so a re-run of a day stores and announces nothing twice.
 *
 * | Item        | PK                     | SK                                  |
 * |-------------|------------------------|-------------------------------------|
 * | Report      | RECONCILIATION#<date>  | REPORT                              |
 * | Discrepancy | RECONCILIATION#<date>  | DISCREPANCY#<kind>#<subject id>     |
 */
const pk = (date: string) => `RECONCILIATION#${date}`;
const DISCREPANCY = 'DISCREPANCY#';

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
      report: report ? (strip(report) as ReconciliationReport) : null,
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

  async payment(paymentId: string) {
    const payment = await dynamoPaymentStore.getPayment(paymentId);
    return payment
      ? { paymentId: payment.id, partnerId: payment.partnerId, fee: payment.fee, currency: payment.currency }
      : undefined;
  },

  /**
   * Payouts whose transfer was recorded in [start, end) (epoch ms): the paid and reversed payouts of every run that
   * was sending then (started before the end, not finished before the start).
   */
  async *paidPayouts(start: number, end: number, accounts: Map<string, string | null>): AsyncIterable<PayoutFact> {
    let cursor: string | null = null;
    do {
      const page = await dynamoPayoutStore.listRuns({ limit: 25, ...(cursor ? { cursor } : {}) });
      for (const run of page.runs) {
        if (Date.parse(run.startedAt) >= end || (run.finishedAt && Date.parse(run.finishedAt) < start)) continue;
        for (const status of ['paid', 'reversed']) {
          let key: Item | undefined;
          do {
            const result = await dynamo().send(
              new QueryCommand({
                TableName: tableName(),
                IndexName: 'GSI2',
                KeyConditionExpression: 'GSI2PK = :pk AND begins_with(GSI2SK, :status)',
                ExpressionAttributeValues: { ':pk': runPayoutIndexPk(run.id), ':status': `${status}#` },
                ...(key ? { ExclusiveStartKey: key } : {}),
              }),
            );
            for (const item of (result.Items ?? []) as Item[]) {
              const paidAt = Date.parse(String(item.paidAt ?? ''));
              if (!(paidAt >= start && paidAt < end)) continue;
              yield {
                payoutId: item.id,
                partnerId: item.partnerId,
                amount: Number(item.amount),
                currency: item.currency,
                destination: await accountOf(item.partnerId, accounts),
                transferId: item.stripeTransferId ?? null,
                reversedAmount: Number(item.reversedAmount ?? 0),
              };
            }
            key = result.LastEvaluatedKey as Item | undefined;
          } while (key);
        }
      }
      cursor = page.nextCursor;
    } while (cursor);
  },
};

async function accountOf(partnerId: string, accounts: Map<string, string | null>): Promise<string | null> {
  if (!accounts.has(partnerId)) {
    accounts.set(partnerId, (await dynamoPartnerRepository.get(partnerId))?.stripeAccountId ?? null);
  }
  return accounts.get(partnerId) ?? null;
}
