import { payoutProfileOf } from '#adapters/payout-deps';
import { commissionExternalId, REFERRER_METADATA_KEY, syncCommission } from '#core/earnings';
import { isDomainError } from '#core/errors';
import type { Currency } from '#core/money';
import { excludePayout, holdPayouts, keepReversal, liftPayoutHold, type OperatorDeps } from '#core/operator';
import type { Partner, PartnerStatus } from '#core/partner';
import type { LedgerStore, PaymentDeps, StripePaymentView } from '#core/payment-ports';
import { type PayoutBatchLog, type PayoutMessage, processPayoutBatch } from '#core/payout-worker';
import {
  approveRun,
  handlePayoutReversal,
  type PayoutDeps,
  type PayoutSettings,
  requeueAwaitingFunds,
  startRun,
  type TransferGateway,
} from '#core/payouts';
import { type Period, previousPeriod } from '#core/period';
import { seededRandom } from '#local/stripe-emulator/ids';
import { type AccountState, FakeStripeTransfers, type TransferFault } from './fake-stripe-transfers.ts';
import { MemoryPayoutStore } from './memory-payout-store.ts';
import { fakePaymentDeps } from './payment-fakes.ts';

/**
 * A deterministic simulation of the monthly payout run: one seed → one randomized schedule over a few partners,
 * currencies and months — earnings, refunds and lost disputes (commission clawbacks), runs started (and started
 * again), approvals, queue deliveries (batches, duplicates delivered concurrently, redeliveries), crashes at any
 * step of the planner, the worker and the webhooks, Stripe 429/500s and timeouts after commit, an empty platform
 * balance then funds, partial and full transfer reversals (their webhooks duplicated and out of order), partner
 * status and Stripe account flips, operator holds, exclusions and kept reversals — run against the real core
 * functions on the in-memory payout store and a fake Stripe with the emulator's semantics. The clock is virtual and
 * every random choice comes from the seed, so a seed replays exactly.
 *
 * After the schedule the world drains (no more faults: funds arrive, every message is delivered, every run that
 * waits is approved) and the invariants are checked (`checkInvariants`).
 */

export interface SimulationOptions {
  /** Wraps the Transfers port the core gets (a test breaks it on purpose to show the simulation notices). */
  wrapTransfers?: (gateway: TransferGateway) => TransferGateway;
  /** Record a readable trace of the schedule (printed for a failing seed). */
  trace?: boolean;
}

export interface SimulationResult {
  seed: number;
  failures: string[];
  invariantsChecked: number;
  actions: number;
  invocations: number;
  crashes: number;
  transfers: number;
  payouts: number;
  trace: string[];
}

// -------------------------------------------------------------------------------------------------------------------
// Seeded randomness

export type Random = () => number;

const int = (random: Random, min: number, max: number) => min + Math.floor(random() * (max - min + 1));
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const chance = (random: Random, p: number) => random() < p;

// -------------------------------------------------------------------------------------------------------------------
// The world

const DAY = 86_400_000;
const CURRENCIES: readonly Currency[] = ['usd', 'eur', 'gbp'];
const VISIBILITY_MS = 30_000;
const OPERATOR = { sub: 'sim-operator', email: null };

/** A Lambda that dies: every later step of the same invocation throws too (nothing more happens in it). */
class Crash extends Error {
  constructor(label: string) {
    super(`crash at ${label}`);
    this.name = 'Crash';
  }
}

interface Invocation {
  name: string;
  /** Crash at this step (1-based) of the invocation; null: no crash. */
  crashAt: number | null;
  steps: number;
  crashed: boolean;
}

interface Message {
  id: number;
  body: PayoutMessage;
  receives: number;
  visibleAt: number;
}

interface Charge {
  paymentIntentId: string;
  partner: number;
  currency: Currency;
  amount: number;
  refunded: number;
  lost: number;
  created: number;
}

interface PendingWebhook {
  kind: 'transfer.reversed';
  transferId: string;
  partnerId: string;
  payoutId: string;
  amountReversed: number;
}

