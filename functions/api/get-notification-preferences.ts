import * as z from 'zod';
import { notifications } from '#adapters/dynamodb/notifications';
import { resolvePartner } from '#core/partner-access';
import { EMAIL_KINDS, REQUIRED_EMAILS } from '#core/partner-emails';
import { lazily } from '#middleware/contract';
import { httpHandler, PARTNER_ACCESS_ERRORS } from '#middleware/http-handler';
import { callerOf, deps, PartnerQuery } from '#middleware/partner-request';

/** Built when a contract is read (never at a function's cold start). */
export const NotificationPreferences = lazily(() =>
  z
    .strictObject({
      partnerId: z.string(),
      emails: z.array(
        z.strictObject({
          kind: z.enum(EMAIL_KINDS as [string, ...string[]]),
          enabled: z.boolean(),
          required: z.boolean().describe('Service messages that keep payouts working cannot be turned off.'),
        }),
      ),
    })
    .describe("The partner's email preferences."),
);

export async function preferencesOf(partnerId: string) {
  const optedOut = await notifications.optedOut(partnerId);
  return {
    partnerId,
    emails: EMAIL_KINDS.map((kind) => ({
      kind,
      enabled: REQUIRED_EMAILS.has(kind) || !optedOut.has(kind),
      required: REQUIRED_EMAILS.has(kind),
    })),
  };
}

/** `GET /partners/me/notifications[?partnerId=]`: which emails the partner's owners get. */
export const handler = httpHandler(
  {
    auth: 'partner',
    errors: [...PARTNER_ACCESS_ERRORS],
    query: PartnerQuery,
    summary: "The partner's email preferences",
    responses: () => ({ 200: NotificationPreferences() }),
  },
  async ({ identity, query }) => {
    const { partner } = await resolvePartner(deps(), callerOf(identity), query.partnerId, 'view_earnings');
    return { status: 200, body: await preferencesOf(partner.id) };
  },
);
