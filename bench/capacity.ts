/**
 * The capacity model: for each workload, the ceiling every documented limit puts on it, the binding one, and the
 * ceilings before and after the write-sharded index keys. A script that prints figures (not a test):
 *
 *   npm run capacity            # markdown tables (docs/capacity.md embeds this output between its markers)
 *
 * Nothing here measures AWS or Stripe: DynamoDB Local does not throttle. The figures are arithmetic from the
 * documented limits below (each with its source) and from what one unit of work costs in this code base (the demand
 * tables, each line naming the code path it counts). Shard counts come from the code (INDEX_SHARDS), so the
 * "after" figures follow any change of them.
 */
import { pathToFileURL } from 'node:url';
import { INDEX_SHARDS } from '#adapters/dynamodb/shards';
import { BUDGET_SHARE, DEFAULT_INTERACTIVE_SHARE, planStripeBudgets } from '#core/stripe-limits';
import { PAYOUT_BATCH_SIZE } from '#routes';

const RUN_COUNTER_SHARDS_NOTE = "32 counter items per run (payment-keys.ts), each under one partition's limit";

/** Documented limits (defaults of a new account), checked 2026-11-30. */
export const LIMITS = {
  /** DynamoDB: one partition serves at most 1,000 write units and 3,000 read units per second (developer guide,
   * "warm throughput" and "partitions" pages); an index partition the same. A GSI that cannot absorb a write
   * throttles the base-table write that caused it. */
  partitionWcu: 1_000,
  partitionRcu: 3_000,
  /** DynamoDB on-demand: default maximum throughput per table (Service Quotas, adjustable). */
  tableWru: 40_000,
  /** DynamoDB: 1 write unit per 1 KB written; a transactional write costs twice; items up to 400 KB;
   * TransactWriteItems up to 100 actions and 4 MB. */
  itemKb: 400,
  transactActions: 100,
  /** Lambda: 1,000 concurrent executions per account and Region (adjustable); each function scales by at most
   * 1,000 execution environments every 10 seconds. */
  lambdaConcurrency: 1_000,
  lambdaScalePer10s: 1_000,
  /** API Gateway: 10,000 requests/s per account and Region across all APIs, burst bucket 5,000 (2,500/1,250 in
   * some newer Regions); adjustable. */
  apiGatewayRps: 10_000,
  apiGatewayBurst: 5_000,
  /** EventBridge PutEvents: 10,000 transactions/s in us-east-1, us-west-2 and eu-west-1 (2,400 in us-east-2, lower
   * in smaller Regions); adjustable. */
  eventBridgePutEvents: 10_000,
  // SQS standard queues: nearly unlimited API calls per second (no binding figure, so none here).
  /** Stripe: 100 requests/s in live mode, 25 in a sandbox, over all requests; 25 requests/s per endpoint unless
   * raised (docs.stripe.com/rate-limits). Raised on request, large increases with 6 weeks' notice. */
  stripeGlobalLive: 100,
  stripeEndpoint: 25,
} as const;

/** On-demand list prices, us-east-1, as published on the AWS pricing pages (checked 2026-11-30). */
export const PRICES = {
  dynamoWru: 0.625 / 1e6,
  dynamoRru: 0.125 / 1e6,
  lambdaRequest: 0.2 / 1e6,
  /** Arm64 (our functions' architecture), per GB-second. */
  lambdaGbSecond: 0.0000133334,
  apiGatewayRestRequest: 3.5 / 1e6,
  sqsRequest: 0.4 / 1e6,
  eventBridgeEvent: 1.0 / 1e6,
} as const;

/** Function memory (lib/constructs/api-function.ts) and an assumed mean duration per invocation. */
const LAMBDA_GB = 0.5;
const LAMBDA_SECONDS = 0.3;

/**
 * What one payment costs, counted from the code (a PaymentIntent for a seller's request or a Checkout order;
 * items of about 1 KB, so 1 write unit per item write).
 */