class World {
  now: number;
  readonly random: Random;
  readonly store: MemoryPayoutStore;
  readonly stripe: FakeStripeTransfers;
  readonly partners: Partner[] = [];
  readonly accounts: string[] = [];
  readonly queue: Message[] = [];
  readonly charges: Charge[] = [];
  readonly webhooks: PendingWebhook[] = [];
  readonly trace: string[] = [];
  /** Periods a run was started for (the scheduler and operators start them again). */
  readonly periods = new Set<Period>();
  crashRate: number;
  faultsOn = true;
  invocations = 0;
  crashes = 0;
  private nextMessage = 1;

  constructor(
    seed: number,
    readonly options: SimulationOptions,
  ) {
    this.random = seededRandom(seed);
    const r = this.random;
    // Somewhere in 2026, a few days into a month.
    this.now = Date.UTC(2026, int(r, 0, 9), int(r, 2, 20), int(r, 0, 23));
    this.crashRate = pick(r, [0, 0.1, 0.25, 0.4]);
    this.store = new MemoryPayoutStore({ chunkSize: int(r, 1, 3) });
    this.stripe = new FakeStripeTransfers(
      () => this.now,
      () => this.yieldSome(),
      () => int(this.random, 0, 3),
    );
    for (const currency of CURRENCIES) this.stripe.addFunds(currency, pick(r, [0, 2_000, 1_000_000]));
    const count = int(r, 1, 4);
    for (let i = 0; i < count; i++) {
      const id = `ptn_${(i + 1).toString(16).padStart(2, '0')}${Math.floor(r() * 2 ** 32)
        .toString(16)
        .padStart(8, '0')}${'0'.repeat(14)}`;
      const account = `acct_sim${i + 1}`;
      this.accounts.push(account);
      this.stripe.accounts.set(account, 'active');
      this.partners.push({
        id,
        kind: 'personal',
        name: `Partner ${i + 1}`,
        country: 'US',
        defaultCurrency: pick(r, CURRENCIES),
        payoutPreference: 'stripe',
        stripeAccountId: account,
        onboarding: null,
        stateAsOf: null,
        lastEventCreated: null,
        disconnectedAt: null,
        contactEmail: null,
        stateVersion: 1,
        status: chance(r, 0.85) ? 'active' : pick<PartnerStatus>(r, ['pending_verification', 'restricted']),
        payoutHold: null,
        createdAt: new Date(this.now).toISOString(),
        updatedAt: new Date(this.now).toISOString(),
        version: 1,
      });
    }
    const transfers = this.stripe.gateway;
    this.transfers = options.wrapTransfers ? options.wrapTransfers(transfers) : transfers;
    this.settings = {
      rules: { minimumPayout: {}, defaultMinimum: pick(r, [1, 100, 1_000]) },
      holdingPeriodDays: pick(r, [0, 3, 7, 14]),
      requireApproval: chance(r, 0.3),
      keyTrustMs: 23 * 3_600_000,
      planningPageSize: int(r, 1, 3),
      launchMonth: '2025-01',
    };
    const base = fakePaymentDeps({ now: this.now, partners: this.partners });
    this.paymentBase = { ...base, clock: { now: () => new Date(this.now) } };
  }

  private readonly transfers: TransferGateway;
  /** The worker's log: outcomes and failures go to the trace (a crash is already traced where it happened). */
  private readonly batchLog: PayoutBatchLog = {
    info: (_message, details) => this.log(`    ${String(details.payoutId).slice(0, 40)} → ${String(details.result)}`),
    warn: (message) => this.log(`    ${message}`),
    error: (message, details) => {
      if (!(details.error instanceof Crash)) this.log(`    ${message}: ${(details.error as Error)?.message}`);
    },
  };
  private readonly settings: PayoutSettings;
  private readonly paymentBase: PaymentDeps;

