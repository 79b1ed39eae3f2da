import { useEffect, useState } from 'preact/hooks';
import { DOMAIN_EVENT_TYPES } from '../../../functions/core/domain-event-types.ts';
import type {
  CreateWebhookEndpointResponse201,
  GetEventAdminResponse200,
  ListEventsAdminQuery,
  ListEventsAdminResponse200,
  ListWebhookEndpointsResponse200,
  RedeliverEventResponse202,
  RotateWebhookSecretResponse200,
} from '../../../local/api-types.ts';
import { del, get, post } from '../api.ts';
import { dateTime } from '../format.ts';
import { href, navigate } from '../router.ts';
import { ActionButton, Badge, Load, Page, PartnerLink, Table, TextField, useLoad } from '../ui.tsx';

type EventType = NonNullable<ListEventsAdminQuery['type']>;
type StoredEvent = ListEventsAdminResponse200['events'][number];
type Endpoint = ListWebhookEndpointsResponse200['endpoints'][number];

/** Every domain event type, in the catalog's order (the list the API validates `type` against). */
const EVENT_TYPES: readonly EventType[] = DOMAIN_EVENT_TYPES;

const listEndpoints = () => get<ListWebhookEndpointsResponse200>('/admin/webhook-endpoints');

/** The events list's filters live in the address (`?type=&partnerId=`), so a filtered view can be linked. */
function filtersFromLocation(): { type: string; partnerId: string } {
  const query = new URLSearchParams(location.search);
  return { type: query.get('type') ?? '', partnerId: query.get('partnerId') ?? '' };
}