export const PER_PAYMENT = {
  /** POST /payments/intents (or a checkout) + about two Stripe webhook deliveries (payment_intent.*, charge.*). */
  apiRequests: 3,
  /** The route, the two webhook handlers, a share of the Stripe-events consumer (batches of 10) and of the outbox
   * publisher (stream batches). */
  lambdaInvocations: 3.2,
  /** Interactive Stripe request: POST /v1/payment_intents (the customer waits). */
  stripeInteractive: 1,
  /** Background Stripe request: the webhook handler's re-read, GET /v1/payment_intents/:id. */
  stripeBackground: 1,
  /** Writes of the payment item, each one also a write of its GSI2 (`PAYMENTS…`) entry: create, attach the
   * PaymentIntent, settle (payment-store.ts). */
  paymentsIndexWrites: 3,
  /** Base-table write units: create 1, attach 1, settle transaction (payment, ledger entry, totals, outbox event:
   * 4 items x 2), two webhook de-duplication items, two rate-budget reservations. */
  tableWru: 14,
  /** Index write units: the three GSI2 payment writes, the event's GSI2 and GSI1 entries, a held entry's GSI3. */
  indexWru: 6,
  /** Reads: partner and listing/request checks, webhook re-read de-duplication, settle's reads. */
  rru: 10,
  /** Domain events published (payment.paid) and SQS requests (the Stripe-events queue: send, receive, delete). */
  events: 1,
  sqsRequests: 3,
} as const;

/** What one partner paid in a payout run costs (payout-store.ts, send-payout.ts). */
export const PER_PAYOUT = {
  /** POST /v1/transfers, from the background lane. */
  stripeTransfers: 1,
  /** Writes of the payout item with a new GSI2 `RUN#<runId>` sort key: planned, sending, paid. */
  runIndexWrites: 3,
  /** Planning transaction (payout, entries attached, counters shard, outbox), sending, paid (each transactional),
   * skip/retry bookkeeping: about 30 write units, 10 read units. */
  tableWru: 30,
  rru: 10,
  lambdaInvocations: 0.2,
  sqsRequests: 3,
  events: 2,
} as const;

interface Ceiling {
  limit: string;
  perSecond: number;
  /** What to raise or ask for when this one binds. */
  raise: string;
}

const round = (n: number) => (n >= 100 ? Math.round(n) : Math.round(n * 10) / 10);
const fmt = (n: number) => round(n).toLocaleString('en-US');

function stripeLanes(global: number) {
  const plan = planStripeBudgets('live', { global });
  return plan.lanes;
}

