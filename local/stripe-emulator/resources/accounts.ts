import { type EmulatorCore, previousAttributes } from '../core.ts';
import { COUNTRY_CURRENCY, checkCurrency } from '../currency.ts';
import { accountInaccessible, invalidRequest, resourceMissing } from '../errors.ts';
import type { FormValue } from '../form.ts';
import { paginate, readPage } from '../pagination.ts';
import { applyMetadata, inRange, type Params } from '../params.ts';
import type { RequestContext, Router } from '../router.ts';
import { PLATFORM } from '../store.ts';
import type { Account, BankAccount, Capability, CapabilityStatus, LoginLink, Requirements } from '../types.ts';
import { emptyRequirements } from './common.ts';

export const ACCOUNT_STATES = [
  'onboarding_incomplete',
  'pending_verification',
  'verified',
  'restricted',
  'restricted_soon',
  'future_requirements',
  'payouts_disabled',
  'deauthorized',
] as const;
export type AccountState = (typeof ACCOUNT_STATES)[number];

export interface AccountStateOptions {
  /** Requirements that are past due (restricted) or currently due (restricted_soon). */
  requirements?: string[];
  /**
   * restricted_soon: seconds until `requirements.current_deadline`; future_requirements: seconds until
   * `future_requirements.current_deadline`. Default 7 days (restricted_soon) and 30 days (future_requirements).
   */
  deadlineInSeconds?: number;
  /** Leave `future_requirements` as they are (onboarding that did not collect them). */
  keepFutureRequirements?: boolean;
}

const BUSINESS_TYPES = ['individual', 'company', 'non_profit', 'government_entity'] as const;

function initialDue(account: Account): string[] {
  const due = ['business_profile.mcc', 'business_profile.url', 'external_account'];
  if (!account.business_type) due.push('business_type');
  if (account.business_type === 'company') {
    due.push(
      'company.address.city',
      'company.address.line1',
      'company.name',
      'company.tax_id',
      'representative.dob.day',
    );
  } else {
    due.push(
      'individual.address.city',
      'individual.address.line1',
      'individual.address.postal_code',
      'individual.dob.day',
      'individual.dob.month',
      'individual.dob.year',
      'individual.email',
      'individual.first_name',
      'individual.last_name',
      'individual.phone',
    );
  }
  if (!account.tos_acceptance.date) due.push('tos_acceptance.date', 'tos_acceptance.ip');
  return due.sort();
}

function onboardingRequirements(account: Account): Requirements {
  const due = initialDue(account);
  return {
    ...emptyRequirements(),
    currently_due: due,
    eventually_due: due,
    past_due: due,
    disabled_reason: 'requirements.past_due',
  };
}

function setCapabilities(account: Account, status: CapabilityStatus | ((name: string) => CapabilityStatus)): void {
  for (const name of Object.keys(account.capabilities)) {
    account.capabilities[name] = typeof status === 'function' ? status(name) : status;
  }
}

function bankAccount(core: EmulatorCore, account: Account): BankAccount {
  return {
    id: core.id('ba'),
    object: 'bank_account',
    account: account.id,
    account_holder_name: null,
    account_holder_type: null,
    bank_name: 'STRIPE TEST BANK',
    country: account.country,
    currency: account.default_currency,
    default_for_currency: true,
    fingerprint: core.ids.chars(16),
    last4: '6789',
    metadata: {},
    routing_number: '110000000',
    status: 'new',
  };
}

function ensureSubmitted(core: EmulatorCore, account: Account): void {
  account.details_submitted = true;
  account.business_type ??= 'individual';
  account.business_profile.mcc ??= '5734';
  account.tos_acceptance.date ??= core.now();
  account.tos_acceptance.ip ??= '127.0.0.1';
  if (account.external_accounts.data.length === 0) {
    account.external_accounts.data.push(bankAccount(core, account));
    account.external_accounts.total_count = 1;
  }
}

