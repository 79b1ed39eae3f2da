/**
 * The closed catalog of error codes: every `error.code` the API can answer is a key of `ERROR_CATALOG`, with its
 * kind (which fixes the HTTP status, see functions/middleware/error-mapper.ts), a default message and, for the docs'
 * error table, when it is answered. `fail(code)` and `new DomainError(kind, code, …)` only take catalog codes, so a
 * code that is not here does not compile; docs/architecture.md's error table is checked against this catalog by a
 * unit test (tests/unit/error-catalog.test.ts).
 *
 * Codes are public: renaming or removing one is a breaking change. Add new ones; keep old ones.
 */
export type ErrorKind =
  | 'validation' // 400: the request itself is malformed
  | 'unauthenticated' // 401
  | 'forbidden' // 403: authenticated, but not allowed
  | 'not_found' // 404
  | 'conflict' // 409: state conflict (already exists, different body for the same key)
  | 'payload_too_large' // 413
  | 'unsupported_media_type' // 415
  | 'business_rule' // 422: well-formed but refused by a rule (partner not onboarded, currency mismatch)
  | 'rate_limited' // 429
  | 'internal' // 500: a bug or an outage (never a DomainError: anything unexpected)
  | 'upstream'; // 502: Stripe (or another dependency) failed

export interface CatalogEntry {
  readonly kind: ErrorKind;
  /** The message when the thrower gives none (most give a more precise one). */
  readonly message: string;
  /** When the code is answered (the docs' error table). */
  readonly description: string;
}