/** Payments per second: one ceiling per limit. `shards` is the PAYMENTS index's shard count. */
export function paymentCeilings(shards: number, stripe: { global: number; endpoint: number }): Ceiling[] {
  const lanes = stripeLanes(stripe.global);
  const endpointBudget = stripe.endpoint * BUDGET_SHARE;
  return [
    {
      limit: `GSI2 \`PAYMENTS${shards > 1 ? '#<shard>' : ''}\`: ${shards} partition(s) x ${LIMITS.partitionWcu} WCU / ${PER_PAYMENT.paymentsIndexWrites} writes per payment`,
      perSecond: (shards * LIMITS.partitionWcu) / PER_PAYMENT.paymentsIndexWrites,
      raise: 'more shards (INDEX_SHARDS.payments; no migration needed to raise)',
    },
    {
      limit: `Stripe interactive lane: ${stripe.global}/s x ${BUDGET_SHARE} x ${DEFAULT_INTERACTIVE_SHARE} / ${PER_PAYMENT.stripeInteractive}`,
      perSecond: lanes.interactive / PER_PAYMENT.stripeInteractive,
      raise: "Stripe's global limit (and the stage's interactiveShare)",
    },
    {
      limit: `Stripe POST /v1/payment_intents: ${stripe.endpoint}/s x ${BUDGET_SHARE}`,
      perSecond: endpointBudget / PER_PAYMENT.stripeInteractive,
      raise: 'ask Stripe to raise the endpoint; declare it in stripeRateLimits',
    },
    {
      limit: `Stripe GET /v1/payment_intents/:id (webhook re-read): ${stripe.endpoint}/s x ${BUDGET_SHARE}`,
      perSecond: endpointBudget / PER_PAYMENT.stripeBackground,
      raise: 'ask Stripe to raise the endpoint',
    },
    {
      limit: `Stripe background lane: ${stripe.global}/s x ${BUDGET_SHARE} x ${1 - DEFAULT_INTERACTIVE_SHARE}`,
      perSecond: lanes.background / PER_PAYMENT.stripeBackground,
      raise: "Stripe's global limit",
    },
    {
      limit: `Lambda concurrency: ${LIMITS.lambdaConcurrency} / (${PER_PAYMENT.lambdaInvocations} invocations x ${LAMBDA_SECONDS} s)`,
      perSecond: LIMITS.lambdaConcurrency / (PER_PAYMENT.lambdaInvocations * LAMBDA_SECONDS),
      raise: 'Lambda concurrent executions (Service Quotas)',
    },
    {
      limit: `API Gateway: ${LIMITS.apiGatewayRps} rps / ${PER_PAYMENT.apiRequests} requests per payment`,
      perSecond: LIMITS.apiGatewayRps / PER_PAYMENT.apiRequests,
      raise: 'API Gateway account throttle (Service Quotas)',
    },
    {
      limit: `DynamoDB table (on-demand): ${LIMITS.tableWru} WRU / ${PER_PAYMENT.tableWru} WRU per payment`,
      perSecond: LIMITS.tableWru / PER_PAYMENT.tableWru,
      raise: 'table maximum throughput (Service Quotas)',
    },
    {
      limit: `GSI2 \`EVENTS#<shard>\`: ${INDEX_SHARDS.events} x ${LIMITS.partitionWcu} WCU / ${PER_PAYMENT.events} event per payment`,
      perSecond: (INDEX_SHARDS.events * LIMITS.partitionWcu) / PER_PAYMENT.events,
      raise: 'more shards (INDEX_SHARDS.events)',
    },
    {
      limit: `EventBridge PutEvents: ${LIMITS.eventBridgePutEvents}/s / ${PER_PAYMENT.events} event per payment`,
      perSecond: LIMITS.eventBridgePutEvents / PER_PAYMENT.events,
      raise: 'PutEvents quota (Service Quotas; Region-dependent)',
    },
  ];
}

/**
 * Platform-held earnings (POST /admin/earnings) per second and currency, over many partners. One partner's own rate
 * is bounded by its totals item (see `hotItems`).
 */
export function earningCeilings(shards: number): Ceiling[] {
  return [
    {
      limit: `GSI3 \`HELD#<currency>${shards > 1 ? '#<shard>' : ''}\`: ${shards} partition(s) x ${LIMITS.partitionWcu} WCU / 1 write`,
      perSecond: shards * LIMITS.partitionWcu,
      raise: 'more shards (INDEX_SHARDS.held)',
    },
    {
      limit: `DynamoDB table: ${LIMITS.tableWru} WRU / 8 WRU per earning (guard + entry + totals, transactional)`,
      perSecond: LIMITS.tableWru / 8,
      raise: 'table maximum throughput',
    },
  ];
}

