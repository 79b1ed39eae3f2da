import * as z from 'zod';
import { notifications } from '#adapters/dynamodb/notifications';
import { fail } from '#core/errors';
import { resolvePartner } from '#core/partner-access';
import { EMAIL_KINDS, type EmailKind, REQUIRED_EMAILS } from '#core/partner-emails';
import { httpHandler, PARTNER_ACCESS_ERRORS } from '#middleware/http-handler';
import { callerOf, deps, PartnerQuery } from '#middleware/partner-request';
import { NotificationPreferences, preferencesOf } from './get-notification-preferences.ts';

const Body = z.strictObject({
  /** The kinds of email the owners do not want (required ones cannot be listed). */
  optOut: z.array(z.enum(EMAIL_KINDS as [EmailKind, ...EmailKind[]])).max(EMAIL_KINDS.length),
});

/** `PUT /partners/me/notifications[?partnerId=]`: opt out of emails by kind (owners and admins). */
export const handler = httpHandler(
  {
    auth: 'partner',
    errors: [...PARTNER_ACCESS_ERRORS, 'email_required'],
    body: Body,
    query: PartnerQuery,
    summary: 'Opt out of partner emails by kind',
    responses: () => ({ 200: NotificationPreferences() }),
  },
  async ({ identity, body, query }) => {
    const { partner } = await resolvePartner(deps(), callerOf(identity), query.partnerId, 'manage_preferences');
    const required = body.optOut.filter((kind) => REQUIRED_EMAILS.has(kind));
    if (required.length > 0) {
      fail('email_required', `These emails cannot be turned off: ${required.join(', ')}.`, {
        required,
      });
    }
    await notifications.setOptedOut(partner.id, [...new Set(body.optOut)], new Date().toISOString());
    return { status: 200, body: await preferencesOf(partner.id) };
  },
);