export const ERROR_CATALOG = {
  // 400 validation
  validation_error: {
    kind: 'validation',
    message: 'The request is invalid.',
    description: 'A body, query or path parameter fails its schema (bodies are strict: unknown fields too)',
  },
  invalid_json: { kind: 'validation', message: 'The body is not valid JSON.', description: 'Malformed JSON body' },
  bad_request: {
    kind: 'validation',
    message: 'The request was refused.',
    description: "API Gateway's own refusal of a request it cannot pass on",
  },
  client_price_refused: {
    kind: 'validation',
    message: 'Prices and payees come from the seller, not the request.',
    description: "A price, payee or name in a buyer's body (at any depth)",
  },
  invalid_cursor: {
    kind: 'validation',
    message: 'The cursor is not valid.',
    description: 'A page cursor this query did not hand out',
  },
  invalid_amount: {
    kind: 'validation',
    message: 'The amount is not valid.',
    description: 'An amount outside the bounds of its currency (or not an integer of minor units)',
  },
  unsupported_currency: {
    kind: 'validation',
    message: 'The currency is not supported.',
    description: 'A currency the platform does not handle',
  },
  mixed_currencies: {
    kind: 'validation',
    message: 'Every item of an order must be in one currency.',
    description: 'Cart items in several currencies',
  },
  duplicate_listing: {
    kind: 'validation',
    message: 'Name each listing once, with its quantity.',
    description: 'A listing named twice in one cart',
  },
  max_per_order_exceeded: {
    kind: 'validation',
    message: 'Too many of this listing in one order.',
    description: "More than the listing's `maxPerOrder`",
  },
  open_amounts_disabled: {
    kind: 'validation',
    message: 'Customer-set amounts are not accepted.',
    description: 'A customer-set amount while open amounts are off',
  },
  redirect_not_allowed: {
    kind: 'validation',
    message: 'The URL must lead to an allowed origin.',
    description: 'A success, cancel or return URL outside the allowed origins',
  },
  return_target_not_allowed: {
    kind: 'validation',
    message: "The return target is not one of this platform's allowed return targets.",
    description: 'An onboarding returnTo/refreshTo outside the stage allow-list (exact https origins and app schemes)',
  },
  invalid_date: {
    kind: 'validation',
    message: 'date must be a calendar day, YYYY-MM-DD.',
    description: 'A day that is not a real UTC calendar day in YYYY-MM-DD form',
  },
  invalid_reference: {
    kind: 'validation',
    message: 'reference must be 1 to 200 characters without control characters.',
    description: 'A platform reference that is empty, longer than 200 characters or has control characters',
  },
  invalid_redirect_url: {
    kind: 'validation',
    message: 'The URL is not an absolute URL.',
    description: 'A redirect URL that is not an absolute http(s) URL',
  },
  reserved_metadata_key: {
    kind: 'validation',
    message: 'This metadata key is set by the platform.',
    description: 'Metadata that names a key the platform sets',
  },
  invalid_expiry: {
    kind: 'validation',
    message: 'expiresAt must be in the future.',
    description: 'A payment request that expires in the past',
  },
  duplicate_external_id: {
    kind: 'validation',
    message: 'Each externalId may appear once per request.',
    description: 'An `externalId` twice in one batch',
  },
  invalid_time_zone: {
    kind: 'validation',
    message: 'Not an IANA time zone.',
    description: 'An unknown `timeZone`',
  },
  invalid_period: {
    kind: 'validation',
    message: 'period must be a month written YYYY-MM.',
    description: 'A payout period that is not `YYYY-MM`',
  },
  invalid_hold_end: {
    kind: 'validation',
    message: 'until must be a time in the future.',
    description: 'A payout hold that ends in the past',
  },
  endpoint_url_not_allowed: {
    kind: 'validation',
    message: 'The URL is not allowed.',
    description: 'A webhook endpoint URL that is not public https',
  },
  unknown_event_type: {
    kind: 'validation',
    message: 'Unknown event types.',
    description: 'A webhook endpoint subscribed to an event type that does not exist',
  },
  invalid_state: {
    kind: 'validation',
    message: 'This onboarding link is not valid.',
    description: 'Onboarding refresh/return with a state that is forged or no longer speaks for the partner (HTML)',
  },
  expired_state: {
    kind: 'validation',
    message: 'This onboarding link has expired.',
    description: 'Onboarding refresh/return with an expired state (HTML)',
  },
  missing_signature: {
    kind: 'validation',
    message: 'The Stripe-Signature header is missing.',
    description: 'A webhook delivery without a signature',
  },
  invalid_signature: {
    kind: 'validation',
    message: 'The webhook signature is not valid.',
    description: 'A webhook delivery whose signature does not verify',
  },
  // 401, 403
  unauthenticated: {
    kind: 'unauthenticated',
    message: 'A valid Cognito ID token is required.',
    description: 'No valid Cognito ID token (or an access token)',
  },
  forbidden: {
    kind: 'forbidden',
    message: 'Access denied.',
    description: 'An operator route without the `admin` group; a request the WAF blocks',
  },
  insufficient_role: {
    kind: 'forbidden',
    message: 'Your role does not allow this.',
    description: "The member's role does not allow the operation",
  },
  email_not_verified: {
    kind: 'forbidden',
    message: 'Verify your email address with your account before accepting an invitation.',
    description: 'Accepting an invitation without a verified email',
  },
  invitation_email_mismatch: {
    kind: 'forbidden',
    message: 'This invitation is for another email address than the one your account verified.',
    description: 'Accepting an invitation as another address',
  },
  // 404
  reconciliation_not_found: {
    kind: 'not_found',
    message: 'No reconciliation has run for this day.',
    description: 'GET /admin/reconciliation/{date} for a day the reconciliation job has not run',
  },
  route_not_found: { kind: 'not_found', message: 'No such route.', description: 'No route for this method and path' },
  partner_not_found: {
    kind: 'not_found',
    message: 'No partner with this id.',
    description: 'A partner that does not exist or the caller is not a member of (no probing)',
  },
  member_not_found: {
    kind: 'not_found',
    message: 'This user is not a member of the partner.',
    description: 'Removing a user who is not a member',
  },
  invitation_not_found: {
    kind: 'not_found',
    message: 'No invitation matches this token or id.',
    description: 'An unknown invitation token or id',
  },
  payee_not_found: {
    kind: 'not_found',
    message: 'No partner with this id.',
    description: 'A payment to a partner that does not exist',
  },
  listing_not_found: {
    kind: 'not_found',
    message: 'No listing with this id.',
    description: 'An unknown or archived listing',
  },
  payment_request_not_found: {
    kind: 'not_found',
    message: 'No payment request with this id.',
    description: 'An unknown payment request',
  },
  order_not_found: { kind: 'not_found', message: 'No order with this id.', description: 'An unknown order' },
  run_not_found: { kind: 'not_found', message: 'No payout run with this id.', description: 'An unknown payout run' },
  payout_not_found: { kind: 'not_found', message: 'No payout with this id.', description: 'An unknown payout' },
  endpoint_not_found: {
    kind: 'not_found',
    message: 'No webhook endpoint with this id.',
    description: 'An unknown webhook endpoint',
  },
  event_not_found: { kind: 'not_found', message: 'No event with this id.', description: 'An unknown domain event' },
  // 409
  idempotency_conflict: {
    kind: 'conflict',
    message: 'The same request was made with different parameters.',
    description: 'Stripe refused a retried request whose parameters differ',
  },
  account_creation_in_progress: {
    kind: 'conflict',
    message: 'The Stripe account is being created by another request; retry shortly.',
    description: "Two requests create the partner's Stripe account at once",
  },
  account_disconnected: {
    kind: 'conflict',
    message: 'This partner disconnected its Stripe account from the platform; contact support to reconnect.',
    description: 'Onboarding or dashboard after the partner deauthorized the platform',
  },
  onboarding_incomplete: {
    kind: 'conflict',
    message: 'The Express Dashboard opens once onboarding details are submitted.',
    description: 'A dashboard link before onboarding details are submitted',
  },
  already_a_member: {
    kind: 'conflict',
    message: 'This user is already a member of the partner.',
    description: 'Adding or accepting a member who already is one',
  },
  invitation_not_pending: {
    kind: 'conflict',
    message: 'This invitation is no longer pending; ask the team for a new one.',
    description: 'Accepting or revoking an invitation that was accepted or revoked',
  },
  invitation_expired: {
    kind: 'conflict',
    message: 'This invitation has expired; ask the team for a new one.',
    description: 'Accepting an expired invitation',
  },
  listing_archived: {
    kind: 'conflict',
    message: 'This listing is archived.',
    description: 'Changing an archived listing',
  },
  listing_changed: {
    kind: 'conflict',
    message: 'The listing keeps changing; try again.',
    description: 'A listing changed (price, capacity, sale) while it was written or an order placed',
  },
  capacity_below_taken: {
    kind: 'conflict',
    message: 'The capacity cannot go below what is sold or reserved.',
    description: 'A capacity lower than what is sold or reserved',
  },
  sold_out: {
    kind: 'conflict',
    message: 'Not enough left of this listing.',
    description: 'Not enough left: `details: { listingId, remaining, requested }`',
  },
  payment_request_not_payable: {
    kind: 'conflict',
    message: 'This payment request cannot be paid.',
    description: 'A payment request that is paid, canceled or expired: `details: { status }`',
  },
  payment_request_in_progress: {
    kind: 'conflict',
    message: 'This payment request is being paid.',
    description: 'A payment request being paid the other way (Checkout vs PaymentIntent)',
  },
  external_id_conflict: {
    kind: 'conflict',
    message: 'This externalId was already recorded with a different body.',
    description: 'An earning or adjustment `externalId` reused with a different body',
  },
  approval_not_required: {
    kind: 'conflict',
    message: 'This run does not wait for approval.',
    description: 'Approving a payout run that does not require approval',
  },
  run_still_planning: {
    kind: 'conflict',
    message: 'The run is still planning; approve it once planning completes.',
    description: 'Approving a payout run before planning completes',
  },
  payout_not_excludable: {
    kind: 'conflict',
    message: 'This payout cannot be excluded.',
    description: 'Excluding a payout that is not planned or awaiting funds',
  },
  payout_changed: {
    kind: 'conflict',
    message: 'The payout changed meanwhile; read it and try again.',
    description: 'A payout changed while an operator action was applied',
  },
  nothing_to_keep: {
    kind: 'conflict',
    message: 'Nothing reversed on this payout is left to keep.',
    description: 'Keeping a reversal that is already kept, or on a payout that was not reversed',
  },
  concurrent_rotation: {
    kind: 'conflict',
    message: 'The secret was rotated at the same time; try again.',
    description: "Two rotations of a webhook endpoint's secret at once",
  },
  // 413, 415
  payload_too_large: {
    kind: 'payload_too_large',
    message: 'The request is too large.',
    description: 'A body over 64 KiB',
  },
  unsupported_media_type: {
    kind: 'unsupported_media_type',
    message: 'The body must be JSON (Content-Type: application/json).',
    description: 'A body that is not `application/json`',
  },
  // 422
  unsupported_country: {
    kind: 'business_rule',
    message: 'Partners in this country are not supported.',
    description: 'A partner country the platform does not allow',
  },
  not_a_team: {
    kind: 'business_rule',
    message: 'Members can only be invited to team partners.',
    description: 'Inviting to a personal partner',
  },
  cannot_remove_owner: {
    kind: 'business_rule',
    message: 'The owner cannot be removed from the partner.',
    description: "Removing the team's owner",
  },
  component_not_allowed: {
    kind: 'business_rule',
    message: 'This platform does not offer these embedded components.',
    description: 'An account session for an embedded component the platform does not offer',
  },
  embedded_components_unavailable: {
    kind: 'business_rule',
    message: 'Embedded components are not configured on this platform (no publishable key).',
    description: 'An account session without a publishable key configured',
  },
  partner_not_onboarded: {
    kind: 'business_rule',
    message: 'This partner cannot receive payments until they finish onboarding.',
    description: 'Paying a partner that is not `active`',
  },
  currency_mismatch: {
    kind: 'business_rule',
    message: "The currency differs from the partner's.",
    description: "A price or payment in another currency than the partner's",
  },
  currency_not_payable: {
    kind: 'business_rule',
    message: 'The partner cannot be paid in this currency.',
    description: 'An earning in a currency the partner cannot be paid in',
  },
  listing_not_on_sale: {
    kind: 'business_rule',
    message: 'This listing is not on sale.',
    description: 'A listing inactive, past `salesEndAt`, or whose seller cannot be paid',
  },
  self_payment: {
    kind: 'business_rule',
    message: 'A member of the seller cannot pay the seller.',
    description: 'A member (any role) of the seller paying it',
  },
  email_required: {
    kind: 'business_rule',
    message: 'These emails cannot be turned off.',
    description: 'Turning off an email that cannot be turned off',
  },
  period_out_of_range: {
    kind: 'business_rule',
    message: "The period is outside the platform's months.",
    description: "A payout period before the platform's launch or too far ahead",
  },
  period_in_future: {
    kind: 'business_rule',
    message: 'The period has not started yet.',
    description: 'A payout run for a month that has not started',
  },
  too_many_endpoints: {
    kind: 'business_rule',
    message: 'Too many webhook endpoints.',
    description: 'More webhook endpoints than the platform allows',
  },
  // 429
  rate_limited: {
    kind: 'rate_limited',
    message: 'Too many requests; retry later.',
    description: 'API Gateway throttling or the per-IP rate of the WAF',
  },
  refresh_rate_limited: {
    kind: 'rate_limited',
    message: 'This was done moments ago; retry shortly.',
    description: 'A Stripe status refresh or onboarding link again within its interval (`Retry-After`)',
  },
  stripe_rate_limited: {
    kind: 'rate_limited',
    message: 'Stripe is busy; retry in a moment.',
    description: 'Stripe rate-limited the request (`Retry-After`)',
  },
  // 500
  internal_error: {
    kind: 'internal',
    message: 'An unexpected error occurred. It has been logged.',
    description: 'Anything unexpected (the details go to the log only)',
  },
  contract_violation: {
    kind: 'internal',
    message: 'The answer broke the API contract.',
    description: "Local stack under test only: an answer the route's contract does not document",
  },
  // 502
  stripe_error: {
    kind: 'upstream',
    message: 'Stripe failed; retry later.',
    description: 'Stripe failed (details carry `stripeRequestId`)',
  },
  stripe_invalid_request: {
    kind: 'upstream',
    message: 'Stripe refused the request.',
    description: 'Stripe refused the request (details carry `stripeRequestId`)',
  },
  stripe_permission_denied: {
    kind: 'upstream',
    message: 'Stripe refused the request.',
    description: 'Stripe refused the key (details carry `stripeRequestId`)',
  },
  account_inaccessible: {
    kind: 'upstream',
    message: 'Stripe no longer lets the platform read this account.',
    description: "Stripe refuses to read the partner's account (after a deauthorization)",
  },
  gateway_error: {
    kind: 'upstream',
    message: 'The service is temporarily unavailable.',
    description: "API Gateway's own 5xx (a function failed or timed out)",
  },
} as const satisfies Record<string, CatalogEntry>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

/** The kind a code always has. */
export type KindOf<C extends ErrorCode> = (typeof ERROR_CATALOG)[C]['kind'];

export const ERROR_CODES = Object.keys(ERROR_CATALOG) as ErrorCode[];

export const isErrorCode = (value: unknown): value is ErrorCode =>
  typeof value === 'string' && Object.hasOwn(ERROR_CATALOG, value);

/** A set of codes, typed (shared sets for the API contract's per-route codes). */
export const codes = <const C extends readonly ErrorCode[]>(...list: C): C => list;