/** Stripe webhook deliveries (Connect or platform events) per second. */
export function webhookCeilings(stripe: { global: number; endpoint: number }): Ceiling[] {
  const lanes = stripeLanes(stripe.global);
  return [
    {
      limit: `Stripe re-read of the object (one endpoint, e.g. GET /v1/accounts/:id): ${stripe.endpoint}/s x ${BUDGET_SHARE}`,
      perSecond: stripe.endpoint * BUDGET_SHARE,
      raise: 'ask Stripe to raise the endpoint (events of several types spread over several endpoints)',
    },
    {
      limit: `Stripe background lane: ${stripe.global}/s x ${BUDGET_SHARE} x ${1 - DEFAULT_INTERACTIVE_SHARE}`,
      perSecond: lanes.background,
      raise: "Stripe's global limit",
    },
    {
      limit: `Lambda concurrency: ${LIMITS.lambdaConcurrency} / ${LAMBDA_SECONDS} s`,
      perSecond: LIMITS.lambdaConcurrency / LAMBDA_SECONDS,
      raise: 'Lambda concurrent executions',
    },
    {
      limit: `DynamoDB table: ${LIMITS.tableWru} WRU / 6 WRU per event (de-duplication item, state write, outbox)`,
      perSecond: LIMITS.tableWru / 6,
      raise: 'table maximum throughput',
    },
    {
      limit: `API Gateway: ${LIMITS.apiGatewayRps} rps`,
      perSecond: LIMITS.apiGatewayRps,
      raise: 'API Gateway account throttle',
    },
  ];
}

/** The payout run: transfers per second, and the hours for `partners`. */
export function payoutCeilings(stripe: { global: number; transfers: number }, workers: number): Ceiling[] {
  const lanes = stripeLanes(stripe.global);
  return [
    {
      limit: `Stripe POST /v1/transfers: ${stripe.transfers}/s x ${BUDGET_SHARE}`,
      perSecond: stripe.transfers * BUDGET_SHARE,
      raise: 'ask Stripe to raise POST /v1/transfers; declare it in stripeRateLimits',
    },
    {
      limit: `Stripe background lane: ${stripe.global}/s x ${BUDGET_SHARE} x ${1 - DEFAULT_INTERACTIVE_SHARE}`,
      perSecond: lanes.background / PER_PAYOUT.stripeTransfers,
      raise: "Stripe's global limit",
    },
    {
      limit: `GSI2 \`RUN#<runId>\` (one run's payouts): ${LIMITS.partitionWcu} WCU / ${PER_PAYOUT.runIndexWrites} writes per payout`,
      perSecond: LIMITS.partitionWcu / PER_PAYOUT.runIndexWrites,
      raise: 'a documented bound (see "Hot items")',
    },
    {
      limit: `Payout workers: ${workers} concurrent x ${PAYOUT_BATCH_SIZE} per batch / ~1 s per batch`,
      perSecond: workers * PAYOUT_BATCH_SIZE,
      raise: 'payoutWorkerMaxConcurrency (stage config)',
    },
  ];
}

/** Items every write of a kind touches, and the bound each puts on its workload. */
export function hotItems(): Array<[string, string, string]> {
  const budgetWrites = LIMITS.stripeGlobalLive * BUDGET_SHARE;
  return [
    [
      "A partner's `TOTALS#<currency>`",
      `${fmt(LIMITS.partitionWcu / 2)} earnings/s for one partner (transactional writes cost 2 WCU); in practice less, as concurrent transactions on one item cancel each other (TransactionConflict) and are retried`,
      `One partner's sales are bounded well below it by Stripe's interactive lane (${fmt(stripeLanes(LIMITS.stripeGlobalLive).interactive)}/s for the whole platform at default limits); a partner's held entries share one \`HELD\` shard, so this is also that partner's share of a shard.`,
    ],
    [
      '`RATE_BUDGET#<budget>`',
      `one write per reservation; at most ${fmt(budgetWrites)} writes/s at Stripe's default live limit (a budget never reserves more start times than its rate)`,
      `Below ${fmt(LIMITS.partitionWcu)} WCU while the budget's rate is; a Stripe limit raised past ~1,000/s needs a larger blockSize (start times reserved per write, ${PAYOUT_BATCH_SIZE} for payout workers) so writes stay under it.`,
    ],
    [
      "GSI2 `RUN#<runId>` (one run's payouts)",
      `${fmt(LIMITS.partitionWcu / PER_PAYOUT.runIndexWrites)} payouts/s per run`,
      "Binds only once Stripe's transfers limit is raised past it (see the run table). Unlike the append-only keys sharded here, its sort key `<status>#po_<period>_<currency>_<partnerId>` is spread over random partner ids, so DynamoDB can split the partition for heat: the figure is the floor before a split. Past it, shard it like the lists.",
    ],
    [
      'GSI3 `AWAITING_FUNDS`, GSI3 `REQUIREMENTS_DEADLINE`, GSI2 `PAYOUT_RUNS`',
      `${fmt(LIMITS.partitionWcu)} writes/s each`,
      'Written at the pace of Stripe-bound work (a payout waiting for funds, an account update re-read from Stripe, a run started by an operator): far below a partition.',
    ],
    ["A run's counters", `${RUN_COUNTER_SHARDS_NOTE}`, 'Already spread over shard items beside the run item.'],
  ];
}

