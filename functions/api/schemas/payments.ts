import * as z from 'zod';
import type { earningEntryView, earningsHistory, heldEarningView } from '#core/earnings';
import type { adminOrderView, adminPaymentView, payoutView } from '#core/payment-views';
import { lazily } from '#middleware/contract';
import { commonSchemas, type Described } from './common.ts';

/** Response schemas of the payment, earnings and partner-payout routes (the shapes of `#core/payment-views`). */
export const paymentSchemas = lazily(() => {
  const { Currency, Instant, MinorUnits, NextCursor, PlatformMetadata, PlatformReference } = commonSchemas();
  const PaymentStatus = z
    .enum(['pending', 'failed', 'canceled', 'paid', 'partially_refunded', 'refunded'])
    .describe('Set by Stripe webhooks only, never by a browser redirect.');

  const AdminPayment = z
    .strictObject({
      id: z.string(),
      kind: z.enum(['deposit', 'milestone', 'custom', 'checkout']),
      orderId: z.string().nullable().describe('The order a Checkout payment pays; null for a PaymentIntent.'),
      partnerId: z.string().describe('The payee.'),
      customerSub: z.string().describe("The paying customer's Cognito sub."),
      amount: MinorUnits,
      currency: Currency,
      fee: MinorUnits.describe('The platform fee.'),
      net: MinorUnits.describe("The partner's share (amount − fee)."),
      feeBps: z.number().int(),
      description: z.string(),
      metadata: z.record(z.string(), z.string()),
      reference: PlatformReference.describe(
        "The platform's reference of what is paid (its payment request's or order's).",
      ),
      status: PaymentStatus,
      amountRefunded: MinorUnits,
      partnerRefunded: MinorUnits.describe('The share taken back from the partner by refunds.'),
      disputed: z.boolean(),
      dispute: z
        .strictObject({ id: z.string(), status: z.string(), reason: z.string().nullable(), amount: MinorUnits })
        .nullable(),
      failureCode: z.string().nullable(),
      stripe: z.strictObject({
        accountId: z.string(),
        paymentIntentId: z.string().nullable(),
        chargeId: z.string().nullable(),
        checkoutSessionId: z.string().nullable(),
      }),
      paidAt: Instant.nullable(),
      createdAt: Instant,
      updatedAt: Instant,
    })
    .describe('A payment as operators see it, with its Stripe ids, fee and net.');

  const AdminOrder = z
    .strictObject({
      id: z.string(),
      partnerId: z.string(),
      customerSub: z.string(),
      customerEmail: z.string().nullable(),
      currency: Currency,
      amount: MinorUnits,
      fee: MinorUnits,
      net: MinorUnits,
      status: PaymentStatus,
      reference: PlatformReference,
      metadata: PlatformMetadata,
      items: z.array(
        z.strictObject({
          listingId: z.string().nullable().describe('The listing bought; null for an item without one.'),
          name: z.string(),
          unitAmount: MinorUnits,
          quantity: z.number().int(),
          amount: MinorUnits.describe('unitAmount × quantity.'),
        }),
      ),
      successUrl: z.string(),
      cancelUrl: z.string(),
      stripeCheckoutSessionId: z.string().nullable(),
      payment: AdminPayment.nullable(),
      createdAt: Instant,
      updatedAt: Instant,
    })
    .describe('An order, its items and its payment.');

  const PartnerPayout = z
    .strictObject({
      id: z.string(),
      period: z.string().describe('The month paid, YYYY-MM.'),
      amount: MinorUnits,
      currency: Currency,
      status: z.enum(['planned', 'sending', 'paid', 'awaiting_funds', 'carried_forward', 'failed', 'reversed']),
      stripeTransferId: z.string().nullable(),
      reversedAmount: MinorUnits.describe('How much of the transfer Stripe reversed; 0 when none.'),
      entryCount: z.number().int().describe('The ledger entries this payout covers.'),
      coveredEarnings: z
        .array(
          z.strictObject({
            entryId: z.string().describe('The ledger entry (as in `GET /earnings`).'),
            amount: MinorUnits.describe('Signed: earnings positive, clawbacks and holds negative.'),
            platformReference: PlatformReference,
          }),
        )
        .describe('The platform-held ledger entries this payout covers, with their platform references.'),
      reason: z.string().nullable().describe('Why the amount was carried forward or failed.'),
      createdAt: Instant,
      updatedAt: Instant,
    })
    .describe("A platform payout (the monthly run's transfer) to the partner.");

  const EarningEntry = z
    .strictObject({
      id: z.string(),
      type: z.enum([
        'earning',
        'refund',
        'clawback',
        'transfer',
        'payout',
        'reversal',
        'adjustment',
        'hold',
        'release',
      ]),
      date: Instant.describe('When it happened.'),
      description: z.string(),
      reference: z.string().describe('Our id of what caused it (payment, order, external id, payout).'),
      platformReference: PlatformReference.describe(
        "The platform's own reference of what caused it (its payment request's, order's or recorded earning's); null when none.",
      ),
      amount: MinorUnits.describe("Signed: the partner's share (never the gross)."),
      currency: Currency,
      payoutStatus: z.enum(['transferred', 'pending', 'available', 'in_payout', 'paid']),
      payoutId: z.string().nullable(),
      availableAt: Instant.nullable().describe('Platform-held earnings: when they may be paid out.'),
    })
    .describe("An entry of the partner's ledger.");

  const EarningsTotals = z.strictObject({
    today: MinorUnits,
    last7Days: MinorUnits,
    last30Days: MinorUnits,
    allTime: MinorUnits,
  });

  const Earnings = z
    .strictObject({
      entries: z.array(EarningEntry),
      summary: z.record(Currency, EarningsTotals).describe('Totals per currency (calendar days in `timeZone`).'),
      timeZone: z.string(),
      nextCursor: NextCursor,
    })
    .describe("A page of the partner's ledger, newest first, and totals per currency.");

  const HeldEarning = z
    .strictObject({
      externalId: z.string(),
      entryId: z.string(),
      partnerId: z.string(),
      amount: MinorUnits,
      currency: Currency,
      description: z.string(),
      availableAt: Instant,
      recordedAt: Instant,
    })
    .describe('A platform-held earning.');
  return { PaymentStatus, AdminPayment, AdminOrder, PartnerPayout, EarningEntry, Earnings, HeldEarning };
});

type Schemas = ReturnType<typeof paymentSchemas>;

export type AdminPaymentBody = Described<Schemas['AdminPayment'], ReturnType<typeof adminPaymentView>>;

export type AdminOrderBody = Described<Schemas['AdminOrder'], ReturnType<typeof adminOrderView>>;

export type PartnerPayoutBody = Described<Schemas['PartnerPayout'], ReturnType<typeof payoutView>>;

export type EarningEntryBody = Described<Schemas['EarningEntry'], ReturnType<typeof earningEntryView>>;

export type EarningsBody = Described<Schemas['Earnings'], Awaited<ReturnType<typeof earningsHistory>>>;

export type HeldEarningBody = Described<Schemas['HeldEarning'], ReturnType<typeof heldEarningView>>;
