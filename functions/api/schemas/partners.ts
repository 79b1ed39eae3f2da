import * as z from 'zod';
import type { invitationView } from '#core/invitations';
import type { statusView } from '#core/onboarding';
import type { adminPartnerView, connectedPayoutView, memberView, partnerView } from '#core/partner-views';
import { lazily } from '#middleware/contract';
import { commonSchemas, type Described } from './common.ts';

/**
 * Response schemas of the partner, team and onboarding routes (the shapes of `#core/partner-views`, and of
 * `#core/invitations` for team invitations).
 */
export const partnerSchemas = lazily(() => {
  const { Currency, Instant, MinorUnits, NextCursor } = commonSchemas();
  const PartnerStatus = z
    .enum(['not_set_up', 'pending_verification', 'restricted', 'active', 'disconnected'])
    .describe('Where the partner stands with Stripe: only `active` partners can be paid.');

  const Role = z.enum(['owner', 'admin', 'member']);

  const PartnerKind = z.enum(['personal', 'team']);

  const PayoutPreference = z.enum(['stripe', 'manual']);

  const Country = z
    .string()
    .regex(/^[A-Z]{2}$/)
    .describe('ISO 3166-1 alpha-2 country code.');

  const Partner = z
    .strictObject({
      id: z.string().describe('Our partner id (`ptn_…`).'),
      kind: PartnerKind,
      name: z.string(),
      role: Role.describe("The caller's role in this partner."),
      status: PartnerStatus,
      stripeAccountId: z.string().nullable().describe('The Express connected account, once created.'),
      payoutPreference: PayoutPreference,
      country: Country,
      defaultCurrency: z.string().describe("The partner's payout currency."),
      detailsSubmitted: z.boolean(),
      chargesEnabled: z.boolean(),
      payoutsEnabled: z.boolean(),
      disconnectedAt: Instant.nullable(),
      createdAt: Instant,
      updatedAt: Instant,
      version: z.number().int().describe('Incremented by every change.'),
    })
    .describe('A partner (a person or a team) as its members see it.');

  const ActionRequired = z
    .strictObject({
      kind: z
        .enum(['onboarding', 'overdue', 'due', 'upcoming'])
        .describe('Not onboarded yet, past due, due now, or announced for later (future requirements).'),
      fields: z.array(z.string()).describe('What Stripe needs (requirement names).'),
      deadline: Instant.nullable().describe('By when, if Stripe gave a deadline.'),
    })
    .describe('What the partner must do so payouts keep working, and by when (null: nothing).');

  const RequirementErrorSchema = z.strictObject({ requirement: z.string(), code: z.string(), reason: z.string() });

  const AdminPartner = z
    .strictObject({
      id: z.string(),
      kind: PartnerKind,
      name: z.string(),
      status: PartnerStatus,
      stripeAccountId: z.string().nullable(),
      payoutPreference: PayoutPreference,
      country: Country,
      defaultCurrency: z.string(),
      requirements: z.strictObject({
        currentlyDue: z.array(z.string()),
        pastDue: z.array(z.string()),
        disabledReason: z.string().nullable(),
      }),
      stateAsOf: Instant.nullable().describe('When the stored onboarding state was read from Stripe.'),
      disconnectedAt: Instant.nullable(),
      actionRequired: ActionRequired.nullable(),
      createdAt: Instant,
      updatedAt: Instant,
    })
    .describe('A partner as operators see it, with what Stripe still requires.');

  const Member = z
    .strictObject({
      userSub: z.string().describe("The member's Cognito sub."),
      email: z.string().nullable(),
      role: Role,
      addedAt: Instant,
    })
    .describe('A member of a partner.');

  const ConnectedPayout = z
    .strictObject({
      id: z.string().describe('Stripe payout id (`po_…`).'),
      amount: MinorUnits,
      currency: Currency,
      status: z.enum(['paid', 'failed', 'pending', 'in_transit', 'canceled']),
      arrivalDate: Instant.nullable(),
      failureCode: z.string().nullable(),
      failureMessage: z.string().nullable(),
      updatedAt: Instant,
    })
    .describe("A Stripe payout from the partner's connected account to their bank.");

  const ConnectStatus = z
    .strictObject({
      partnerId: z.string(),
      status: PartnerStatus,
      stripeAccountId: z.string().nullable(),
      chargesEnabled: z.boolean(),
      payoutsEnabled: z.boolean(),
      detailsSubmitted: z.boolean(),
      requirements: z.strictObject({
        currentlyDue: z.array(z.string()),
        eventuallyDue: z.array(z.string()),
        pastDue: z.array(z.string()),
        errors: z.array(RequirementErrorSchema),
        disabledReason: z.string().nullable(),
        currentDeadline: Instant.nullable(),
      }),
      futureRequirements: z
        .strictObject({
          currentlyDue: z.array(z.string()),
          currentDeadline: Instant.nullable(),
          disabledReason: z.string().nullable(),
        })
        .describe('Requirements Stripe announced ahead of their deadline.'),
      actionRequired: ActionRequired.nullable(),
      stateAsOf: Instant.nullable().describe('When this state was read from Stripe; null before the first read.'),
    })
    .describe("The partner's onboarding status and Stripe's outstanding requirements.");

  const PartnerPage = z
    .strictObject({ partners: z.array(AdminPartner), nextCursor: NextCursor })
    .describe('A page of partners, newest first.');

  const ConnectedPayoutPage = z
    .strictObject({ payouts: z.array(ConnectedPayout), nextCursor: NextCursor })
    .describe("A page of the connected account's payouts, newest first.");

  const Invitation = z
    .strictObject({
      id: z.string().describe('Our invitation id (`inv_…`).'),
      partnerId: z.string(),
      email: z.string().describe('The invited address (lower-cased); only its verified owner can accept.'),
      role: z.enum(['admin', 'member']).describe('The role the invitee gets on accepting.'),
      status: z
        .enum(['pending', 'accepted', 'revoked', 'expired'])
        .describe('`expired`: still pending past `expiresAt`, so it can no longer be accepted.'),
      invitedBy: z.string().describe("The inviting member's Cognito sub."),
      createdAt: Instant,
      expiresAt: Instant,
      acceptedBy: z.string().nullable().describe("The new member's Cognito sub, once accepted."),
      acceptedAt: Instant.nullable(),
      revokedAt: Instant.nullable(),
    })
    .describe('An invitation to join a team, as its owners and admins see it (never its token).');
  return {
    PartnerStatus,
    Partner,
    ActionRequired,
    AdminPartner,
    Member,
    ConnectedPayout,
    ConnectStatus,
    PartnerPage,
    ConnectedPayoutPage,
    Invitation,
  };
});

type Schemas = ReturnType<typeof partnerSchemas>;

export type PartnerBody = Described<Schemas['Partner'], ReturnType<typeof partnerView>>;

export type AdminPartnerBody = Described<Schemas['AdminPartner'], ReturnType<typeof adminPartnerView>>;

export type MemberBody = Described<Schemas['Member'], ReturnType<typeof memberView>>;

export type ConnectedPayoutBody = Described<Schemas['ConnectedPayout'], ReturnType<typeof connectedPayoutView>>;

export type ConnectStatusBody = Described<Schemas['ConnectStatus'], ReturnType<typeof statusView>>;

export type InvitationBody = Described<Schemas['Invitation'], ReturnType<typeof invitationView>>;