/** The state changes onboarding and verification cause, with the events Stripe sends for them. */
export function setAccountState(
  core: EmulatorCore,
  accountId: string,
  state: AccountState,
  opts: AccountStateOptions = {},
): Account {
  const account = core.store.accounts.get(accountId, PLATFORM);
  const meta = core.store.accountMeta.get(accountId);
  if (!account || !meta || meta.deleted) throw resourceMissing('account', accountId, 'account');
  if (state === 'deauthorized') {
    if (!meta.deauthorized) {
      meta.deauthorized = true;
      core.emit(
        'account.application.deauthorized',
        { id: core.applicationId, object: 'application', name: 'connect-payouts (Stripe emulator)' },
        { account: accountId },
      );
    }
    return account;
  }
  changeAccount(core, account, () => {
    switch (state) {
      case 'onboarding_incomplete':
        account.details_submitted = false;
        account.charges_enabled = false;
        account.payouts_enabled = false;
        setCapabilities(account, 'inactive');
        account.requirements = onboardingRequirements(account);
        break;
      case 'pending_verification':
        ensureSubmitted(core, account);
        account.charges_enabled = false;
        account.payouts_enabled = false;
        setCapabilities(account, 'pending');
        account.requirements = {
          ...emptyRequirements(),
          pending_verification: ['individual.id_number', 'individual.verification.document'],
          disabled_reason: 'requirements.pending_verification',
        };
        break;
      case 'verified':
        ensureSubmitted(core, account);
        account.charges_enabled = true;
        account.payouts_enabled = true;
        setCapabilities(account, 'active');
        account.requirements = emptyRequirements();
        break;
      case 'restricted': {
        ensureSubmitted(core, account);
        const due = opts.requirements ?? ['individual.verification.document'];
        account.charges_enabled = false;
        account.payouts_enabled = false;
        setCapabilities(account, 'inactive');
        account.requirements = {
          ...emptyRequirements(),
          currently_due: due,
          eventually_due: due,
          past_due: due,
          disabled_reason: 'requirements.past_due',
        };
        break;
      }
      case 'restricted_soon': {
        ensureSubmitted(core, account);
        const due = opts.requirements ?? ['individual.verification.document'];
        account.charges_enabled = true;
        account.payouts_enabled = true;
        setCapabilities(account, 'active');
        account.requirements = {
          ...emptyRequirements(),
          currently_due: due,
          eventually_due: due,
          current_deadline: core.now() + (opts.deadlineInSeconds ?? 7 * 86400),
        };
        break;
      }
      case 'future_requirements': {
        // Verified today; Stripe announced what it will need by a deadline (e.g. a regulation taking effect).
        ensureSubmitted(core, account);
        const due = opts.requirements ?? ['individual.verification.additional_document'];
        account.charges_enabled = true;
        account.payouts_enabled = true;
        setCapabilities(account, 'active');
        account.requirements = emptyRequirements();
        account.future_requirements = {
          ...emptyRequirements(),
          currently_due: due,
          eventually_due: due,
          current_deadline: core.now() + (opts.deadlineInSeconds ?? 30 * 86400),
        };
        return;
      }
      case 'payouts_disabled': {
        ensureSubmitted(core, account);
        const due = opts.requirements ?? ['external_account'];
        account.charges_enabled = true;
        account.payouts_enabled = false;
        setCapabilities(account, 'active');
        account.requirements = { ...emptyRequirements(), currently_due: due, eventually_due: due, past_due: due };
        break;
      }
    }
    if (!opts.keepFutureRequirements) account.future_requirements = emptyRequirements();
  });
  return account;
}

/** Applies a change and emits `capability.updated` per changed capability, then `account.updated` if anything changed. */
export function changeAccount(core: EmulatorCore, account: Account, mutate: () => void): void {
  const before = structuredClone(account);
  try {
    mutate();
  } catch (e) {
    // A rejected update leaves the account exactly as it was.
    Object.assign(account, structuredClone(before));
    throw e;
  }
  if (hasDeadline(account)) core.store.accountsWithDeadlines.add(account.id);
  for (const [name, status] of Object.entries(account.capabilities)) {
    const old = before.capabilities[name];
    if (old !== status) {
      core.emit('capability.updated', capabilityObject(core, account, name), {
        account: account.id,
        previous: { status: old ?? 'unrequested' },
      });
    }
  }
  if (JSON.stringify(before) !== JSON.stringify(account)) {
    core.emit('account.updated', account, { account: account.id, previous: previousAttributes(before, account) });
  }
}

export function capabilityObject(core: EmulatorCore, account: Account, name: string): Capability {
  const status = account.capabilities[name] ?? 'unrequested';
  const meta = core.store.accountMeta.get(account.id);
  return {
    id: name,
    object: 'capability',
    account: account.id,
    future_requirements: emptyRequirements(),
    requested: status !== 'unrequested',
    requested_at: meta?.capabilityRequestedAt[name] ?? null,
    requirements: status === 'active' ? emptyRequirements() : structuredClone(account.requirements),
    status,
  };
}

