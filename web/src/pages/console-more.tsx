import { useState } from 'preact/hooks';
import type { GetOrderAdminResponse200, GetPartnerAdminResponse200 } from '../../../local/api-types.ts';
import { del, get, put } from '../api.ts';
import { dateTime, field, label, money } from '../format.ts';
import { href } from '../router.ts';
import { ActionButton, Badge, Load, Page, TextField, useLoad } from '../ui.tsx';

/** A partner as the operator sees it: status, what Stripe needs, the payout hold, and every operator action. */
export function ConsolePartner(props: { partnerId: string }) {
  const path = `/admin/partners/${encodeURIComponent(props.partnerId)}`;
  const view = useLoad(() => get<GetPartnerAdminResponse200>(path), [props.partnerId]);
  const [reason, setReason] = useState('');
  const [until, setUntil] = useState('');
  return (
    <Page title={view.data ? view.data.partner.name : 'Partner'}>
      <p class="row">
        <a href={href('/console/partners')}>All partners</a>
        <a href={href(`/console/adjustments?partnerId=${encodeURIComponent(props.partnerId)}`)}>Record an adjustment</a>
      </p>
      <Load state={view} what="the partner">
        {({ partner: p, payoutHold: hold, operatorActions }) => (
          <>
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
            <section class="card" aria-labelledby="hold-title">
              <h2 id="hold-title">Payout hold</h2>
              {hold ? (
                <p data-testid="hold">
                  <Badge value="restricted" /> Held: {hold.reason} (by {hold.by.email ?? hold.by.sub},{' '}
                  {dateTime(hold.at)}
                  {hold.until ? `, until ${dateTime(hold.until)}` : ''})
                </p>
              ) : (
                <p class="muted">Payouts are not held.</p>
              )}
              <form class="inline" onSubmit={(e) => e.preventDefault()}>
                <TextField id="hold-reason" label="Reason" value={reason} onInput={setReason} />
                {!hold && (
                  <TextField
                    id="hold-until"
                    label="Until (optional)"
                    type="date"
                    value={until}
                    onInput={setUntil}
                    hint="Empty: until an operator lifts it"
                  />
                )}
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
                      await put(`${path}/payout-hold`, {
                        reason: reason.trim(),
                        ...(until ? { until: new Date(`${until}T00:00:00Z`).toISOString() } : {}),
                      });
                      setReason('');
                      setUntil('');
                      view.reload();
                    }}
                  >
                    Hold payouts
                  </ActionButton>
                )}
              </form>
              {operatorActions.length > 0 && (
                <>
                  <h3>Operator actions</h3>
                  <ul class="plain">
                    {operatorActions.map((a) => (
                      <li key={a.id}>
                        {dateTime(a.at)} · {label(a.action)} · {a.reason}{' '}
                        <span class="muted">({a.by.email ?? a.by.sub})</span>
                      </li>
                    ))}
                  </ul>
                </>
              )}
            </section>
          </>
        )}
      </Load>
    </Page>
  );
}

export function ConsoleOrder(props: { orderId: string }) {
  const order = useLoad(
    () => get<GetOrderAdminResponse200>(`/admin/orders/${encodeURIComponent(props.orderId)}`),
    [props.orderId],
  );
  return (
    <Page title="Order">
      <p>
        <a href={href('/console/payments')}>All payments</a>
      </p>
      <Load state={order} what="the order">
        {(o) => (
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
      </Load>
    </Page>
  );
}
