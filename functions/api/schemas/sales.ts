import * as z from 'zod';
import type { publicListingView, sellerListingView } from '#core/listings';
import type { payerRequestView, sellerRequestView } from '#core/payment-requests';
import type { customerOrderView } from '#core/payment-views';
import { lazily } from '#middleware/contract';
import { commonSchemas, type Described } from './common.ts';
import { paymentSchemas } from './payments.ts';

/**
 * Response schemas of what sellers sell and customers buy: listings, payment requests and a customer's order (the
 * shapes of `#core/listings`, `#core/payment-requests` and `customerOrderView`).
 */
export const salesSchemas = lazily(() => {
  const { Currency, Instant, MinorUnits, PlatformMetadata, PlatformReference } = commonSchemas();
  const { PaymentStatus } = paymentSchemas();

  const publicListingFields = {
    id: z.string().describe('Our listing id.'),
    partnerId: z.string().describe('The seller.'),
    sellerName: z.string().nullable().describe("The seller's name; null when the seller is gone."),
    title: z.string(),
    description: z.string().nullable(),
    unitAmount: MinorUnits.describe('The price of one unit.'),
    currency: Currency,
    capacity: z.number().int().optional().describe('How many units may be sold in all; absent when unlimited.'),
    remaining: z
      .number()
      .int()
      .optional()
      .describe('What is left to sell (capacity − sold − reserved, never negative); absent when unlimited.'),
    maxPerOrder: z.number().int().nullable().describe('The most units one order may take; null when unlimited.'),
    salesEndAt: Instant.nullable().describe('No sales at or after it; null when sales do not end.'),
    onSale: z.boolean().describe('Active, not archived, before `salesEndAt`, and the seller can be paid: buyable now.'),
  };

  const PublicListing = z
    .strictObject(publicListingFields)
    .describe('A listing as anyone sees it: nothing about the seller but its name.');

  const SellerListing = z
    .strictObject({
      ...publicListingFields,
      active: z.boolean().describe('The seller may take a listing off sale (and back) without archiving it.'),
      archived: z.boolean(),
      sold: z.number().int().describe('Units paid for.'),
      reserved: z.number().int().describe('Units held by orders not paid yet.'),
      reference: PlatformReference,
      metadata: PlatformMetadata,
      createdAt: Instant,
      updatedAt: Instant,
    })
    .describe('A listing as its seller sees it, with its counters.');

  const PaymentRequestKind = z.enum(['deposit', 'milestone', 'custom']);

  const PaymentRequestStatus = z
    .enum(['open', 'paid', 'canceled', 'expired'])
    .describe('`expired`: still open when `expiresAt` passed; it can no longer be paid.');

  const PayerRequest = z
    .strictObject({
      id: z.string().describe('Our payment request id.'),
      sellerName: z.string().nullable().describe("The seller's name; null when the seller is gone."),
      amount: MinorUnits,
      currency: Currency,
      kind: PaymentRequestKind,
      description: z.string(),
      status: PaymentRequestStatus,
      expiresAt: Instant.nullable(),
    })
    .describe('A payment request as its payer sees it: who asks, how much, for what.');

  const SellerRequest = z
    .strictObject({
      id: z.string().describe('Our payment request id.'),
      partnerId: z.string().describe('The seller.'),
      amount: MinorUnits,
      currency: Currency,
      kind: PaymentRequestKind,
      description: z.string(),
      customerEmail: z.string().nullable().describe('Who it is for (Checkout prefills it); null when not said.'),
      status: PaymentRequestStatus,
      expiresAt: Instant.nullable(),
      paymentId: z.string().nullable().describe("The current attempt's payment; null until someone pays."),
      reference: PlatformReference.describe(
        "The platform's own reference (a job, a booking): carried onto the payment, its Stripe objects' metadata and the ledger entries it creates.",
      ),
      metadata: PlatformMetadata,
      createdAt: Instant,
      updatedAt: Instant,
    })
    .describe('A payment request as its seller sees it.');

  const CustomerOrder = z
    .strictObject({
      id: z.string().describe('Our order id.'),
      partnerId: z.string().describe('The seller; `platform` for an order of several sellers.'),
      currency: Currency,
      amount: MinorUnits.describe('The total.'),
      status: PaymentStatus,
      reference: PlatformReference,
      items: z.array(
        z.strictObject({
          listingId: z.string().nullable().describe('The listing bought; null for an item without one.'),
          name: z.string().describe("The listing's title when the order was placed."),
          unitAmount: MinorUnits.describe("The listing's price when the order was placed."),
          quantity: z.number().int(),
          amount: MinorUnits.describe('unitAmount × quantity.'),
        }),
      ),
      createdAt: Instant,
      updatedAt: Instant,
    })
    .describe('An order as the customer who placed it sees it (nothing about fees).');
  return { PublicListing, SellerListing, PayerRequest, SellerRequest, CustomerOrder };
});

type Schemas = ReturnType<typeof salesSchemas>;

export type PublicListingBody = Described<Schemas['PublicListing'], ReturnType<typeof publicListingView>>;

export type SellerListingBody = Described<Schemas['SellerListing'], ReturnType<typeof sellerListingView>>;

export type PayerRequestBody = Described<Schemas['PayerRequest'], ReturnType<typeof payerRequestView>>;

export type SellerRequestBody = Described<Schemas['SellerRequest'], ReturnType<typeof sellerRequestView>>;

export type CustomerOrderBody = Described<Schemas['CustomerOrder'], ReturnType<typeof customerOrderView>>;