export function ConsoleEvents() {
  const [filters, setFilters] = useState(filtersFromLocation);
  const [type, setType] = useState(filters.type);
  const [partnerId, setPartnerId] = useState(filters.partnerId);
  const [older, setOlder] = useState<{ events: StoredEvent[]; nextCursor: string | null } | null>(null);
  const query = (cursor?: string) => {
    const q = new URLSearchParams({ limit: '50' });
    if (filters.type) q.set('type', filters.type);
    if (filters.partnerId) q.set('partnerId', filters.partnerId);
    if (cursor) q.set('cursor', cursor);
    return `/admin/events?${q}`;
  };
  const first = useLoad(() => get<ListEventsAdminResponse200>(query()), [filters.type, filters.partnerId]);
  useEffect(() => setOlder(null), [filters.type, filters.partnerId]);
  return (
    <Page title="Events">
      <form
        class="inline"
        aria-label="Filter events"
        onSubmit={(e) => {
          e.preventDefault();
          const next = { type, partnerId: partnerId.trim() };
          const q = new URLSearchParams(Object.entries(next).filter(([, v]) => v !== ''));
          navigate(`/console/events${q.size > 0 ? `?${q}` : ''}`, true);
          setFilters(next);
        }}
      >
        <label for="event-type">Type</label>
        <select id="event-type" value={type} onChange={(e) => setType(e.currentTarget.value)}>
          <option value="">All types</option>
          {EVENT_TYPES.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
        <TextField id="event-partner" label="Partner ID" value={partnerId} onInput={setPartnerId} />
        <button type="submit">Filter</button>
      </form>
      <Load state={first} what="events">
        {(page) => {
          const events = [...page.events, ...(older?.events ?? [])];
          const cursor = older ? older.nextCursor : page.nextCursor;
          return (
            <>
              <Table
                caption="Domain events, newest first"
                rows={events}
                rowKey={(e) => e.id}
                empty="No events in the last 30 days match."
                rowAttrs={(e) => ({ 'data-event': e.id })}
                columns={[
                  { head: 'When', cell: (e) => dateTime(e.occurredAt) },
                  {
                    head: 'Type',
                    cell: (e) => (
                      <a href={href(`/console/events/${encodeURIComponent(e.id)}`)}>
                        <code>{e.type}</code>
                      </a>
                    ),
                  },
                  { head: 'Partner', cell: (e) => <PartnerLink id={e.partnerId} /> },
                ]}
              />
              {cursor && (
                <ActionButton
                  onClick={async () => {
                    const next = await get<ListEventsAdminResponse200>(query(cursor));
                    setOlder({ events: [...(older?.events ?? []), ...next.events], nextCursor: next.nextCursor });
                  }}
                >
                  Older events
                </ActionButton>
              )}
            </>
          );
        }}
      </Load>
    </Page>
  );
}

/** One event, every delivery attempt to each endpoint, and "deliver again". */
export function ConsoleEvent(props: { eventId: string }) {
  const path = `/admin/events/${encodeURIComponent(props.eventId)}`;
  const view = useLoad(() => get<GetEventAdminResponse200>(path), [path]);
  const endpoints = useLoad(listEndpoints, []);
  const [target, setTarget] = useState('');
  const [queued, setQueued] = useState('');
  const urlOf = (id: string) => endpoints.data?.endpoints.find((e) => e.id === id)?.url ?? id;
  const { reload } = view;
  // After a redelivery, re-read the attempts every second for half a minute (delivery is asynchronous: the queue,
  // then the endpoint's answer; ten seconds was sometimes not enough locally).
  useEffect(() => {
    if (!queued) return;
    let n = 0;
    const timer = setInterval(() => {
      reload();
      if (++n >= 30) clearInterval(timer);
    }, 1000);
    return () => clearInterval(timer);
  }, [queued, reload]);
  return (
    <Page title={view.data ? `Event ${view.data.event.type}` : 'Event'}>
      <p>
        <a href={href('/console/events')}>All events</a>
      </p>
      <Load state={view} what="the event">
        {({ event, deliveries }) => (
          <>
            <section class="card" aria-labelledby="event-facts">
              <h2 id="event-facts">Event</h2>
              <dl class="facts">
                <dt>ID</dt>
                <dd>
                  <code>{event.id}</code>
                </dd>
                <dt>Occurred</dt>
                <dd>{dateTime(event.occurredAt)}</dd>
                <dt>Partner</dt>
                <dd>
                  <PartnerLink id={event.partnerId} />
                </dd>
                <dt>Version</dt>
                <dd>{event.version}</dd>
              </dl>
              <details>
                <summary>Data</summary>
                <pre class="data">{JSON.stringify(event.data, null, 2)}</pre>
              </details>
            </section>
            <section class="card" aria-labelledby="deliveries-title">
              <h2 id="deliveries-title">Deliveries</h2>
              <Table
                caption="Deliveries to each endpoint"
                rows={deliveries}
                rowKey={(d) => d.endpointId}
                empty="Not delivered to any endpoint (none was subscribed to this type)."
                rowAttrs={(d) => ({ 'data-endpoint': d.endpointId })}
                columns={[
                  { head: 'Endpoint', cell: (d) => <code>{urlOf(d.endpointId)}</code> },
                  { head: 'Status', cell: (d) => <Badge value={d.status} /> },
                  { head: 'Attempts', num: true, cell: (d) => d.attempts.length },
                  {
                    head: 'Last attempt',
                    cell: (d) => {
                      const last = d.attempts.at(-1);
                      if (!last) return '—';
                      return `${dateTime(last.at)}: ${last.status ?? last.error ?? 'no answer'} (${last.ms} ms)`;
                    },
                  },
                ]}
              />
              <form class="inline" onSubmit={(e) => e.preventDefault()}>
                <label for="redeliver-to">Deliver again to</label>
                <select id="redeliver-to" value={target} onChange={(e) => setTarget(e.currentTarget.value)}>
                  <option value="">Every subscribed endpoint</option>
                  {endpoints.data?.endpoints.map((e) => (
                    <option key={e.id} value={e.id}>
                      {e.url}
                    </option>
                  ))}
                </select>
                <ActionButton
                  onClick={async () => {
                    const result = await post<RedeliverEventResponse202>(
                      `${path}/redeliver`,
                      target ? { endpointId: target } : {},
                    );
                    setQueued(
                      `Queued for delivery again (${result.endpointId ? urlOf(result.endpointId) : 'every subscribed endpoint'}) at ${dateTime(new Date().toISOString())}.`,
                    );
                  }}
                >
                  Redeliver
                </ActionButton>
              </form>
              {queued && (
                <p class="notice info" role="status">
                  {queued}
                </p>
              )}
            </section>
          </>
        )}
      </Load>
    </Page>
  );
}

/** A signing secret, shown once after it is made (create, rotate): the API never shows it again. */
function SecretOnce(props: { secret: { endpoint: string; value: string; note?: string }; onDone: () => void }) {
  return (
    <div class="notice warn" role="status" data-testid="secret">
      <p>
        Signing secret for <code>{props.secret.endpoint}</code>, shown only now: store it where your receiver reads it.
        {props.secret.note ? ` ${props.secret.note}` : ''}
      </p>
      <p>
        <code data-testid="secret-value">{props.secret.value}</code>
      </p>
      <button type="button" onClick={props.onDone}>
        I have stored it
      </button>
    </div>
  );
}

export function ConsoleWebhooks() {
  const endpoints = useLoad(listEndpoints, []);
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [types, setTypes] = useState<Set<string>>(new Set(['*']));
  const [secret, setSecret] = useState<{ endpoint: string; value: string; note?: string } | null>(null);
  const [deleting, setDeleting] = useState<Endpoint | null>(null);
  const toggle = (t: string, on: boolean) => {
    const next = new Set(types);
    if (on) next.add(t);
    else next.delete(t);
    setTypes(next);
  };
  return (
    <Page title="Webhook endpoints">
      {secret && <SecretOnce secret={secret} onDone={() => setSecret(null)} />}
      <section class="card" aria-labelledby="endpoints-title">
        <h2 id="endpoints-title">Endpoints</h2>
        <Load state={endpoints} what="endpoints">
          {(data) => (
            <Table
              caption="Webhook endpoints"
              rows={data.endpoints}
              rowKey={(e) => e.id}
              empty="No endpoint yet: events are stored but delivered nowhere."
              rowAttrs={(e) => ({ 'data-endpoint': e.id })}
              columns={[
                {
                  head: 'URL',
                  cell: (e) => (
                    <>
                      <code>{e.url}</code>
                      {e.description && (
                        <>
                          <br />
                          <span class="muted">{e.description}</span>
                        </>
                      )}
                    </>
                  ),
                },
                { head: 'Events', cell: (e) => (e.eventTypes.includes('*') ? 'all' : e.eventTypes.join(', ')) },
                { head: 'Secret since', cell: (e) => dateTime(e.secretRotatedAt) },
                {
                  head: 'Actions',
                  cell: (e) => (
                    <div class="row">
                      <ActionButton
                        onClick={async () => {
                          const rotated = await post<RotateWebhookSecretResponse200>(
                            `/admin/webhook-endpoints/${encodeURIComponent(e.id)}/rotate-secret`,
                          );
                          setSecret({
                            endpoint: e.url,
                            value: rotated.secret,
                            ...(rotated.previousSecretExpiresAt
                              ? {
                                  note: `The previous one also signs until ${dateTime(rotated.previousSecretExpiresAt)}.`,
                                }
                              : {}),
                          });
                          endpoints.reload();
                        }}
                      >
                        Rotate secret<span class="sr-only"> of {e.url}</span>
                      </ActionButton>
                      <button type="button" onClick={() => setDeleting(e)}>
                        Delete<span class="sr-only"> {e.url}</span>
                      </button>
                    </div>
                  ),
                },
              ]}
            />
          )}
        </Load>
        {deleting && (
          <div class="notice bad" role="alertdialog" aria-labelledby="delete-title">
            <p id="delete-title">
              Delete <code>{deleting.url}</code>? No event is delivered to it any more.
            </p>
            <div class="row">
              <ActionButton
                onClick={async () => {
                  await del(`/admin/webhook-endpoints/${encodeURIComponent(deleting.id)}`);
                  setDeleting(null);
                  endpoints.reload();
                }}
              >
                Delete endpoint
              </ActionButton>
              <button type="button" onClick={() => setDeleting(null)}>
                Keep it
              </button>
            </div>
          </div>
        )}
      </section>
      <section class="card" aria-labelledby="new-endpoint-title">
        <h2 id="new-endpoint-title">Add an endpoint</h2>
        <form class="stack" onSubmit={(e) => e.preventDefault()}>
          <TextField id="endpoint-url" label="URL (https)" type="url" value={url} onInput={setUrl} />
          <TextField
            id="endpoint-description"
            label="Description (optional)"
            value={description}
            maxLength={200}
            onInput={setDescription}
          />
          <fieldset>
            <legend>Events</legend>
            <label>
              <input type="checkbox" checked={types.has('*')} onChange={(e) => toggle('*', e.currentTarget.checked)} />
              All events
            </label>
            {!types.has('*') &&
              EVENT_TYPES.map((t) => (
                <label key={t}>
                  <input type="checkbox" checked={types.has(t)} onChange={(e) => toggle(t, e.currentTarget.checked)} />
                  <code>{t}</code>
                </label>
              ))}
          </fieldset>
          <ActionButton
            class="primary"
            disabled={url.trim() === '' || types.size === 0}
            onClick={async () => {
              const created = await post<CreateWebhookEndpointResponse201>('/admin/webhook-endpoints', {
                url: url.trim(),
                eventTypes: types.has('*') ? ['*'] : [...types],
                ...(description.trim() ? { description: description.trim() } : {}),
              });
              setSecret({ endpoint: created.url, value: created.secret });
              setUrl('');
              setDescription('');
              endpoints.reload();
            }}
          >
            Add endpoint
          </ActionButton>
        </form>
      </section>
    </Page>
  );
}