function readCapabilities(p: Params): Record<string, boolean> {
  const caps = p.object('capabilities');
  const out: Record<string, boolean> = {};
  if (!caps) return out;
  for (const name of caps.keys()) {
    if (!/^[a-z0-9_]+$/.test(name)) throw invalidRequest(`Invalid capability: ${name}`, { param: caps.name(name) });
    const c = caps.object(name, { required: true }) as Params;
    const requested = c.bool('requested');
    if (requested === undefined)
      throw invalidRequest('Missing required param: requested.', { param: c.name('requested') });
    out[name] = requested;
  }
  return out;
}

function readBusinessProfile(p: Params, account: Account): void {
  const bp = p.object('business_profile');
  if (!bp) return;
  for (const field of [
    'mcc',
    'name',
    'product_description',
    'support_email',
    'support_phone',
    'support_url',
    'url',
  ] as const) {
    const v = bp.string(field);
    if (v !== undefined) account.business_profile[field] = v === '' ? null : v;
  }
  bp.ignore(...bp.keys());
}

function readSettings(p: Params, account: Account): void {
  const settings = p.object('settings');
  if (!settings) return;
  const payouts = settings.object('payouts');
  if (payouts) {
    const schedule = payouts.object('schedule');
    if (schedule) {
      const interval = schedule.string('interval', { enum: ['manual', 'daily', 'weekly', 'monthly'] });
      if (interval) account.settings.payouts.schedule.interval = interval;
      const delay = schedule.raw('delay_days');
      if (typeof delay === 'string' && delay !== 'minimum') {
        account.settings.payouts.schedule.delay_days = schedule.int('delay_days', { min: 0, max: 365 }) ?? 2;
      }
      schedule.ignore('weekly_anchor', 'monthly_anchor');
    }
    const debit = payouts.bool('debit_negative_balances');
    if (debit !== undefined) account.settings.payouts.debit_negative_balances = debit;
    payouts.ignore('statement_descriptor');
  }
  const dashboard = settings.object('dashboard');
  if (dashboard) {
    const name = dashboard.string('display_name');
    if (name !== undefined) account.settings.dashboard.display_name = name;
    const tz = dashboard.string('timezone');
    if (tz) account.settings.dashboard.timezone = tz;
  }
  // Branding, card payments, statement descriptors etc. are accepted and not modelled.
  settings.ignore(...settings.keys());
}

function readTos(p: Params, account: Account, creating: boolean): void {
  const tos = p.object('tos_acceptance');
  if (!tos) return;
  const agreement = tos.string('service_agreement', { enum: ['full', 'recipient'] });
  if (agreement) {
    if (!creating) {
      throw invalidRequest('You cannot change `tos_acceptance[service_agreement]` once it has been set.', {
        param: 'tos_acceptance[service_agreement]',
      });
    }
    account.tos_acceptance.service_agreement = agreement;
  }
  const date = tos.int('date', { min: 0 });
  if (date !== undefined) account.tos_acceptance.date = date;
  const ip = tos.string('ip');
  if (ip !== undefined) account.tos_acceptance.ip = ip;
  const ua = tos.string('user_agent');
  if (ua !== undefined) account.tos_acceptance.user_agent = ua;
}

/**
 * Stripe's `type` of an account created by controller properties: the legacy type whose properties it matches
 * (Express: Express Dashboard, Stripe collects requirements, the platform pays fees and bears losses; Standard: the
 * full Dashboard, the account pays and bears; Custom: no Dashboard, the platform collects, pays and bears), and
 * `none` for any other combination (e.g. an Express Dashboard with Stripe bearing losses).
 */
export function typeOfController(controller: Account['controller']): Account['type'] {
  const fees = controller.fees.payer;
  const key = [controller.stripe_dashboard.type, controller.requirement_collection, controller.losses.payments].join(
    '/',
  );
  if (key === 'express/stripe/application' && (fees === 'application' || fees === 'application_express')) {
    return 'express';
  }
  if (key === 'full/stripe/stripe' && fees === 'account') return 'standard';
  if (key === 'none/application/application' && (fees === 'application' || fees === 'application_custom')) {
    return 'custom';
  }
  return 'none';
}

