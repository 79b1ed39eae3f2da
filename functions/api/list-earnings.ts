import * as z from 'zod';
import { earningsHistory } from '#core/earnings';
import { resolvePartner } from '#core/partner-access';
import { httpHandler, PARTNER_ACCESS_ERRORS } from '#middleware/http-handler';
import { Cursor, callerOf, deps, Limit, PartnerId } from '#middleware/partner-request';
import { CurrencyCode, paymentDepsForRequest } from '#middleware/payment-request';
import { paymentSchemas } from './schemas/payments.ts';

const Query = z.strictObject({
  partnerId: PartnerId.optional(),
  currency: CurrencyCode.optional(),
  cursor: Cursor.optional(),
  limit: Limit,
  /** IANA time zone of the summary's calendar days (default UTC). */
  timeZone: z.string().min(1).max(64).optional(),
});

/**
 * `GET /earnings`: the partner's share of every payment and commission (never the gross), the payout status of each
 * entry, and totals for today, the last 7 and 30 days and all time per currency (calendar days in UTC, or
 * `?timeZone=`).
 */
export const handler = httpHandler(
  {
    auth: 'partner',
    errors: [...PARTNER_ACCESS_ERRORS, 'invalid_time_zone', 'unsupported_currency'],
    query: Query,
    summary: 'Ledger entries, each with its payout status, and totals',
    responses: () => {
      const { Earnings } = paymentSchemas();
      return { 200: Earnings };
    },
  },
  async ({ identity, query }) => {
    const { partner } = await resolvePartner(deps(), callerOf(identity), query.partnerId, 'view_earnings');
    return { status: 200, body: await earningsHistory(paymentDepsForRequest(), partner.id, query) };
  },
);
