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
  /**
   * Wall-clock arrival (ms since the epoch, monotonic within a run) — the instant the rate limiter judged it by,
   * unaffected by `advanceClock`. Absent for requests refused before routing.
   */
  arrivedMs?: number;
  /** `live` or `test`, from the key. */
  mode?: 'live' | 'test';
}

/**
 * The most requests found in any window of one second (sliding, not calendar seconds) among `entries` that pass
 * `include` (by default: every request that reached an endpoint, admitted or refused), and when that window ended.
 */
export function busiestSecond(
  entries: readonly RequestLogEntry[],
  include: (entry: RequestLogEntry) => boolean = (entry) => entry.endpoint !== null,
): { count: number; endedAt: number | null } {
  const times = entries
    .filter((entry) => entry.arrivedMs !== undefined && include(entry))
    .map((entry) => entry.arrivedMs as number)
    .sort((a, b) => a - b);
  let best = { count: 0, endedAt: null as number | null };
  let start = 0;
  for (let end = 0; end < times.length; end++) {
    const t = times[end] as number;
    while ((times[start] as number) <= t - 1000) start++;
    if (end - start + 1 > best.count) best = { count: end - start + 1, endedAt: t };
  }
  return best;
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
