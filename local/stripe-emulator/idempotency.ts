/** A stored first response, replayed for retries with the same key. */
export interface StoredResponse {
  status: number;
  body: string;
  headers: Record<string, string>;
  requestId: string;
}

interface Entry {
  endpoint: string;
  params: string;
  createdAt: number;
  response: StoredResponse | null;
}

export type IdempotencyLookup =
  | { kind: 'new' }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'mismatch' }
  | { kind: 'endpoint_mismatch'; originalEndpoint: string }
  | { kind: 'in_progress' };

/** Keys expire after 24 hours of emulator time. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

/** Stripe's idempotency layer: keys are scoped per account (platform or `Stripe-Account`). */
export class IdempotencyStore {
  private entries = new Map<string, Entry>();

  constructor(private readonly now: () => number) {}

  private scoped(account: string, key: string): string {
    return `${account}\u0000${key}`;
  }

  begin(account: string, key: string, endpoint: string, params: string): IdempotencyLookup {
    const k = this.scoped(account, key);
    const existing = this.entries.get(k);
    if (existing && this.now() - existing.createdAt < IDEMPOTENCY_TTL_MS) {
      if (existing.endpoint !== endpoint) return { kind: 'endpoint_mismatch', originalEndpoint: existing.endpoint };
      if (existing.params !== params) return { kind: 'mismatch' };
      if (!existing.response) return { kind: 'in_progress' };
      return { kind: 'replay', response: existing.response };
    }
    this.entries.set(k, { endpoint, params, createdAt: this.now(), response: null });
    if (this.entries.size > 100_000) this.prune();
    return { kind: 'new' };
  }

  complete(account: string, key: string, response: StoredResponse): void {
    const e = this.entries.get(this.scoped(account, key));
    if (e) e.response = response;
  }

  /** Nothing ran (e.g. the request failed before the endpoint started): the key stays unused. */
  abandon(account: string, key: string): void {
    this.entries.delete(this.scoped(account, key));
  }

  clear(): void {
    this.entries.clear();
  }

  private prune(): void {
    const now = this.now();
    for (const [k, e] of this.entries) if (now - e.createdAt >= IDEMPOTENCY_TTL_MS) this.entries.delete(k);
    // Bound memory under sustained load (benchmarks): drop the oldest keys first (Map keeps insertion order).
    for (const k of this.entries.keys()) {
      if (this.entries.size <= 50_000) break;
      this.entries.delete(k);
    }
  }
}
