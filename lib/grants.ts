import type { StripeKey, TableAccess } from '#routes';

/**
 * The exact DynamoDB actions each table access level of functions/routes.ts grants, on the table and its indexes.
 * The infra tests import this table and compare each function's policy with it action for action.
 *
 * - No Scan, no stream reads, no BatchWriteItem, no DescribeTable: no function uses them.
 * - TransactWriteItems has no IAM action of its own: each item of a transaction is authorized as the underlying
 *   PutItem / UpdateItem / DeleteItem, and a ConditionCheck item as ConditionCheckItem. So `readwrite` covers the
 *   transactions of puts, updates and checks; one that deletes needs `readwrite-delete`.
 * - ConditionCheckItem is with the reads, as the rest of the project treats it: it reads an item's state, writes nothing.
 */
export const TABLE_ACTIONS: Readonly<Record<TableAccess, readonly string[]>> = {
  read: ['dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:Query'],
  readwrite: [
    'dynamodb:BatchGetItem',
    'dynamodb:ConditionCheckItem',
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:Query',
    'dynamodb:UpdateItem',
  ],
  'readwrite-delete': [
    'dynamodb:BatchGetItem',
    'dynamodb:ConditionCheckItem',
    'dynamodb:DeleteItem',
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:Query',
    'dynamodb:UpdateItem',
  ],
};

/** The only action allowed on the table's indexes (`<table>/index/*`): GSIs are queried, never read by key. */
export const INDEX_ACTIONS: readonly string[] = ['dynamodb:Query'];

export interface StripeKeySpec {
  /** Construct id of its secret. */
  readonly id: string;
  /** Last part of the secret's name: connect-payouts/<stage>/<slug>. */
  readonly slug: string;
  readonly description: string;
}

/** One restricted Stripe key per capability, each its own secret (docs/runbooks/secret-rotation.md: permissions). */
export const STRIPE_KEY_SPECS: Readonly<Record<StripeKey, StripeKeySpec>> = {
  onboarding: {
    id: 'StripeOnboardingKeySecret',
    slug: 'stripe-key-onboarding',
    description: 'Restricted Stripe key (rk_...) for onboarding: Connect accounts, Account Links, login links.',
  },
  payments: {
    id: 'StripePaymentsKeySecret',
    slug: 'stripe-key-payments',
    description: 'Restricted Stripe key (rk_...) for payments: PaymentIntents and Checkout Sessions (write).',
  },
  transfers: {
    id: 'StripeTransfersKeySecret',
    slug: 'stripe-key-transfers',
    description: 'Restricted Stripe key (rk_...) for payouts: Transfers (write).',
  },
  settlement: {
    id: 'StripeSettlementKeySecret',
    slug: 'stripe-key-settlement',
    description:
      'Restricted Stripe key (rk_...) for the platform webhook: reads, plus seller transfers and transfer reversals.',
  },
  readonly: {
    id: 'StripeReadOnlyKeySecret',
    slug: 'stripe-key-readonly',
    description: 'Restricted Stripe key (rk_...), read-only: webhook re-reads and onboarding status.',
  },
};
