import { randomBytes } from 'node:crypto';
import { config } from '#config';
import type { Log } from '#core/partner-access';
import { redirectOrigins } from '#core/payment';
import type { PaymentDeps } from '#core/payment-ports';
import { dynamoDisputeStore } from './dynamodb/dispute-store.ts';
import { dynamoLedgerStore } from './dynamodb/ledger-store.ts';
import { dynamoPartnerRepository } from './dynamodb/partner-repository.ts';
import { dynamoFeePolicies, dynamoPaymentStore, dynamoPayoutReader } from './dynamodb/payment-store.ts';
import { stripePayments } from './stripe/payments.ts';

/** Our payment and order ids: a prefix + 24 lower-case hex characters, random and unguessable. */
export const newPaymentId = () => `pay_${randomBytes(12).toString('hex')}`;
export const newOrderId = () => `ord_${randomBytes(12).toString('hex')}`;

let cached: PaymentDeps | undefined;

/** The payment, ledger and earnings use cases wired to DynamoDB and Stripe, once per execution environment. */
export function paymentDeps(log: Log): PaymentDeps {
  if (!cached) {
    const cfg = config();
    cached = {
      partners: dynamoPartnerRepository,
      payments: dynamoPaymentStore,
      disputes: dynamoDisputeStore,
      ledger: dynamoLedgerStore,
      payouts: dynamoPayoutReader,
      feePolicies: dynamoFeePolicies,
      stripe: stripePayments,
      clock: { now: () => new Date() },
      ids: { payment: newPaymentId, order: newOrderId },
      settings: {
        defaultFee: {
          bps: cfg.PLATFORM_FEE_BPS,
          ...(cfg.PLATFORM_MINIMUM_FEE > 0 ? { minimumFee: cfg.PLATFORM_MINIMUM_FEE } : {}),
        },
        allowedRedirectOrigins: redirectOrigins(cfg.ALLOWED_REDIRECT_ORIGINS, [cfg.APP_URL, cfg.API_BASE_URL]),
        holdingPeriodDays: cfg.HOLDING_PERIOD_DAYS,
        commissionBps: cfg.COMMISSION_BPS,
        disputeFeePayer: cfg.DISPUTE_FEE_PAYER,
        payoutCurrencies: cfg.PAYOUT_CURRENCIES,
      },
      log,
    };
  }
  return cached;
}
