import { useState } from 'preact/hooks';
import type {
  GetOrderAdminResponse200,
  GetPartnerAdminResponse200,
  ListEventsAdminResponse200,
} from '../../../local/api-types.ts';
import { del, get, put } from '../api.ts';
import { dateTime, field, label, money } from '../format.ts';
import { href } from '../router.ts';
import { ActionButton, Badge, ErrorNote, Loading, Page, useLoad } from '../ui.tsx';

/** A partner as the operator sees it: status, what Stripe needs, the payout hold, and every operator action. */
export function ConsolePartner(props: { partnerId: string }) {
  const path = `/admin/partners/${encodeURIComponent(props.partnerId)}`;
  const view = useLoad(() => get<GetPartnerAdminResponse200>(path), [props.partnerId]);
  const [reason, setReason] = useState('');
  const p = view.data?.partner;
  const hold = view.data?.payoutHold;
  return (
    <Page title={p ? p.name : 'Partner'}>
      <p>
        <a href={href('/console/partners')}>All partners</a>
      </p>
      <ErrorNote error={view.error} />
      {view.loading && !view.data && <Loading what="the partner" />}
      {p && (
        <section class="card" aria-labelledby="partner-facts">
          <h2 id="partner-facts">Account</h2>
          <dl class="facts">
            <dt>Status</dt>
            <dd>
              <Badge value={p.status} />
            </dd>
            <dt>Stripe account</dt>
            <dd>
              <code>{p.stripeAccountId ?? '—'}</code>
            </dd>
            <dt>Needs</dt>
            <dd>
              {p.actionRequired
                ? `${label(p.actionRequired.kind)}${p.actionRequired.deadline ? ` by ${dateTime(p.actionRequired.deadline)}` : ''}: ${p.actionRequired.fields.map(field).join(', ')}`
                : 'nothing'}
            </dd>
            <dt>Payouts</dt>
            <dd>{p.payoutPreference}</dd>
          </dl>
        </section>
      )}
      {view.data && (
        <section class="card" aria-labelledby="hold-title">
          <h2 id="hold-title">Payout hold</h2>
          {hold ? (
            <p data-testid="hold">
              <Badge value="restricted" /> Held: {hold.reason} (by {hold.by.email ?? hold.by.sub}, {dateTime(hold.at)}
              {hold.until ? `, until ${dateTime(hold.until)}` : ''})
            </p>
          ) : (
            <p class="muted">Payouts are not held.</p>
          )}
          <form class="inline" onSubmit={(e) => e.preventDefault()}>
            <label for="hold-reason">Reason</label>
            <input id="hold-reason" value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
            {hold ? (
              <ActionButton
                disabled={reason.trim() === ''}
                onClick={async () => {
                  await del(`${path}/payout-hold?reason=${encodeURIComponent(reason.trim())}`);
                  setReason('');
                  view.reload();
                }}
              >
                Lift hold
              </ActionButton>
            ) : (
              <ActionButton
                disabled={reason.trim() === ''}
                onClick={async () => {
                  await put(`${path}/payout-hold`, { reason: reason.trim() });
                  setReason('');
                  view.reload();
                }}
              >
                Hold payouts
              </ActionButton>
            )}
          </form>
          {view.data.operatorActions.length > 0 && (
            <>
              <h3>Operator actions</h3>
              <ul class="plain">
                {view.data.operatorActions.map((a) => (
                  <li key={a.id}>
                    {dateTime(a.at)} · {label(a.action)} · {a.reason}{' '}
                    <span class="muted">({a.by.email ?? a.by.sub})</span>
                  </li>
                ))}
              </ul>
            </>
          )}
        </section>
      )}
    </Page>
  );
}

export function ConsoleOrder(props: { orderId: string }) {
  const order = useLoad(
    () => get<GetOrderAdminResponse200>(`/admin/orders/${encodeURIComponent(props.orderId)}`),
    [props.orderId],
  );
  const o = order.data;
  return (
    <Page title="Order">
      <p>
        <a href={href('/console/payments')}>All payments</a>
      </p>
      <ErrorNote error={order.error} />
      {order.loading && !o && <Loading what="the order" />}
      {o && (
        <section class="card">
          <p>
            <code>{o.id}</code> <Badge value={o.status} />
          </p>
          <dl class="facts">
            <dt>Customer</dt>
            <dd>{o.customerEmail ?? o.customerSub}</dd>
            <dt>Seller</dt>
            <dd>
              <a href={href(`/console/partners/${encodeURIComponent(o.partnerId)}`)}>{o.partnerId}</a>
            </dd>
            <dt>Total</dt>
            <dd>{money(o.amount, o.currency)}</dd>
            <dt>Platform fee</dt>
            <dd>{money(o.fee, o.currency)}</dd>
            <dt>To the seller</dt>
            <dd>{money(o.net, o.currency)}</dd>
            <dt>Created</dt>
            <dd>{dateTime(o.createdAt)}</dd>
          </dl>
          <ul class="plain">
            {o.items.map((item) => (
              <li key={`${item.listingId}-${item.name}`}>
                {item.quantity} × {item.name} — {money(item.amount, o.currency)}
              </li>
            ))}
          </ul>
        </section>
      )}
    </Page>
  );
}

export function ConsoleEvents() {
  const events = useLoad(() => get<ListEventsAdminResponse200>('/admin/events?limit=50'), []);
  return (
    <Page title="Events">
      <ErrorNote error={events.error} />
      {events.loading && !events.data && <Loading what="events" />}
      {events.data && events.data.events.length === 0 && <p class="muted">No events in the last 30 days.</p>}
      {events.data && events.data.events.length > 0 && (
        <div class="table-wrap">
          <table>
            <caption class="sr-only">Domain events, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Type</th>
                <th scope="col">Partner</th>
              </tr>
            </thead>
            <tbody>
              {events.data.events.map((e) => (
                <tr key={e.id}>
                  <td>{dateTime(e.occurredAt)}</td>
                  <td>
                    <code>{e.type}</code>
                  </td>
                  <td>
                    {e.partnerId ? (
                      <a href={href(`/console/partners/${encodeURIComponent(e.partnerId)}`)}>{e.partnerId}</a>
                    ) : (
                      '—'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Page>
  );
}
