import type { Clock } from './clock.ts';
import type { DomainEvent, DomainEventType } from './domain-events.ts';
import { CURRENCIES, isCurrency } from './money.ts';

/**
 * The emails partners get, decided from domain events. Each kind has a text and an HTML body with the platform's
 * name and links from configuration. Partners may opt out of each kind, except the ones that keep their payouts
 * working (what Stripe needs by a deadline, a failed payout): those are service messages and always sent. Emails go
 * only to verified addresses of the partner's owners (see the email worker).
 */
export type EmailKind = 'payout_paid' | 'payout_failed' | 'action_required' | 'onboarding_complete';

export const EMAIL_KINDS: readonly EmailKind[] = [
  'payout_paid',
  'payout_failed',
  'action_required',
  'onboarding_complete',
];

/** Kinds a partner cannot opt out of. */
export const REQUIRED_EMAILS: ReadonlySet<EmailKind> = new Set(['payout_failed', 'action_required']);

/** The event types the email worker is subscribed to (the bus rule's pattern). */
export const EMAIL_EVENT_TYPES: readonly DomainEventType[] = [
  'payout.paid',
  'payout.failed',
  'partner.action_required',
  'partner.status_changed',
];

const statusEmail = (event: DomainEvent): EmailKind | null =>
  (event as DomainEvent<'partner.status_changed'>).data.to === 'active' ? 'onboarding_complete' : null;
const never = (): EmailKind | null => null;

/** Which email an event sends, if any: every event type is decided here (a new type fails to compile until it is). */
const EMAIL_OF_EVENT: Readonly<Record<DomainEventType, (event: DomainEvent) => EmailKind | null>> = {
  'payout.paid': () => 'payout_paid',
  'payout.failed': () => 'payout_failed',
  'partner.action_required': () => 'action_required',
  'partner.status_changed': statusEmail,
  'order.paid': never,
  'order.canceled': never,
  'order.refunded': never,
  'payment.paid': never,
  'payment.failed': never,
  'payment.refunded': never,
  'payment.disputed': never,
  'payment.dispute_closed': never,
  'earning.recorded': never,
  'earning.available': never,
  'payout.reversed': never,
  'payout.awaiting_funds': never,
  'payout.carried_forward': never,
  'payout_run.completed': never,
  'reconciliation.discrepancy': never,
};

export const emailKindOf = (event: DomainEvent): EmailKind | null => EMAIL_OF_EVENT[event.type](event);

export interface Branding {
  platformName: string;
  /** Where partners manage payouts (the platform's app); empty when there is none. */
  appUrl: string;
  /** The sender, e.g. `payouts@example.com`. */
  from: string;
}

export interface RenderedEmail {
  kind: EmailKind;
  subject: string;
  text: string;
  html: string;
}