function readController(p: Params): { type: Account['type']; controller: Account['controller'] } | undefined {
  const c = p.object('controller');
  if (!c) return undefined;
  const dashboard = c.object('stripe_dashboard')?.string('type', { enum: ['express', 'full', 'none'] }) ?? 'full';
  const fees =
    c.object('fees')?.string('payer', { enum: ['account', 'application'] }) ??
    (dashboard === 'full' ? 'account' : 'application');
  const losses =
    c.object('losses')?.string('payments', { enum: ['application', 'stripe'] }) ??
    (dashboard === 'full' ? 'stripe' : 'application');
  const collection =
    c.string('requirement_collection', { enum: ['application', 'stripe'] }) ??
    (dashboard === 'none' ? 'application' : 'stripe');
  // Stripe's documented constraints between the properties.
  if (collection === 'application' && dashboard !== 'none') {
    throw invalidRequest(
      '`controller[requirement_collection]=application` is only available for accounts without a Stripe Dashboard (`controller[stripe_dashboard][type]=none`).',
      { param: 'controller[requirement_collection]' },
    );
  }
  if (collection === 'application' && losses === 'stripe') {
    throw invalidRequest(
      'Stripe cannot bear losses (`controller[losses][payments]=stripe`) for accounts whose requirements the platform collects.',
      { param: 'controller[losses][payments]' },
    );
  }
  const controller: Account['controller'] = {
    fees: { payer: fees },
    is_controller: true,
    losses: { payments: losses },
    requirement_collection: collection,
    stripe_dashboard: { type: dashboard },
    type: 'application',
  };
  return { type: typeOfController(controller), controller };
}

/** The controller properties Stripe sets on accounts created with a legacy `type`. */
function controllerFor(type: Account['type']): Account['controller'] {
  const dashboard = type === 'express' ? 'express' : type === 'custom' ? 'none' : 'full';
  const payer = type === 'express' ? 'application_express' : type === 'custom' ? 'application_custom' : 'account';
  return {
    fees: { payer },
    is_controller: true,
    losses: { payments: type === 'standard' ? 'stripe' : 'application' },
    requirement_collection: type === 'custom' ? 'application' : 'stripe',
    stripe_dashboard: { type: dashboard },
    type: 'application',
  };
}

function createAccount(ctx: RequestContext): Account {
  const { core, params: p } = ctx;
  const type = p.string('type', { enum: ['express', 'standard', 'custom'] }) as Account['type'] | undefined;
  const controlled = readController(p);
  if (type && controlled) {
    throw invalidRequest('You cannot specify both `type` and `controller`.', {
      param: 'type',
      code: 'parameters_exclusive',
    });
  }
  const country = (p.string('country') ?? 'US').toUpperCase();
  if (!(country in COUNTRY_CURRENCY)) {
    throw invalidRequest(
      `Country '${country}' is unknown. Try using a 2-character alphanumeric country code instead, such as 'US', 'EG', or 'GB'.`,
      { param: 'country' },
    );
  }
  const requestedCurrency = p.string('default_currency');
  const accountType = type ?? controlled?.type ?? 'standard';
  const now = core.now();
  const account: Account = {
    id: core.id('acct', 16),
    object: 'account',
    business_profile: {
      mcc: null,
      name: null,
      product_description: null,
      support_email: null,
      support_phone: null,
      support_url: null,
      url: null,
    },
    business_type: p.string('business_type', { enum: BUSINESS_TYPES }) ?? null,
    capabilities: {},
    charges_enabled: false,
    controller: controlled?.controller ?? controllerFor(accountType),
    country,
    created: now,
    default_currency: requestedCurrency
      ? checkCurrency(requestedCurrency, 'default_currency')
      : (COUNTRY_CURRENCY[country] ?? 'usd'),
    details_submitted: false,
    email: p.string('email') ?? null,
    external_accounts: { object: 'list', data: [], has_more: false, total_count: 0, url: '' },
    future_requirements: emptyRequirements(),
    metadata: applyMetadata({}, p.metadata()),
    payouts_enabled: false,
    requirements: emptyRequirements(),
    settings: {
      dashboard: { display_name: null, timezone: 'Etc/UTC' },
      payouts: { debit_negative_balances: true, schedule: { delay_days: 2, interval: 'daily' } },
    },
    tos_acceptance: { date: null, ip: null, user_agent: null },
    type: accountType,
  };
  account.external_accounts.url = `/v1/accounts/${account.id}/external_accounts`;
  readBusinessProfile(p, account);
  readSettings(p, account);
  readTos(p, account, true);
  const meta = { deauthorized: false, deleted: false, capabilityRequestedAt: {} as Record<string, number> };
  for (const [name, requested] of Object.entries(readCapabilities(p))) {
    if (!requested) continue;
    account.capabilities[name] = 'inactive';
    meta.capabilityRequestedAt[name] = now;
  }
  // Identity details are accepted (onboarding collects them) but not modelled field by field.
  p.ignore('individual', 'company', 'external_account', 'groups');
  account.requirements = onboardingRequirements(account);
  p.done();
  core.store.accounts.add(PLATFORM, account);
  core.store.accountMeta.set(account.id, meta);
  return account;
}