  /**
   * The ports one invocation sees: the shared world, with every call passing through `step` for this invocation
   * (a crash belongs to the invocation that reached it; a Lambda that died does nothing more).
   */
  depsFor(invocation: Invocation | null) {
    const step = (label: string) => this.step(invocation, label);
    const store = this.store.withStep(step);
    const transfers = this.transfers;
    const payout: PayoutDeps = {
      store,
      partners: {
        payoutProfile: async (partnerId) => {
          await step('partners.payoutProfile');
          const partner = this.partner(partnerId);
          return partner ? payoutProfileOf(partner) : undefined;
        },
        payoutProfiles: async (partnerIds) => {
          await step('partners.payoutProfiles');
          return new Map(
            partnerIds.flatMap((id) => {
              const partner = this.partner(id);
              return partner ? [[id, payoutProfileOf(partner)] as const] : [];
            }),
          );
        },
      },
      transfers: {
        create: async (request) => {
          await step('transfers.create');
          const outcome = await transfers.create(request);
          await step('transfers.create:done');
          return outcome;
        },
        findForPayout: async (group, payoutId, destination) => {
          await step('transfers.findForPayout');
          return transfers.findForPayout(group, payoutId, destination);
        },
      },
      queue: {
        enqueuePayouts: async (refs) => {
          await step('queue.enqueuePayouts');
          for (const ref of refs) this.send({ type: 'payout', partnerId: ref.partnerId, payoutId: ref.payoutId });
        },
        enqueuePlanning: async (runId, cursor) => {
          await step('queue.enqueuePlanning');
          this.send({ type: 'plan', runId, cursor });
        },
        enqueueRelease: async (runId, cursor) => {
          await step('queue.enqueueRelease');
          this.send({ type: 'release', runId, cursor });
        },
        enqueueRequeue: async (before, cursor) => {
          await step('queue.enqueueRequeue');
          this.send({ type: 'requeue', before, cursor });
        },
      },
      metrics: { count: () => undefined },
      clock: { now: () => new Date(this.now) },
      // The 429 backoff waits on the virtual clock, with the seed's jitter.
      timing: {
        random: () => this.random(),
        sleep: async (ms) => {
          this.now += Math.round(ms);
          await this.yieldSome();
        },
      },
      settings: this.settings,
    };
    const operator: OperatorDeps = {
      partners: { get: async (id) => this.partner(id) },
      holds: {
        set: async (partnerId, hold, action) => {
          await step('holds.set');
          const partner = this.partner(partnerId);
          if (!partner) throw new Error(`no partner ${partnerId}`);
          partner.payoutHold = hold;
          this.store.actions.set(action.id, action);
        },
      },
      adjustments: {
        record: async () => {
          throw new Error('adjustments are not simulated');
        },
        get: async () => undefined,
      },
      actions: { list: async (partnerId) => [...this.store.actions.values()].filter((a) => a.partnerId === partnerId) },
      payouts: store,
      clock: { now: () => new Date(this.now) },
      payoutCurrencies: CURRENCIES,
    };
    const ledger = Object.assign(Object.create(this.paymentBase.ledger) as LedgerStore, store.ledger);
    const payments: PaymentDeps = { ...this.paymentBase, ledger };
    return { payout, operator, payments };
  }

  partner(id: string): Partner | undefined {
    return this.partners.find((partner) => partner.id === id);
  }

  log(line: string) {
    if (this.options.trace) this.trace.push(`${new Date(this.now).toISOString()} ${line}`);
  }

  private send(body: Message['body']) {
    this.queue.push({ id: this.nextMessage++, body, receives: 0, visibleAt: this.now });
  }

  async yieldSome() {
    for (let i = int(this.random, 0, 2); i > 0; i--) await Promise.resolve();
  }

  /** Every port call of an invocation passes here: the place it may crash, and where callers interleave. */
  async step(invocation: Invocation | null, label: string) {
    if (invocation) {
      invocation.steps += 1;
      if (invocation.crashed) throw new Crash(label);
      if (invocation.crashAt === invocation.steps) {
        invocation.crashed = true;
        this.crashes += 1;
        this.log(`  ${invocation.name}: crash at step ${invocation.steps} (${label})`);
        throw new Crash(label);
      }
    }
    await this.yieldSome();
  }

