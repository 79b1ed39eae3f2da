import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { type DomainEvent, EVENT_SOURCE } from '#core/domain-events';

export { EVENT_SOURCE };

/** PutEvents takes at most 10 entries per request. */
const PUT_EVENTS_LIMIT = 10;

let client: EventBridgeClient | undefined;
function eventBridge(): EventBridgeClient {
  client ??= new EventBridgeClient(
    process.env.EVENTBRIDGE_ENDPOINT ? { endpoint: process.env.EVENTBRIDGE_ENDPOINT } : {},
  );
  return client;
}

/** The bus entry of a domain event: `detail-type` is the event type, `detail` the envelope. */
export function busEntry(event: DomainEvent, busName: string): PutEventsRequestEntry {
  return {
    EventBusName: busName,
    Source: EVENT_SOURCE,
    DetailType: event.type,
    Detail: JSON.stringify(event),
    Time: new Date(event.occurredAt),
  };
}

/**
 * Puts events on the bus, 10 per request, and returns the ids of those EventBridge did not accept (its answer is
 * per entry: a partial failure is normal under throttling).
 */
export async function putEvents(events: readonly DomainEvent[], busName: string): Promise<Set<string>> {
  const failed = new Set<string>();
  for (let i = 0; i < events.length; i += PUT_EVENTS_LIMIT) {
    const chunk = events.slice(i, i + PUT_EVENTS_LIMIT);
    try {
      const result = await eventBridge().send(
        new PutEventsCommand({ Entries: chunk.map((e) => busEntry(e, busName)) }),
      );
      result.Entries?.forEach((entry, index) => {
        const event = chunk[index];
        if (event && (entry.ErrorCode || !entry.EventId)) failed.add(event.id);
      });
    } catch {
      for (const event of chunk) failed.add(event.id);
    }
  }
  return failed;
}
