import { config } from '#config';
import { systemClock } from '#core/clock';
import type { OperatorDeps } from '#core/operator';
import { tableName } from './dynamodb/client.ts';
import { isConditionFailed } from './dynamodb/conditions.ts';
import { partnerKey } from './dynamodb/keys.ts';
import { dynamoLedgerStore, heldItem, ledgerWriteItems } from './dynamodb/ledger-store.ts';
import { listOperatorActions, operatorActionPut } from './dynamodb/operator-actions.ts';
import { dynamoPartnerRepository } from './dynamodb/partner-repository.ts';
import { dynamoPayoutStore } from './dynamodb/payout-store.ts';
import { transactWrite } from './dynamodb/transactions.ts';

/** Operator controls wired to DynamoDB: each change and the record of who made it, in one transaction. */
export const operatorDeps = (): OperatorDeps => ({
  partners: { get: (partnerId) => dynamoPartnerRepository.get(partnerId) },
  holds: {
    async set(partnerId, hold, action) {
      await transactWrite([
        {
          Update: {
            TableName: tableName(),
            Key: partnerKey(partnerId),
            UpdateExpression: hold
              ? 'SET payoutHold = :hold, updatedAt = :at, version = version + :one'
              : 'REMOVE payoutHold SET updatedAt = :at, version = version + :one',
            ConditionExpression: 'attribute_exists(PK)',
            ExpressionAttributeValues: { ...(hold ? { ':hold': hold } : {}), ':at': action.at, ':one': 1 },
          },
        },
        operatorActionPut(action),
      ]);
    },
  },
  adjustments: {
    async record(guard, entry, action) {
      try {
        await transactWrite([
          { Put: { TableName: tableName(), Item: heldItem(guard), ConditionExpression: 'attribute_not_exists(PK)' } },
          ...ledgerWriteItems([entry]),
          operatorActionPut(action),
        ]);
        return { recorded: true };
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
        const existing = (await dynamoLedgerStore.getHeld([guard.externalId])).get(guard.externalId);
        if (!existing) throw error;
        return { recorded: false, existing };
      }
    },
    async get(guardId) {
      return (await dynamoLedgerStore.getHeld([guardId])).get(guardId);
    },
  },
  actions: { list: listOperatorActions },
  payouts: dynamoPayoutStore,
  clock: systemClock,
  payoutCurrencies: config().PAYOUT_CURRENCIES,
});
