import { PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { payoutRunCompletedEvent } from '#core/payout-events';
import type { PayoutRunStore } from '#core/payout-ports';
import { dynamo, tableName } from './client.ts';
import { isConditionFailed } from './conditions.ts';
import { decodeKeyCursor, encodeJsonCursor } from './cursor.ts';
import { outboxPut } from './outbox.ts';
import { PAYOUT_RUNS_INDEX_PK, payoutRunIndexKeys, payoutRunKey, RUN_COUNTER_PREFIX } from './payment-keys.ts';
import { gsi2Shape, type Item, toRun } from './payout-items.ts';
import { queryAll, queryPrefix } from './query.ts';
import { transactWrite } from './transactions.ts';

/** The run record of a period and its counter shards. */
export const dynamoPayoutRunStore: PayoutRunStore = {
  async getRun(runId) {
    // One query: the counter shards (`COUNTERS#00`…) and the run item (`RUN`) sort next to each other.
    const items = await queryAll({
      TableName: tableName(),
      KeyConditionExpression: 'PK = :pk AND SK BETWEEN :first AND :run',
      ExpressionAttributeValues: { ':pk': payoutRunKey(runId).PK, ':first': RUN_COUNTER_PREFIX, ':run': 'RUN' },
      ConsistentRead: true,
    });
    const run = items.find((item) => item.SK === 'RUN');
    return run
      ? toRun(
          run,
          items.filter((item) => item !== run),
        )
      : undefined;
  },

  async createRun(run) {
    try {
      await dynamo().send(
        new PutCommand({
          TableName: tableName(),
          Item: {
            ...payoutRunKey(run.id),
            ...payoutRunIndexKeys(run.startedAt, run.id),
            entity: 'payout-run',
            id: run.id,
            period: run.period,
            requireApproval: run.requireApproval,
            approved: run.approved,
            cutoff: run.cutoff,
            planningComplete: false,
            startedAt: run.startedAt,
            startedBy: run.startedBy,
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      );
      return { created: true, run };
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      const existing = await this.getRun(run.id);
      if (!existing) throw error;
      return { created: false, run: existing };
    }
  },

  async listRuns({ cursor, limit }) {
    const page = await dynamo().send(
      new QueryCommand({
        TableName: tableName(),
        IndexName: 'GSI2',
        KeyConditionExpression: 'GSI2PK = :pk',
        ExpressionAttributeValues: { ':pk': PAYOUT_RUNS_INDEX_PK },
        ScanIndexForward: false,
        Limit: limit,
        ...(cursor ? { ExclusiveStartKey: decodeKeyCursor(cursor, gsi2Shape(PAYOUT_RUNS_INDEX_PK)) } : {}),
      }),
    );
    const items = (page.Items ?? []) as Item[];
    const shards = await Promise.all(
      items.map((item) => queryPrefix(payoutRunKey(String(item.id)).PK, RUN_COUNTER_PREFIX)),
    );
    return {
      runs: items.map((item, i) => toRun(item, shards[i] ?? [])),
      nextCursor: page.LastEvaluatedKey ? encodeJsonCursor(page.LastEvaluatedKey) : null,
    };
  },

  async markPlanningComplete(runId, at) {
    await dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: payoutRunKey(runId),
        UpdateExpression: 'SET planningComplete = :true, planningCompletedAt = if_not_exists(planningCompletedAt, :at)',
        ExpressionAttributeValues: { ':true': true, ':at': at },
      }),
    );
  },

  async approveRun(runId, at) {
    try {
      await dynamo().send(
        new UpdateCommand({
          TableName: tableName(),
          Key: payoutRunKey(runId),
          UpdateExpression: 'SET approved = :true, approvedAt = :at',
          ConditionExpression: 'attribute_exists(PK) AND approved = :false',
          ExpressionAttributeValues: { ':true': true, ':false': false, ':at': at },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  },

  async markRunFinished(run, at) {
    try {
      await transactWrite([
        {
          Update: {
            TableName: tableName(),
            Key: payoutRunKey(run.id),
            UpdateExpression: 'SET finishedAt = :at',
            ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(finishedAt)',
            ExpressionAttributeValues: { ':at': at },
          },
        },
        outboxPut(payoutRunCompletedEvent(run, at)),
      ]);
    } catch (error) {
      if (!isConditionFailed(error)) throw error; // finished already (a concurrent worker): nothing to do
    }
  },
};
