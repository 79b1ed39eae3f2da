import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { resolvePort } from './processes.ts';

/**
 * A local stand-in for an EventBridge event bus that speaks the service's wire protocol (AWS JSON 1.1,
 * `X-Amz-Target: AWSEvents.PutEvents`), so the functions' EventBridge client works unchanged against it. It keeps
 * every accepted entry (the local "archive") and hands each one to the rules whose pattern matches — as in the
 * stack, rules target queues, so deliveries take the same path as in AWS.
 */
export interface BusEntry {
  id: string;
  source: string;
  detailType: string;
  detail: string;
  eventBusName: string;
  time: string;
  /** When the bus accepted the entry (epoch ms; the latency bench reads it). */
  acceptedAt: number;
}

export interface RulePattern {
  source?: readonly string[];
  detailType?: readonly string[];
}

export interface LocalEventBus {
  endpoint: string;
  /** Every entry accepted, in order. */
  archive: BusEntry[];
  /** Adds a rule: matching entries are passed to `target` (errors are logged, as a failed target invocation). */
  addRule(name: string, pattern: RulePattern, target: (entry: BusEntry) => Promise<void>): void;
  /** The next `count` PutEvents entries are refused with `InternalFailure` (tests of the publisher's retries). */
  failNext(count: number): void;
  stop(): Promise<void>;
}

interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  Time?: number | string;
}

/** The domain event id in an entry's detail (our envelope), if it has one. */
function detailId(entry: BusEntry): string | undefined {
  try {
    return (JSON.parse(entry.detail) as { id?: string }).id;
  } catch {
    return undefined;
  }
}

const matches = (pattern: RulePattern, entry: BusEntry) =>
  (!pattern.source || pattern.source.includes(entry.source)) &&
  (!pattern.detailType || pattern.detailType.includes(entry.detailType));

export async function startLocalEventBus(options: { port: number }): Promise<LocalEventBus> {
  const port = await resolvePort(options.port, 'the EventBridge stand-in', 'EVENTBRIDGE_PORT');
  const archive: BusEntry[] = [];
  const rules: { name: string; pattern: RulePattern; target: (entry: BusEntry) => Promise<void> }[] = [];
  let failures = 0;

  const putEvents = (entries: PutEventsEntry[]) => {
    const results = entries.map((entry) => {
      if (failures > 0) {
        failures--;
        return { ErrorCode: 'InternalFailure', ErrorMessage: 'Injected failure' };
      }
      if (!entry.Source || !entry.DetailType || !entry.Detail) {
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Source, DetailType and Detail are required' };
      }
      const accepted: BusEntry = {
        id: randomUUID(),
        source: entry.Source,
        detailType: entry.DetailType,
        detail: entry.Detail,
        eventBusName: entry.EventBusName ?? 'default',
        time: new Date(typeof entry.Time === 'number' ? entry.Time * 1000 : (entry.Time ?? Date.now())).toISOString(),
        acceptedAt: Date.now(),
      };
      archive.push(accepted);
      for (const rule of rules) {
        if (!matches(rule.pattern, accepted)) continue;
        rule.target(accepted).catch((error: unknown) => console.error(`[eventbridge] rule ${rule.name} failed`, error));
      }
      return { EventId: accepted.id };
    });
    return { Entries: results, FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length };
  };

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      // The local archive's read API (tests, the latency bench): `GET /archive[?eventId=ev_…]`.
      if (request.method === 'GET' && request.url?.startsWith('/archive')) {
        const eventId = new URL(request.url, 'http://local').searchParams.get('eventId');
        const entries = eventId ? archive.filter((entry) => detailId(entry) === eventId) : archive;
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(entries));
        return;
      }
      const target = String(request.headers['x-amz-target'] ?? '');
      const reply = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify(body));
      };
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { Entries?: PutEventsEntry[] };
        if (target !== 'AWSEvents.PutEvents') {
          reply(400, { __type: 'UnknownOperationException', message: `${target} is not supported locally` });
          return;
        }
        const entries = body.Entries ?? [];
        if (entries.length < 1 || entries.length > 10) {
          reply(400, { __type: 'ValidationException', message: 'Entries must hold 1 to 10 items' });
          return;
        }
        reply(200, putEvents(entries));
      } catch {
        reply(400, { __type: 'SerializationException', message: 'The body is not JSON' });
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return {
    endpoint: `http://127.0.0.1:${actualPort}`,
    archive,
    addRule(name, pattern, target) {
      rules.push({ name, pattern, target });
    },
    failNext(count) {
      failures = count;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