  /** Runs one invocation (a Lambda) that may crash at a random step; true when it finished without throwing. */
  async invoke(name: string, work: (deps: ReturnType<World['depsFor']>) => Promise<unknown>): Promise<boolean> {
    this.invocations += 1;
    const crashAt = this.faultsOn && chance(this.random, this.crashRate) ? int(this.random, 1, 10) : null;
    const invocation: Invocation = { name, crashAt, steps: 0, crashed: false };
    try {
      await work(this.depsFor(invocation));
      return !invocation.crashed;
    } catch (error) {
      if (!(error instanceof Crash)) this.log(`  ${name}: threw ${error instanceof Error ? error.message : error}`);
      return false;
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // The queue worker (functions/jobs/send-payout.ts): one batch per invocation, through `processPayoutBatch`

  /** Delivers up to `max` visible messages in one batch; `duplicate`: SQS hands the same batch to two workers. */
  async deliver(max: number, duplicate: boolean): Promise<number> {
    const batch = this.queue.filter((m) => m.visibleAt <= this.now).slice(0, max);
    if (batch.length === 0) return 0;
    for (const message of batch) {
      message.receives += 1;
      message.visibleAt = this.now + VISIBILITY_MS;
    }
    this.log(`deliver ${batch.map((m) => `${m.body.type}#${m.id}`).join(' ')}${duplicate ? ' (twice, at once)' : ''}`);
    const copies = duplicate ? 2 : 1;
    const outcomes = await Promise.all(
      Array.from({ length: copies }, async () => {
        let failed = new Set<number>(batch.map((m) => m.id));
        const ok = await this.invoke('worker', async ({ payout }) => {
          const records = batch.map((m) => ({ id: String(m.id), message: m.body, receiveCount: m.receives }));
          failed = new Set((await processPayoutBatch(payout, records, this.batchLog)).map(Number));
        });
        return ok ? failed : new Set<number>(batch.map((m) => m.id));
      }),
    );
    // A message is gone once any copy of it succeeded (its receipt deleted it); the rest come back after the
    // visibility timeout, with the same body.
    for (const message of batch) {
      if (outcomes.some((failed) => !failed.has(message.id))) {
        this.queue.splice(this.queue.indexOf(message), 1);
      }
    }
    return batch.length;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Outside callers: the scheduler, operators, Stripe's webhooks

  async startRun(period: Period) {
    this.periods.add(period);
    const ok = await this.invoke('startRun', ({ payout }) => startRun(payout, { period, startedBy: 'sim' }));
    this.log(`startRun ${period}${ok ? '' : ' (failed)'}`);
  }

  async approveAll() {
    for (const stored of this.store.runs.values()) {
      const run = this.store.runs.get(stored.run.id);
      if (!run?.run.requireApproval || run.run.approved || !run.run.planningComplete) continue;
      // An operator whose approval failed (a 5xx) approves again until it goes through.
      await this.invokeUntilDone('approve', ({ payout }) => approveRun(payout, stored.run.id));
      this.log(`approve ${stored.run.id}`);
    }
  }

  /** A platform charge referred by a partner, or a change to it (refund, lost dispute): the commission follows. */
  async syncCharge(charge: Charge) {
    const partner = this.partners[charge.partner] as Partner;
    const view: StripePaymentView = {
      paymentIntentId: charge.paymentIntentId,
      outcome: 'succeeded',
      failureCode: null,
      amount: charge.amount,
      currency: charge.currency,
      destination: null,
      metadata: { [REFERRER_METADATA_KEY]: partner.id },
      chargeId: `ch_${charge.paymentIntentId.slice(3)}`,
      chargeCreated: Math.floor(charge.created / 1000),
      amountCaptured: charge.amount,
      amountRefunded: charge.refunded,
      applicationFee: 0,
      applicationFeeRefunded: 0,
      transferReversed: 0,
      description: null,
    };
    const outcome = await this.invokeUntilDone('commission', ({ payments }) =>
      syncCommission(payments, view, Math.floor(this.now / 1000), charge.lost),
    );
    this.log(
      `commission ${commissionExternalId(charge.paymentIntentId)} ${charge.currency} ${charge.amount} refunded ${charge.refunded} lost ${charge.lost}: ${outcome}`,
    );
  }

  /** Stripe redelivers a webhook until it is answered 2xx: retried (after a crash) until it goes through. */
  async invokeUntilDone<T>(
    name: string,
    work: (deps: ReturnType<World['depsFor']>) => Promise<T>,
  ): Promise<T | undefined> {
    for (let attempt = 0; attempt < 20; attempt++) {
      let result: T | undefined;
      if (
        await this.invoke(name, async (deps) => {
          result = await work(deps);
        })
      )
        return result;
    }
    throw new Error(`${name} never succeeded in 20 attempts`);
  }

  /** Delivers the pending webhooks; one whose handler fails (a 5xx) is sent again by Stripe later. */
  async deliverWebhooks(duplicate: boolean, shuffle: boolean) {
    const pending = this.webhooks.splice(0);
    if (shuffle) pending.sort(() => this.random() - 0.5);
    const deliveries = duplicate ? pending.flatMap((w) => [w, w]) : pending;
    const again = new Set<PendingWebhook>();
    for (const webhook of deliveries) {
      let outcome = '';
      const ok = await this.invoke('transfer.reversed', async ({ payout }) => {
        outcome = await handlePayoutReversal(payout, {
          partnerId: webhook.partnerId,
          payoutId: webhook.payoutId,
          transferId: webhook.transferId,
          amountReversed: webhook.amountReversed,
          reversalId: `${webhook.transferId}_${webhook.amountReversed}`,
        });
      });
      if (ok) again.delete(webhook);
      else again.add(webhook);
      this.log(
        `transfer.reversed ${webhook.transferId} (${webhook.amountReversed} reversed in all): ${ok ? outcome : 'failed, sent again later'}`,
      );
    }
    this.webhooks.push(...again);
  }

  async balanceAvailable() {
    await this.invokeUntilDone('balance.available', ({ payout }) => requeueAwaitingFunds(payout));
    this.log('balance.available');
  }
}

// -------------------------------------------------------------------------------------------------------------------
// One schedule

const STATUSES: readonly PartnerStatus[] = ['active', 'active', 'restricted', 'pending_verification', 'disconnected'];
const ACCOUNT_STATES: readonly AccountState[] = ['active', 'active', 'restricted', 'revoked'];
const FAULTS: readonly TransferFault[] = ['rate_limit', 'server_error', 'timeout_after_commit'];

async function randomAction(world: World): Promise<void> {
  const r = world.random;
  const roll = r();
  const partnerIndex = int(r, 0, world.partners.length - 1);
  const partner = world.partners[partnerIndex] as Partner;
  if (roll < 0.2) {
    // A referred platform charge: the partner earns a commission (held, available after the holding period).
    const charge: Charge = {
      paymentIntentId: `pi_sim${String(world.charges.length + 1).padStart(4, '0')}`,
      partner: partnerIndex,
      currency: chance(r, 0.6) ? (partner.defaultCurrency as Currency) : pick(r, CURRENCIES),
      amount: int(r, 1, 400) * 100,
      refunded: 0,
      lost: 0,
      created: world.now,
    };
    world.charges.push(charge);
    await world.syncCharge(charge);
  } else if (roll < 0.26 && world.charges.length > 0) {
    // A refund (part or all of what is left) or a lost dispute, possibly long after the commission was paid out.
    const charge = pick(r, world.charges);
    const left = charge.amount - charge.refunded - charge.lost;
    if (left <= 0) return;
    if (chance(r, 0.7)) charge.refunded += chance(r, 0.5) ? left : int(r, 1, left);
    else charge.lost += left;
    await world.syncCharge(charge);
  } else if (roll < 0.34) {
    world.now += pick(r, [60_000, 3_600_000, DAY, 5 * DAY, 12 * DAY, 31 * DAY]);
    world.log(`advance to ${new Date(world.now).toISOString()}`);
  } else if (roll < 0.4) {
    // The scheduler's monthly start (last month), or an operator starting it again.
    await world.startRun(previousPeriod(new Date(world.now)));
  } else if (roll < 0.62) {
    await world.deliver(int(r, 1, 4), chance(r, 0.25));
    if (chance(r, 0.3)) world.now += VISIBILITY_MS;
  } else if (roll < 0.65) {
    await world.approveAll();
  } else if (roll < 0.69) {
    partner.status = pick(r, STATUSES);
    world.log(`${partner.id} status → ${partner.status}`);
  } else if (roll < 0.72) {
    const state = pick(r, ACCOUNT_STATES);
    world.stripe.accounts.set(partner.stripeAccountId as string, state);
    world.log(`${partner.stripeAccountId} at Stripe → ${state}`);
  } else if (roll < 0.75) {
    if (partner.payoutHold && chance(r, 0.6)) {
      await world.invokeUntilDone('lift', ({ operator }) => liftPayoutHold(operator, partner.id, 'sim', OPERATOR));
      world.log(`${partner.id} hold lifted`);
    } else {
      const until = chance(r, 0.5) ? new Date(world.now + int(r, 1, 40) * DAY).toISOString() : undefined;
      await world.invokeUntilDone('hold', ({ operator }) =>
        holdPayouts(operator, partner.id, { reason: 'sim', until }, OPERATOR),
      );
      world.log(`${partner.id} held${until ? ` until ${until}` : ''}`);
    }
  } else if (roll < 0.8) {
    // Random faults, or a burst of timeouts after commit that outlasts the client's retries (the transfer exists,
    // the worker does not know it: the payout stays sending).
    const faults = chance(r, 0.4)
      ? Array.from({ length: 3 * int(r, 1, 2) }, (): TransferFault => 'timeout_after_commit')
      : Array.from({ length: int(r, 1, 4) }, () => pick(r, FAULTS));
    world.stripe.faults.push(...faults);
    world.log(`Stripe faults next: ${faults.join(', ')}`);
  } else if (roll < 0.83) {
    const currency = pick(r, CURRENCIES);
    world.stripe.balance.set(currency, 0);
    world.log(`platform ${currency} balance emptied`);
  } else if (roll < 0.86) {
    const currency = pick(r, CURRENCIES);
    world.stripe.addFunds(currency, int(r, 1, 500) * 100);
    world.log(`funds arrive in ${currency}`);
    await world.balanceAvailable();
  } else if (roll < 0.91 && world.stripe.transfers.length > 0) {
    // A reversal at Stripe (an operator in the dashboard, a dispute's automatic reversal): its webhook follows.
    const transfer = pick(r, world.stripe.transfers);
    const left = transfer.amount - transfer.amountReversed;
    if (left <= 0) return;
    const amount = chance(r, 0.5) ? left : int(r, 1, left);
    const after = world.stripe.reverse(transfer.id, amount);
    world.webhooks.push({
      kind: 'transfer.reversed',
      transferId: after.id,
      partnerId: after.metadata.partnerId,
      payoutId: after.metadata.payoutId,
      amountReversed: after.amountReversed,
    });
    world.log(`reverse ${amount} of ${transfer.id}`);
  } else if (roll < 0.94) {
    await world.deliverWebhooks(chance(r, 0.4), chance(r, 0.5));
  } else if (roll < 0.97) {
    const payouts = world.store.allPayouts();
    if (payouts.length === 0) return;
    const payout = pick(r, payouts);
    const name = chance(r, 0.5) ? 'exclude' : 'keep';
    const outcome = await world.invokeUntilDone(name, ({ operator }) =>
      (name === 'exclude' ? excludePayout : keepReversal)(operator, payout.id, 'sim', OPERATOR).then(
        () => 'done',
        (error: unknown) => {
          if (isDomainError(error)) return error.code;
          throw error;
        },
      ),
    );
    world.log(`${name} ${payout.id}: ${outcome}`);
  } else {
    partner.payoutPreference = partner.payoutPreference === 'stripe' ? 'manual' : 'stripe';
    world.log(`${partner.id} prefers ${partner.payoutPreference}`);
  }
}

/** No more faults: funds arrive, webhooks are delivered, runs are approved and every message is processed. */
async function drain(world: World): Promise<string | null> {
  world.faultsOn = false;
  world.stripe.faults = [];
  world.log('--- drain');
  for (const currency of CURRENCIES) world.stripe.addFunds(currency, 100_000_000);
  await world.deliverWebhooks(false, false);
  await world.balanceAvailable();
  for (let round = 0; round < 200; round++) {
    const delivered = await world.deliver(10, false);
    if (delivered > 0) continue;
    const waiting = world.queue.filter((m) => m.visibleAt > world.now);
    if (waiting.length > 0) {
      world.now += VISIBILITY_MS;
      continue;
    }
    // Nothing queued: runs that still wait for approval are approved, a run whose start crashed before its first
    // page was queued is started again (as the scheduler's retry or an operator would), then look again.
    const before = world.invocations;
    if (world.webhooks.length > 0) await world.deliverWebhooks(false, false);
    await world.approveAll();
    for (const stored of world.store.runs.values()) {
      if (!stored.run.planningComplete) {
        world.now += 6 * 60_000;
        await world.startRun(stored.run.period);
      }
    }
    if (world.invocations === before && world.queue.length === 0) return null;
  }
  return `the schedule did not drain (${world.queue.length} messages, ${world.webhooks.length} webhooks left)`;
}

// -------------------------------------------------------------------------------------------------------------------
// Invariants

export const INVARIANTS = [
  'at most one Stripe transfer per payout',
  'a transfer exists only for a paid or reversed payout, which records it',
  "each partner's balance is the sum of their ledger entries",
  "each partner's balance is the sum of their unpaid entries",
  "Stripe's transferred − reversed equals the ledger's paid − returned, per partner and currency",
  'no payout left in a non-final state',
  'no ledger entry left attached to a closed payout',
  'every run finished, and its counters match its payouts',
] as const;

export function checkInvariants(world: World): { failures: string[]; checked: number } {
  const failures: string[] = [];
  let checked = 0;
  const check = (ok: boolean, message: () => string) => {
    checked += 1;
    if (!ok) failures.push(message());
  };
  const store = world.store;
  const payouts = new Map(store.allPayouts().map((payout) => [payout.id, payout]));
  const byPayout = new Map<string, string[]>();
  for (const transfer of world.stripe.transfers) {
    byPayout.set(transfer.metadata.payoutId, [...(byPayout.get(transfer.metadata.payoutId) ?? []), transfer.id]);
  }
  for (const [payoutId, ids] of byPayout) {
    check(ids.length <= 1, () => `${INVARIANTS[0]}: ${payoutId} has ${ids.length} (${ids.join(', ')})`);
    const payout = payouts.get(payoutId);
    check(
      payout !== undefined &&
        (payout.status === 'paid' || payout.status === 'reversed') &&
        payout.stripeTransferId === ids[0],
      () => `${INVARIANTS[1]}: ${payoutId} is ${payout?.status} (${payout?.stripeTransferId}) with transfer ${ids[0]}`,
    );
  }
  for (const partner of world.partners) {
    const entries = store.entriesOf(partner.id);
    for (const totals of store.totals(partner.id)) {
      const mine = entries.filter((entry) => entry.currency === totals.currency);
      const sum = mine.reduce((total, entry) => total + entry.amount, 0);
      check(
        sum === totals.balance,
        () => `${INVARIANTS[2]}: ${partner.id} ${totals.currency} ${totals.balance} ≠ ${sum}`,
      );
      const unpaid = mine
        .filter((entry) => entry.payoutStatus === 'pending' || entry.payoutStatus === 'in_payout')
        .reduce((total, entry) => total + entry.amount, 0);
      check(
        unpaid === totals.balance,
        () => `${INVARIANTS[3]}: ${partner.id} ${totals.currency} balance ${totals.balance}, unpaid ${unpaid}`,
      );
      const ledgerPaid = -mine.filter((e) => e.type === 'payout').reduce((total, e) => total + e.amount, 0);
      const ledgerReturned = mine.filter((e) => e.type === 'reversal').reduce((total, e) => total + e.amount, 0);
      const sent = world.stripe.transfers.filter(
        (t) => t.metadata.partnerId === partner.id && t.currency === totals.currency,
      );
      const stripeNet = sent.reduce((total, t) => total + t.amount - t.amountReversed, 0);
      check(
        stripeNet === ledgerPaid - ledgerReturned,
        () =>
          `${INVARIANTS[4]}: ${partner.id} ${totals.currency} Stripe ${stripeNet}, ledger ${ledgerPaid} − ${ledgerReturned}`,
      );
    }
    for (const entry of entries) {
      if (entry.payoutStatus !== 'in_payout') continue;
      const payout = entry.payoutId ? payouts.get(entry.payoutId) : undefined;
      check(false, () => `${INVARIANTS[6]}: ${entry.id} is in_payout of ${entry.payoutId} (${payout?.status})`);
    }
  }
  for (const payout of payouts.values()) {
    check(
      payout.status === 'paid' ||
        payout.status === 'reversed' ||
        payout.status === 'carried_forward' ||
        payout.status === 'failed',
      () => `${INVARIANTS[5]}: ${payout.id} is ${payout.status}`,
    );
  }
  for (const stored of store.runs.values()) {
    const run = stored.run;
    const counters = store.runs.get(run.id)?.counters;
    const mine = [...payouts.values()].filter((payout) => payout.runId === run.id);
    const count = (...statuses: string[]) => mine.filter((payout) => statuses.includes(payout.status)).length;
    check(
      run.finishedAt !== null,
      () => `${INVARIANTS[7]}: ${run.id} not finished (planning ${run.planningComplete}, approved ${run.approved})`,
    );
    check(
      counters !== undefined &&
        counters.queued === mine.length &&
        counters.paid === count('paid', 'reversed') &&
        counters.carriedForward === count('carried_forward') &&
        counters.failed === count('failed') &&
        counters.awaitingFunds === count('awaiting_funds'),
      () =>
        `${INVARIANTS[7]}: ${run.id} counters ${JSON.stringify({ queued: counters?.queued, paid: counters?.paid, carriedForward: counters?.carriedForward, failed: counters?.failed, awaitingFunds: counters?.awaitingFunds })} for payouts ${JSON.stringify(mine.map((p) => p.status))}`,
    );
  }
  return { failures, checked };
}

/** Runs the schedule of one seed, drains it and checks every invariant. */
export async function simulate(seed: number, options: SimulationOptions = {}): Promise<SimulationResult> {
  const world = new World(seed, options);
  const r = world.random;
  const length = int(r, 10, 60);
  const failures: string[] = [];
  let actions = 0;
  try {
    for (; actions < length; actions++) {
      await randomAction(world);
      // Checked at every step too: a second transfer is never allowed, drained or not.
      const seen = new Set<string>();
      for (const transfer of world.stripe.transfers) {
        if (seen.has(transfer.metadata.payoutId)) {
          failures.push(`${INVARIANTS[0]}: ${transfer.metadata.payoutId} (after action ${actions + 1})`);
          break;
        }
        seen.add(transfer.metadata.payoutId);
      }
      if (failures.length > 0) break;
    }
    // Always at least one run over what was earned, a month on.
    if (failures.length === 0) {
      world.now += 31 * DAY;
      await world.startRun(previousPeriod(new Date(world.now)));
      const stuck = await drain(world);
      if (stuck) failures.push(stuck);
    }
  } catch (error) {
    failures.push(`the schedule threw: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
  const checked = checkInvariants(world);
  failures.push(...checked.failures);
  return {
    seed,
    failures,
    invariantsChecked: checked.checked,
    actions,
    invocations: world.invocations,
    crashes: world.crashes,
    transfers: world.stripe.transfers.length,
    payouts: world.store.payouts.size,
    trace: world.trace,
  };
}
