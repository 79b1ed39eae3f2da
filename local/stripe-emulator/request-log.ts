export interface RequestLogEntry {
  requestId: string;
  /** Emulator time (ms). */
  at: number;
  method: string;
  path: string;
  /** The matched endpoint name, e.g. `POST /v1/transfers/:id/reversals`. */
  endpoint: string | null;
  account: string | null;
  idempotencyKey: string | null;
  status: number;
  /** Stripe error type/code when the answer was an error. */
  errorType?: string;
  errorCode?: string;
  replayed: boolean;
  fault: 'rate_limit' | 'server_error' | 'ambiguous' | null;
  rateLimited: string | null;
  durationMs: number;
}

export class RequestLog {
  private entries: RequestLogEntry[] = [];

  constructor(private readonly capacity = 10_000) {}

  add(entry: RequestLogEntry): void {
    this.entries.push(entry);
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
  }

  list(filter: { limit?: number; path?: string; method?: string } = {}): RequestLogEntry[] {
    let out = this.entries;
    if (filter.path) out = out.filter((e) => e.path.startsWith(filter.path as string));
    if (filter.method) out = out.filter((e) => e.method === filter.method);
    return filter.limit ? out.slice(-filter.limit) : [...out];
  }

  clear(): void {
    this.entries = [];
  }
}
