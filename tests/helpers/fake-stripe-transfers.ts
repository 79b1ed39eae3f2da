import Stripe from 'stripe';
import { classify } from '#adapters/stripe/create-transfer';
import type { Currency } from '#core/money';
import type { TransferGateway, TransferOutcome, TransferRequest } from '#core/payouts';

/**
 * Stripe's Transfers in memory, with the emulator's semantics (local/stripe-emulator: api.ts, idempotency.ts,
 * resources/transfers.ts) and the SDK's error classes, for the payout simulation:
 *
 * - the request pipeline in Stripe's order: an injected 429 or 500 answers before anything runs (nothing stored, the
 *   key stays unused); then idempotency — a key seen before replays its first answer, success *or* error (a cached
 *   `balance_insufficient` replays as long as the key lives, 24 h), other parameters under the same key are an
 *   `idempotency_error`, and a key whose first request is still running answers 409; then the endpoint: the
 *   destination must be reachable (a revoked account is a 403 `account_invalid`, a restricted one cannot receive
 *   transfers), the platform's available balance must cover the amount (`balance_insufficient`);
 * - a "timeout after commit": the transfer is made and the key stored, and the connection drops before the answer;
 * - the client as our adapter configures it (`maxNetworkRetries: 2`): connection errors, 409 and 5xx are retried
 *   with the same key, anything else is returned; the outcome is then classified by the adapter's own `classify`.
 *
 * Everything runs on the injected clock, and `tick` is awaited where real Stripe would take time (inside a request,
 * between the client's retries), so concurrent callers interleave there, deterministically.
 */
export type AccountState = 'active' | 'restricted' | 'revoked';
export type TransferFault = 'rate_limit' | 'server_error' | 'timeout_after_commit';

export interface FakeTransfer {
  id: string;
  amount: number;
  currency: Currency;
  destination: string;
  transferGroup: string;
  metadata: { payoutId: string; partnerId: string; period: string };
  amountReversed: number;
  /** The idempotency key of the request that made it. */
  idempotencyKey: string;
}

interface KeyEntry {
  params: string;
  createdAt: number;
  answer: { transfer: FakeTransfer } | { error: Stripe.errors.StripeError } | null;
}

const KEY_TTL_MS = 24 * 3_600_000;
const CLIENT_RETRIES = 2;

export interface RequestLogEntry {
  key: string;
  outcome: 'created' | 'replayed' | 'error' | 'fault';
  detail: string;
}

export class FakeStripeTransfers {
  readonly transfers: FakeTransfer[] = [];
  readonly balance = new Map<Currency, number>();
  readonly accounts = new Map<string, AccountState>();
  /** Faults for the next requests that reach Stripe, one per request (retries included), in order. */
  faults: TransferFault[] = [];
  readonly log: RequestLogEntry[] = [];
  private readonly keys = new Map<string, KeyEntry>();
  private nextId = 1;

  constructor(
    private readonly now: () => number,
    /** Awaited where Stripe takes time; `latency()` is how many ticks a request's endpoint takes. */
    private readonly tick: () => Promise<void> = async () => undefined,
    private readonly latency: () => number = () => 0,
  ) {}

  /** One HTTP request `POST /v1/transfers` with an idempotency key: its transfer, or the SDK error it raises. */
  private async request(request: TransferRequest): Promise<FakeTransfer> {
    const fault = this.faults.shift();
    if (fault === 'rate_limit') {
      this.log.push({ key: request.idempotencyKey, outcome: 'fault', detail: '429' });
      throw Stripe.errors.generateV1Error({
        statusCode: 429,
        type: 'invalid_request_error',
        code: 'rate_limit',
        message: 'Request rate limit exceeded.',
      });
    }
    if (fault === 'server_error') {
      this.log.push({ key: request.idempotencyKey, outcome: 'fault', detail: '500' });
      throw Stripe.errors.generateV1Error({ statusCode: 500, type: 'api_error', message: 'An error occurred.' });
    }
    const params = JSON.stringify([
      request.amount,
      request.currency,
      request.destination,
      request.transferGroup,
      request.payoutId,
      request.partnerId,
      request.period,
    ]);
    const now = this.now();
    const known = this.keys.get(request.idempotencyKey);
    if (known && now - known.createdAt < KEY_TTL_MS) {
      if (known.params !== params) {
        this.log.push({ key: request.idempotencyKey, outcome: 'error', detail: 'idempotency mismatch' });
        throw Stripe.errors.generateV1Error({
          statusCode: 400,
          type: 'idempotency_error',
          message: 'Keys for idempotent requests can only be used with the same parameters.',
        });
      }
      if (!known.answer) {
        this.log.push({ key: request.idempotencyKey, outcome: 'error', detail: 'in progress' });
        throw Stripe.errors.generateV1Error({
          statusCode: 409,
          type: 'idempotency_error',
          message: 'There is currently another in-progress request using this Idempotent Key.',
        });
      }
      this.log.push({ key: request.idempotencyKey, outcome: 'replayed', detail: 'replay' });
      if (fault === 'timeout_after_commit') throw this.connectionDropped();
      if ('error' in known.answer) throw known.answer.error;
      return known.answer.transfer;
    }
    const entry: KeyEntry = { params, createdAt: now, answer: null };
    this.keys.set(request.idempotencyKey, entry);
    for (let i = this.latency(); i > 0; i--) await this.tick();
    try {
      const transfer = this.endpoint(request);
      entry.answer = { transfer };
      this.log.push({ key: request.idempotencyKey, outcome: 'created', detail: transfer.id });
    } catch (error) {
      if (!(error instanceof Stripe.errors.StripeError)) throw error;
      entry.answer = { error };
      this.log.push({ key: request.idempotencyKey, outcome: 'error', detail: error.code ?? error.type });
    }
    if (fault === 'timeout_after_commit') throw this.connectionDropped();
    if ('error' in entry.answer) throw entry.answer.error;
    return entry.answer.transfer;
  }