function accountForRead(core: EmulatorCore, id: string, apiKey: string): Account {
  const account = core.store.accounts.get(id, PLATFORM);
  const meta = core.store.accountMeta.get(id);
  if (!account || !meta || meta.deleted || meta.deauthorized) {
    throw accountInaccessible(apiKey, id);
  }
  return account;
}

function updateAccount(ctx: RequestContext): Account {
  const { core, params: p } = ctx;
  const account = accountForRead(core, ctx.pathParams.id as string, ctx.apiKey);
  const meta = core.store.accountMeta.get(account.id);
  changeAccount(core, account, () => {
    const email = p.string('email');
    if (email !== undefined) account.email = email === '' ? null : email;
    const bt = p.string('business_type', { enum: BUSINESS_TYPES });
    if (bt !== undefined) account.business_type = bt;
    const dc = p.string('default_currency');
    if (dc) account.default_currency = checkCurrency(dc, 'default_currency');
    account.metadata = applyMetadata(account.metadata, p.metadata());
    readBusinessProfile(p, account);
    readSettings(p, account);
    readTos(p, account, false);
    for (const [name, requested] of Object.entries(readCapabilities(p))) {
      if (requested && !(name in account.capabilities)) {
        account.capabilities[name] = account.charges_enabled ? 'active' : 'inactive';
        if (meta) meta.capabilityRequestedAt[name] = core.now();
      } else if (!requested) {
        delete account.capabilities[name];
      }
    }
    p.ignore('individual', 'company', 'external_account', 'groups');
    p.done();
    if (!account.details_submitted) account.requirements = onboardingRequirements(account);
  });
  return account;
}

function listAccounts(ctx: RequestContext) {
  const { core, params: p } = ctx;
  const created = p.range('created');
  const page = readPage(p);
  const items = core.store.accounts.list(PLATFORM, (a) => {
    const meta = core.store.accountMeta.get(a.id);
    return !meta?.deleted && !meta?.deauthorized && inRange(a.created, created);
  });
  return paginate(items, page, '/v1/accounts', 'account');
}

function createLoginLink(ctx: RequestContext): LoginLink {
  const { core } = ctx;
  const account = accountForRead(core, ctx.pathParams.id as string, ctx.apiKey);
  if (account.controller.stripe_dashboard.type !== 'express') {
    throw invalidRequest(`Cannot create a login link for the account ${account.id}, which is not an Express account.`, {
      param: 'account',
    });
  }
  if (!account.details_submitted) {
    throw invalidRequest(
      `Cannot create a login link for an account that has not completed onboarding (${account.id}). Create an Account Link with type account_onboarding instead.`,
      { param: 'account' },
    );
  }
  return {
    object: 'login_link',
    created: core.now(),
    url: `${core.baseUrl}/hosted/express/${account.id}/${core.ids.chars(12)}`,
  };
}