const binding = (ceilings: Ceiling[]) =>
  ceilings.reduce((low, ceiling) => (ceiling.perSecond < low.perSecond ? ceiling : low));

function table(ceilings: Ceiling[], unit: string): string {
  const low = binding(ceilings);
  const lines = [`| Limit | Ceiling (${unit}/s) | To go past it |`, '|---|---:|---|'];
  for (const ceiling of [...ceilings].sort((a, b) => a.perSecond - b.perSecond)) {
    const mark = ceiling === low ? '**' : '';
    lines.push(`| ${mark}${ceiling.limit}${mark} | ${mark}${fmt(ceiling.perSecond)}${mark} | ${ceiling.raise} |`);
  }
  return lines.join('\n');
}

const hours = (count: number, perSecond: number) => count / perSecond / 3600;

/** The whole report, in markdown. */
export function capacityReport(): string {
  const defaults = { global: LIMITS.stripeGlobalLive, endpoint: LIMITS.stripeEndpoint };
  const unbounded = { global: 1e9, endpoint: 1e9 };
  const out: string[] = [];

  const beforeDefault = binding(paymentCeilings(1, defaults));
  const afterDefault = binding(paymentCeilings(INDEX_SHARDS.payments, defaults));
  const beforeStripeRaised = binding(paymentCeilings(1, unbounded));
  const afterStripeRaised = binding(paymentCeilings(INDEX_SHARDS.payments, unbounded));
  out.push('### Payments per second');
  out.push('');
  out.push('| | Stripe at its documented defaults | Stripe raised out of the way |');
  out.push('|---|---:|---:|');
  out.push(
    `| Before (one \`PAYMENTS\` partition) | ${fmt(beforeDefault.perSecond)} | ${fmt(beforeStripeRaised.perSecond)} |`,
  );
  out.push(
    `| After (${INDEX_SHARDS.payments} shards) | ${fmt(afterDefault.perSecond)} | ${fmt(afterStripeRaised.perSecond)} |`,
  );
  out.push('');
  out.push(`Every limit, after sharding, at Stripe's defaults (live mode):`);
  out.push('');
  out.push(table(paymentCeilings(INDEX_SHARDS.payments, defaults), 'payments'));
  out.push('');
  out.push('The same with Stripe raised out of the way (what AWS alone allows), before and after:');
  out.push('');
  out.push(
    table(
      paymentCeilings(1, unbounded).filter((c) => !c.limit.startsWith('Stripe')),
      'payments',
    ),
  );
  out.push('');
  out.push(
    table(
      paymentCeilings(INDEX_SHARDS.payments, unbounded).filter((c) => !c.limit.startsWith('Stripe')),
      'payments',
    ),
  );
  out.push('');

  out.push("### Stripe webhook events per second (at Stripe's default limits; sharding changes none of these)");
  out.push('');
  out.push(table(webhookCeilings(defaults), 'events'));
  out.push('');

  out.push('### Platform-held earnings per second (per currency)');
  out.push('');
  out.push(
    `Before: ${fmt(binding(earningCeilings(1)).perSecond)}/s; after: ${fmt(binding(earningCeilings(INDEX_SHARDS.held)).perSecond)}/s.`,
  );
  out.push('');
  out.push(table(earningCeilings(INDEX_SHARDS.held), 'earnings'));
  out.push('');

  out.push('### Payout run for 1,000,000 partners');
  out.push('');
  out.push('| Stripe limits | Workers | Binding limit | Transfers/s | Hours for 1,000,000 |');
  out.push('|---|---:|---|---:|---:|');
  const profiles: Array<[string, { global: number; transfers: number }, number]> = [
    ['documented defaults (100/s global, 25/s transfers)', { global: 100, transfers: 25 }, 5],
    ['raised: 200/s global, 100/s transfers', { global: 200, transfers: 100 }, 5],
    ['raised: 200/s global, 100/s transfers', { global: 200, transfers: 100 }, 10],
    ['raised: 1,000/s global, 500/s transfers', { global: 1_000, transfers: 500 }, 50],
  ];
  for (const [name, stripe, workers] of profiles) {
    const low = binding(payoutCeilings(stripe, workers));
    out.push(
      `| ${name} | ${workers} | ${low.limit} | ${fmt(low.perSecond)} | ${hours(1_000_000, low.perSecond).toFixed(1)} |`,
    );
  }
  out.push('');

  out.push('### Hot items (one item or one partition key value, whatever the shard counts)');
  out.push('');
  out.push('| Item | Bound | Why it holds |');
  out.push('|---|---|---|');
  for (const [item, bound, why] of hotItems()) out.push(`| ${item} | ${bound} | ${why} |`);
  out.push('');

  out.push('### Partners');
  out.push('');
  out.push(
    `Partners by status (GSI2 \`PARTNERS#<status>#<shard>\`): ${INDEX_SHARDS.partners} shards x ${LIMITS.partitionWcu} WCU = ${fmt(INDEX_SHARDS.partners * LIMITS.partitionWcu)} profile writes/s per status (before: ${fmt(LIMITS.partitionWcu)}). ` +
      `Onboarding and status changes come from people and Stripe webhooks, whose re-read of the account (GET /v1/accounts/:id, ${fmt(LIMITS.stripeEndpoint * BUDGET_SHARE)}/s at the default endpoint limit) binds long before. ` +
      `The number of partners has no ceiling of its own: every partner-scoped item lives under the partner's own partition key.`,
  );
  out.push('');

  const perThousandPayments =
    1_000 *
    (PER_PAYMENT.apiRequests * PRICES.apiGatewayRestRequest +
      PER_PAYMENT.lambdaInvocations * (PRICES.lambdaRequest + LAMBDA_GB * LAMBDA_SECONDS * PRICES.lambdaGbSecond) +
      (PER_PAYMENT.tableWru + PER_PAYMENT.indexWru) * PRICES.dynamoWru +
      PER_PAYMENT.rru * PRICES.dynamoRru +
      PER_PAYMENT.events * PRICES.eventBridgeEvent +
      PER_PAYMENT.sqsRequests * PRICES.sqsRequest);
  const perPartnerPaid =
    PER_PAYOUT.tableWru * PRICES.dynamoWru +
    PER_PAYOUT.rru * PRICES.dynamoRru +
    PER_PAYOUT.lambdaInvocations * (PRICES.lambdaRequest + LAMBDA_GB * LAMBDA_SECONDS * PRICES.lambdaGbSecond) +
    PER_PAYOUT.sqsRequests * PRICES.sqsRequest +
    PER_PAYOUT.events * PRICES.eventBridgeEvent;
  out.push('### Cost (AWS on-demand, us-east-1 list prices checked 2026-11-30; Stripe fees not included)');
  out.push('');
  out.push(`| | USD |`);
  out.push('|---|---:|');
  out.push(`| Per 1,000 payments | ${perThousandPayments.toFixed(4)} |`);
  out.push(`| Per partner paid | ${perPartnerPaid.toFixed(6)} |`);
  out.push(`| A 1,000,000-partner payout run | ${(perPartnerPaid * 1_000_000).toFixed(2)} |`);
  return out.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(capacityReport());
}