  private connectionDropped() {
    return new Stripe.errors.StripeConnectionError({ message: 'Request timed out (after Stripe committed it)' });
  }

  /** The endpoint itself (its answer, success or error, is what the key replays). */
  private endpoint(request: TransferRequest): FakeTransfer {
    const account = this.accounts.get(request.destination);
    if (account === undefined || account === 'revoked') {
      throw Stripe.errors.generateV1Error({
        statusCode: 403,
        type: 'invalid_request_error',
        code: 'account_invalid',
        message: `The provided key does not have access to account '${request.destination}'.`,
      });
    }
    if (account === 'restricted') {
      throw Stripe.errors.generateV1Error({
        statusCode: 400,
        type: 'invalid_request_error',
        code: 'insufficient_capabilities_for_transfer',
        message: 'Your destination account needs to have at least one of the following capabilities enabled.',
      });
    }
    const available = this.balance.get(request.currency) ?? 0;
    if (available < request.amount) {
      throw Stripe.errors.generateV1Error({
        statusCode: 400,
        type: 'invalid_request_error',
        code: 'balance_insufficient',
        message: 'You have insufficient available funds in your Stripe account.',
      });
    }
    this.balance.set(request.currency, available - request.amount);
    const transfer: FakeTransfer = {
      id: `tr_${String(this.nextId++).padStart(6, '0')}`,
      amount: request.amount,
      currency: request.currency,
      destination: request.destination,
      transferGroup: request.transferGroup,
      metadata: { payoutId: request.payoutId, partnerId: request.partnerId, period: request.period },
      amountReversed: 0,
      idempotencyKey: request.idempotencyKey,
    };
    this.transfers.push(transfer);
    return transfer;
  }

  /** The SDK call: the request, retried by the client with the same key where the SDK retries. */
  private async call(request: TransferRequest): Promise<FakeTransfer> {
    for (let retries = 0; ; retries++) {
      try {
        return await this.request(request);
      } catch (error) {
        const status = error instanceof Stripe.errors.StripeError ? error.statusCode : undefined;
        const retryable =
          error instanceof Stripe.errors.StripeConnectionError ||
          status === 409 ||
          (status !== undefined && status >= 500);
        if (!retryable || retries >= CLIENT_RETRIES) throw error;
        await this.tick();
      }
    }
  }

  /** `transfers.reversals.create`: returns part (or all) of what is left of a transfer to the platform. */
  reverse(transferId: string, amount: number): FakeTransfer {
    const transfer = this.transfers.find((t) => t.id === transferId);
    if (!transfer) throw new Error(`no transfer ${transferId}`);
    const remaining = transfer.amount - transfer.amountReversed;
    if (amount < 1 || amount > remaining)
      throw new Error(`cannot reverse ${amount} of ${transferId} (${remaining} left)`);
    transfer.amountReversed += amount;
    this.balance.set(transfer.currency, (this.balance.get(transfer.currency) ?? 0) + amount);
    return { ...transfer, metadata: { ...transfer.metadata } };
  }

  addFunds(currency: Currency, amount: number): void {
    this.balance.set(currency, (this.balance.get(currency) ?? 0) + amount);
  }

  /** The payout run's Transfers port on this Stripe, as `#adapters/stripe/create-transfer` builds it on the SDK. */
  readonly gateway: TransferGateway = {
    create: async (request: TransferRequest): Promise<TransferOutcome> => {
      try {
        const transfer = await this.call(request);
        return { kind: 'created', transferId: transfer.id };
      } catch (error) {
        return classify(error);
      }
    },
    findForPayout: async (transferGroup: string, payoutId: string, destination: string) => {
      await this.tick();
      return this.transfers.find(
        (t) => t.transferGroup === transferGroup && t.destination === destination && t.metadata.payoutId === payoutId,
      )?.id;
    },
  };
}