export function registerAccountRoutes(r: Router): void {
  r.post('/v1/accounts', createAccount, { platformOnly: true });
  r.get('/v1/accounts', listAccounts, { platformOnly: true });
  r.get('/v1/account', (ctx) => {
    if (ctx.account) return accountForRead(ctx.core, ctx.account, ctx.apiKey);
    return platformAccount(ctx.core);
  });
  r.get('/v1/accounts/:id', (ctx) => accountForRead(ctx.core, ctx.pathParams.id as string, ctx.apiKey));
  r.post('/v1/accounts/:id', updateAccount, { platformOnly: true });
  r.delete(
    '/v1/accounts/:id',
    (ctx) => {
      const account = accountForRead(ctx.core, ctx.pathParams.id as string, ctx.apiKey);
      ctx.params.done();
      const meta = ctx.core.store.accountMeta.get(account.id);
      if (meta) meta.deleted = true;
      return { id: account.id, object: 'account', deleted: true };
    },
    { platformOnly: true },
  );
  r.post('/v1/accounts/:id/login_links', createLoginLink, { platformOnly: true });
  r.get('/v1/accounts/:id/capabilities', (ctx) => {
    const account = accountForRead(ctx.core, ctx.pathParams.id as string, ctx.apiKey);
    const data = Object.keys(account.capabilities)
      .sort()
      .map((name) => capabilityObject(ctx.core, account, name));
    return { object: 'list', data, has_more: false, url: `/v1/accounts/${account.id}/capabilities` };
  });
  r.get('/v1/accounts/:id/capabilities/:capability', (ctx) => {
    const account = accountForRead(ctx.core, ctx.pathParams.id as string, ctx.apiKey);
    const name = ctx.pathParams.capability as string;
    if (!(name in account.capabilities)) throw resourceMissing('capability', name);
    return capabilityObject(ctx.core, account, name);
  });
  r.post('/v1/accounts/:id/capabilities/:capability', (ctx) => {
    const account = accountForRead(ctx.core, ctx.pathParams.id as string, ctx.apiKey);
    const name = ctx.pathParams.capability as string;
    const requested = ctx.params.bool('requested');
    ctx.params.done();
    changeAccount(ctx.core, account, () => {
      if (requested && !(name in account.capabilities)) {
        account.capabilities[name] = account.charges_enabled ? 'active' : 'inactive';
      } else if (requested === false) delete account.capabilities[name];
    });
    return capabilityObject(ctx.core, account, name);
  });
}

function platformAccount(core: EmulatorCore): Record<string, FormValue | boolean | number | null | object> {
  return {
    id: core.platformAccountId,
    object: 'account',
    business_profile: { name: 'connect-payouts platform (emulator)' },
    charges_enabled: true,
    country: core.platformCurrency === 'gbp' ? 'GB' : 'US',
    default_currency: core.platformCurrency,
    details_submitted: true,
    email: 'platform@example.com',
    payouts_enabled: true,
    type: 'standard',
    metadata: {},
  };
}

const union = (a: string[], b: string[]) => [...new Set([...a, ...b])].sort();

function hasDeadline(account: Account): boolean {
  return account.requirements.current_deadline !== null || account.future_requirements.current_deadline !== null;
}

/**
 * Deadlines passing on the emulator clock, as Stripe applies them: at `future_requirements.current_deadline` the
 * future requirements become the account's requirements (and `future_requirements` empties); at
 * `requirements.current_deadline` whatever is still currently due becomes past due. The emulator models the strict
 * outcome (no grace period): the fields are past due at once, and charges, payouts and capabilities stop. Each
 * change emits `capability.updated` and `account.updated` like any other account change. Runs before every API
 * request and on every clock advance.
 */
export function applyRequirementDeadlines(core: EmulatorCore): void {
  const now = core.now();
  const registered = core.store.accountsWithDeadlines;
  if (registered.size === 0) return;
  // Newest first, as the full list would be (the order events are emitted in).
  const accounts: Account[] = [];
  for (const id of registered) {
    const account = core.store.accounts.get(id, PLATFORM);
    if (account) accounts.push(account);
    else registered.delete(id);
  }
  accounts.sort((a, b) => core.store.accounts.addedOrder(b.id) - core.store.accounts.addedOrder(a.id));
  for (const account of accounts) {
    if (!hasDeadline(account)) {
      registered.delete(account.id);
      continue;
    }
    const meta = core.store.accountMeta.get(account.id);
    if (!meta || meta.deleted || meta.deauthorized) continue;
    const future = account.future_requirements;
    const futureDue =
      future.current_deadline !== null && future.current_deadline <= now && future.currently_due.length > 0;
    const current = account.requirements;
    const currentDue =
      current.current_deadline !== null &&
      current.current_deadline <= now &&
      current.currently_due.some((field) => !current.past_due.includes(field));
    if (!futureDue && !currentDue) continue;
    changeAccount(core, account, () => {
      const due = union(current.currently_due, futureDue ? future.currently_due : []);
      account.requirements = {
        ...current,
        currently_due: due,
        eventually_due: union(current.eventually_due, futureDue ? future.eventually_due : []),
        past_due: union(current.past_due, due),
        current_deadline: null,
        disabled_reason: 'requirements.past_due',
      };
      if (futureDue) account.future_requirements = emptyRequirements();
      account.charges_enabled = false;
      account.payouts_enabled = false;
      setCapabilities(account, 'inactive');
    });
  }
}
