import { z } from 'zod';
import { PARTNER_STATUSES, type PartnerStatus } from '#core/partner';
import { listPartners } from '#core/partner-queries';
import { adminPartnerView } from '#core/partner-views';
import { httpHandler } from '#middleware/http-handler';
import { Cursor, deps, Limit } from '#middleware/partner-request';
import { PartnerPage } from './schemas/partners.ts';

const Query = z.strictObject({
  status: z.enum(PARTNER_STATUSES as [PartnerStatus, ...PartnerStatus[]]).optional(),
  cursor: Cursor.optional(),
  limit: Limit,
});

/** Operators: partners newest first, optionally by status, paginated with an opaque cursor. Admin group only. */
export const handler = httpHandler(
  { auth: 'admin', query: Query, summary: 'Every partner (operators)', responses: { 200: PartnerPage } },
  async ({ query }) => {
    const page = await listPartners(deps(), query);
    return { status: 200, body: { partners: page.partners.map(adminPartnerView), nextCursor: page.nextCursor } };
  },
);