/** `12345, usd` → `$123.45` (the currency's minor units from our table, so yen have none). */
export function formatMoney(amount: number, currency: string): string {
  const digits = isCurrency(currency) ? CURRENCIES[currency].minorUnits : 2;
  return new Intl.NumberFormat('en-US', {
    style: 'currency',
    currency: currency.toUpperCase(),
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(amount / 10 ** digits);
}

/** Failure codes of Stripe transfers and bank payouts, in plain words, with what to do. */
const FAILURE_ADVICE: Readonly<Record<string, string>> = {
  account_closed: 'The bank account is closed. Add a new bank account in your payout settings.',
  no_account: 'The bank could not find the account. Check the account details in your payout settings.',
  invalid_account_number: 'The account number is not valid. Check it in your payout settings.',
  account_frozen: 'The bank account is frozen. Contact your bank, or add another account.',
  insufficient_funds: 'The platform could not fund this payout yet; it will be retried automatically.',
  restricted: 'Stripe needs more information before paying you. Open your payout settings to finish it.',
};
const DEFAULT_ADVICE = 'Open your payout settings to check your details; we will try again with the next run.';

const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

function layout(branding: Branding, title: string, paragraphs: string[], action: string | null): RenderedEmail['html'] {
  const link =
    action && branding.appUrl
      ? `<p><a href="${escapeHtml(branding.appUrl)}" style="background:#0b5cff;color:#fff;padding:10px 16px;border-radius:6px;text-decoration:none">${escapeHtml(action)}</a></p>`
      : '';
  return `<!doctype html><html lang="en"><body style="font-family:system-ui,sans-serif;max-width:36rem;margin:0 auto;padding:1rem">
<h1 style="font-size:1.25rem">${escapeHtml(title)}</h1>
${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n')}
${link}
<p style="color:#666;font-size:0.85rem">${escapeHtml(branding.platformName)} · You get this email because you receive payouts from ${escapeHtml(branding.platformName)}.</p>
</body></html>`;
}

function textOf(branding: Branding, title: string, paragraphs: string[], action: string | null): string {
  const link = action && branding.appUrl ? `\n${action}: ${branding.appUrl}\n` : '';
  return `${title}\n\n${paragraphs.join('\n\n')}\n${link}\n— ${branding.platformName}\n`;
}

export function renderEmail(
  kind: EmailKind,
  event: DomainEvent,
  branding: Branding,
  partnerName: string,
): RenderedEmail {
  const compose = (subject: string, title: string, paragraphs: string[], action: string | null): RenderedEmail => ({
    kind,
    subject,
    text: textOf(branding, title, paragraphs, action),
    html: layout(branding, title, paragraphs, action),
  });
  switch (kind) {
    case 'payout_paid': {
      const data = (event as DomainEvent<'payout.paid'>).data;
      const amount = formatMoney(data.amount, data.currency);
      return compose(
        `${branding.platformName} sent you ${amount}`,
        `You were paid ${amount}`,
        [
          `Hi ${partnerName}, your earnings for ${data.period} (${amount}) are on their way to your Stripe account.`,
          'Stripe moves them to your bank on your payout schedule, usually within 2 business days.',
        ],
        'View your payouts',
      );
    }
    case 'payout_failed': {
      const data = (event as DomainEvent<'payout.failed'>).data;
      const amount = formatMoney(data.amount, data.currency);
      return compose(
        `Your ${branding.platformName} payout of ${amount} did not go through`,
        'Your payout did not go through',
        [
          data.stage === 'bank_payout'
            ? `Hi ${partnerName}, Stripe could not move ${amount} from your Stripe balance to your bank account.`
            : `Hi ${partnerName}, we could not pay out your earnings for ${data.period ?? 'this period'} (${amount}).`,
          FAILURE_ADVICE[data.reason] ?? DEFAULT_ADVICE,
          'Your earnings are safe: they stay in your balance until the payout succeeds.',
        ],
        'Check your payout settings',
      );
    }
    case 'action_required': {
      const data = (event as DomainEvent<'partner.action_required'>).data;
      const by = data.deadline ? ` by ${data.deadline.slice(0, 10)}` : '';
      return compose(
        `Action needed to keep receiving payouts from ${branding.platformName}`,
        'Stripe needs a few details',
        [
          `Hi ${partnerName}, Stripe needs more information${by} to keep your payouts running (${data.fields.length} item${data.fields.length === 1 ? '' : 's'}).`,
          'It only takes a few minutes; your payouts pause if it is not provided in time.',
        ],
        'Provide the details',
      );
    }
    case 'onboarding_complete':
      return compose(
        `You're all set to receive payouts from ${branding.platformName}`,
        "You're all set",
        [`Hi ${partnerName}, your Stripe account is ready. Your earnings will be paid out with the next payout run.`],
        'Open your dashboard',
      );
  }
}

/** What the email worker needs from the outside world. */
export interface EmailDeps {
  /** The partner's name and the kinds of email it opted out of (read together); undefined: no such partner. */
  mailingOf(partnerId: string): Promise<{ name: string; optedOut: ReadonlySet<EmailKind> } | undefined>;
  /** The partner's owners (user subs). */
  ownersOf(partnerId: string): Promise<string[]>;
  /** The user's email if Cognito has it verified; null otherwise (never mail an unverified address). */
  verifiedEmailOf(userSub: string): Promise<string | null>;
  /** Claims the (event, recipient) pair; false when it was already sent (a redelivered event). */
  claim(partnerId: string, eventId: string, userSub: string, at: Date): Promise<boolean>;
  release(partnerId: string, eventId: string, userSub: string): Promise<void>;
  send(message: { from: string; to: string; subject: string; text: string; html: string }): Promise<void>;
  branding: Branding;
  clock: Clock;
}

export type EmailOutcome = 'no_email' | 'no_partner' | 'opted_out' | { sent: number; skippedUnverified: number };

/**
 * Emails for one event.
 * 1. The event's kind of email (none for most events); its partner (none: nothing to send).
 * 2. An opted-out kind is not sent, unless it is a required one.
 * 3. To each owner with a verified address, once: the (event, owner) pair is claimed before sending and released
 *    if sending fails, so a redelivered event sends nothing twice and a failed send is tried again.
 */
export async function emailsForEvent(deps: EmailDeps, event: DomainEvent): Promise<EmailOutcome> {
  const kind = emailKindOf(event);
  if (!kind) return 'no_email';
  const partnerId = event.partnerId;
  const mailing = partnerId ? await deps.mailingOf(partnerId) : undefined;
  if (!partnerId || mailing === undefined) return 'no_partner';
  if (!REQUIRED_EMAILS.has(kind) && mailing.optedOut.has(kind)) return 'opted_out';
  const email = renderEmail(kind, event, deps.branding, mailing.name);
  let sent = 0;
  let skippedUnverified = 0;
  for (const owner of await deps.ownersOf(partnerId)) {
    const to = await deps.verifiedEmailOf(owner);
    if (!to) {
      skippedUnverified += 1;
      continue;
    }
    if (!(await deps.claim(partnerId, event.id, owner, deps.clock.now()))) continue;
    try {
      await deps.send({ from: deps.branding.from, to, subject: email.subject, text: email.text, html: email.html });
      sent += 1;
    } catch (error) {
      await deps.release(partnerId, event.id, owner);
      throw error;
    }
  }
  return { sent, skippedUnverified };
}
