import type { NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
import type { OperatorAction } from '#core/payout-model';
import { tableName } from './client.ts';
import { OPERATOR_ACTION_PREFIX, operatorActionKey } from './payment-keys.ts';
import { queryPrefix } from './query.ts';
import type { TransactItem } from './transactions.ts';

type Item = Record<string, NativeAttributeValue>;

/**
 * The record of an operator action, written in the same transaction as the change it describes (conditional on
 * being new, so a retried request with a deterministic action id writes it once).
 */
export function operatorActionPut(action: OperatorAction): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: { ...operatorActionKey(action.partnerId, action.at, action.id), entity: 'operator-action', ...action },
      ConditionExpression: 'attribute_not_exists(PK)',
    },
  };
}

function toAction(item: Item): OperatorAction {
  return {
    id: item.id,
    partnerId: item.partnerId,
    action: item.action,
    by: item.by,
    reason: item.reason,
    at: item.at,
    details: item.details ?? {},
  };
}

/** Every action on the partner, newest first. */
export async function listOperatorActions(partnerId: string): Promise<OperatorAction[]> {
  const items = await queryPrefix(`PARTNER#${partnerId}`, OPERATOR_ACTION_PREFIX);
  return items.map(toAction).reverse();
}
