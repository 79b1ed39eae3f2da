import { createHash, randomBytes } from 'node:crypto';
import { config } from '#config';
import { systemClock } from '#core/clock';
import type { Log } from '#core/partner-access';
import { redirectOrigins } from '#core/payment';
import type { PaymentDeps } from '#core/payment-ports';
import { dynamoDisputeStore } from './dynamodb/dispute-store.ts';
import { dynamoLedgerStore } from './dynamodb/ledger-store.ts';
import { dynamoPartnerRepository } from './dynamodb/partner-repository.ts';
import { dynamoFeePolicies, dynamoPaymentStore, dynamoPayoutReader } from './dynamodb/payment-store.ts';
import { dynamoListingStore, dynamoPaymentRequestStore } from './dynamodb/sales-store.ts';
import { notGranted } from './not-granted.ts';

/** Our payment and order ids: a prefix + 24 lower-case hex characters, random and unguessable. */
export const newPaymentId = () => `pay_${randomBytes(12).toString('hex')}`;
export const newOrderId = () => `ord_${randomBytes(12).toString('hex')}`;
export const newListingId = () => `lst_${randomBytes(12).toString('hex')}`;
export const newPaymentRequestId = () => `prq_${randomBytes(12).toString('hex')}`;
/** The payment of a request's attempt: the same id for every concurrent pay call (and so the same Stripe key). */
export const requestPaymentId = (requestId: string, attempt: number) =>
  `pay_${createHash('sha256').update(`${requestId}#${attempt}`).digest('hex').slice(0, 24)}`;

/** How long a Checkout Session may be paid; its order's reservation is released when it expires. */
export const CHECKOUT_EXPIRY_SECONDS = 30 * 60;

/**
 * The port a payment route has only when its `access` grants it: Stripe (`access.stripe`: `stripePayments` of
 * `#adapters/stripe/payments`). The handler passes it when granted; otherwise it throws when reached (`notGranted`).
 */
export type PaymentGrants = Partial<Pick<PaymentDeps, 'stripe'>>;

/** The table-backed part, built once per execution environment. */
let cached: Omit<PaymentDeps, keyof PaymentGrants> | undefined;

/** The payment, ledger and earnings use cases wired to DynamoDB, with Stripe when the route was granted it. */
export function paymentDeps(log: Log, grants: PaymentGrants = {}): PaymentDeps {
  if (!cached) {
    const cfg = config();
    cached = {
      partners: dynamoPartnerRepository,
      payments: dynamoPaymentStore,
      disputes: dynamoDisputeStore,
      listings: dynamoListingStore,
      paymentRequests: dynamoPaymentRequestStore,
      ledger: dynamoLedgerStore,
      payouts: dynamoPayoutReader,
      feePolicies: dynamoFeePolicies,
      clock: systemClock,
      ids: {
        payment: newPaymentId,
        order: newOrderId,
        listing: newListingId,
        paymentRequest: newPaymentRequestId,
        requestPayment: requestPaymentId,
      },
      settings: {
        openAmounts: cfg.OPEN_AMOUNTS,
        checkoutExpirySeconds: CHECKOUT_EXPIRY_SECONDS,
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
  return { ...cached, stripe: grants.stripe ?? notGranted('stripe', 'Stripe key (access.stripe)') };
}
