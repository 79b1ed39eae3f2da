import { config } from '#config';
import { systemClock } from '#core/clock';
import type { EmailDeps } from '#core/partner-emails';
import { verifiedEmailOf } from './cognito/verified-email.ts';
import { notifications } from './dynamodb/notifications.ts';
import { dynamoPartnerRepository } from './dynamodb/partner-repository.ts';
import { sendMail } from './mail/mailer.ts';

/** The email worker wired to DynamoDB, Cognito and SES (or SMTP locally). */
export function emailDeps(): EmailDeps {
  const cfg = config();
  return {
    mailingOf: (partnerId) => notifications.mailing(partnerId),
    ownersOf: async (partnerId) =>
      (await dynamoPartnerRepository.membersOf(partnerId))
        .filter((member) => member.role === 'owner')
        .map((member) => member.userSub),
    verifiedEmailOf,
    claim: (partnerId, eventId, userSub, at) => notifications.claim(partnerId, eventId, userSub, at),
    release: (partnerId, eventId, userSub) => notifications.release(partnerId, eventId, userSub),
    send: sendMail,
    branding: { platformName: cfg.PLATFORM_NAME, appUrl: cfg.APP_URL, from: cfg.EMAIL_FROM },
    clock: systemClock,
  };
}
