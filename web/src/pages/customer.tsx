import { useEffect, useState } from 'preact/hooks';
import type {
  CreateCheckoutSessionResponse201,
  GetListingResponse200,
  GetOrderResponse200,
  GetPaymentRequestResponse200,
  PayPaymentRequestCheckoutResponse201,
} from '../../../local/api-types.ts';
import { get, post } from '../api.ts';
import { session } from '../auth.ts';
import { money } from '../format.ts';
import { href, navigate } from '../router.ts';
import { ActionButton, Badge, ErrorNote, Loading, Page, useLoad } from '../ui.tsx';

const PENDING_ORDER = 'connect-payouts.pending-order';
const appUrl = (path: string) => `${location.origin}${href(path)}`;

/** Paying needs a signed-in customer (the API's checkout routes take a token): sign in first, then come back. */
function requireSignIn(): boolean {
  if (session()) return true;
  navigate(`/signin?next=${encodeURIComponent(location.pathname.replace(href(''), '') + location.search)}`);
  return false;
}

export function ListingPage(props: { listingId: string }) {
  const listing = useLoad(
    () => get<GetListingResponse200>(`/listings/${encodeURIComponent(props.listingId)}`),
    [props.listingId],
  );
  const [quantity, setQuantity] = useState(1);
  const l = listing.data;
  const max = Math.max(1, Math.min(l?.maxPerOrder ?? 10, l?.remaining ?? 10));
  return (
    <Page title={l ? l.title : 'Listing'}>
      <ErrorNote error={listing.error} />
      {listing.loading && !l && <Loading />}
      {l && (
        <section class="card">
          {l.sellerName && <p class="muted">Sold by {l.sellerName}</p>}
          {l.description && <p>{l.description}</p>}
          <p class="price">{money(l.unitAmount, l.currency)}</p>
          {l.remaining !== undefined && <p>{l.remaining} left</p>}
          {new URLSearchParams(location.search).has('canceled') && (
            <p class="notice info" role="status">
              Checkout was canceled; nothing was charged.
            </p>
          )}
          {l.onSale ? (
            <form class="inline" onSubmit={(e) => e.preventDefault()}>
              <label for="quantity">Quantity</label>
              <input
                id="quantity"
                type="number"
                min={1}
                max={max}
                value={quantity}
                onInput={(e) => setQuantity(Math.max(1, Math.min(max, Number(e.currentTarget.value) || 1)))}
              />
              <ActionButton
                class="primary"
                onClick={async () => {
                  if (!requireSignIn()) return;
                  const checkout = await post<CreateCheckoutSessionResponse201>('/payments/checkout-sessions', {
                    items: [{ listingId: l.id, quantity }],
                    successUrl: appUrl('/checkout/return?session={CHECKOUT_SESSION_ID}'),
                    cancelUrl: appUrl(`/buy/${l.id}?canceled=1`),
                  });
                  sessionStorage.setItem(PENDING_ORDER, checkout.orderId);
                  location.assign(checkout.url);
                }}
              >
                Buy for {money(l.unitAmount * quantity, l.currency)}
              </ActionButton>
            </form>
          ) : (
            <p>
              <Badge value="expired" /> Not on sale.
            </p>
          )}
        </section>
      )}
    </Page>
  );
}

/** Back from Checkout: the order is shown from our API (settled by the webhook), not from the redirect. */
export function CheckoutReturn() {
  useEffect(() => {
    const orderId = sessionStorage.getItem(PENDING_ORDER);
    navigate(orderId ? `/orders/${orderId}` : '/', true);
  }, []);
  return <Loading what="your order" />;
}

/** Polls while the payment is pending: the webhook settles it a moment after the redirect. */
function usePolling<T>(load: () => Promise<T>, pending: (value: T) => boolean, deps: unknown[]) {
  const [value, setValue] = useState<T>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout>;
    const started = Date.now();
    const tick = () =>
      load().then(
        (v) => {
          if (!live) return;
          setValue(v);
          if (pending(v) && Date.now() - started < 120_000) timer = setTimeout(tick, 1000);
        },
        (e: unknown) => live && setError(e),
      );
    void tick();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, deps);
  return { value, error };
}

export function OrderPage(props: { orderId: string }) {
  const { value: order, error } = usePolling(
    () => get<GetOrderResponse200>(`/orders/${encodeURIComponent(props.orderId)}`),
    (o) => o.status === 'pending',
    [props.orderId],
  );
  return (
    <Page title="Your order">
      <ErrorNote error={error} />
      {!order && !error && <Loading what="your order" />}
      {order && (
        <section class="card" aria-live="polite">
          <p>
            Status: <Badge value={order.status} />
          </p>
          {order.status === 'pending' && <p class="muted">Waiting for the payment to be confirmed…</p>}
          {order.status === 'paid' && <p>Thank you! Your payment is confirmed.</p>}
          <ul class="plain">
            {order.items.map((item) => (
              <li key={`${item.listingId}-${item.name}`}>
                {item.quantity} × {item.name} — {money(item.amount, order.currency)}
              </li>
            ))}
          </ul>
          <p>
            <strong>Total {money(order.amount, order.currency)}</strong>
          </p>
        </section>
      )}
    </Page>
  );
}

export function PayRequestPage(props: { requestId: string }) {
  const returned = new URLSearchParams(location.search).has('returned');
  const { value: request, error } = usePolling(
    () => get<GetPaymentRequestResponse200>(`/payment-requests/${encodeURIComponent(props.requestId)}`),
    (r) => returned && r.status === 'open',
    [props.requestId],
  );
  return (
    <Page title={request ? request.description : 'Payment request'}>
      <ErrorNote error={error} />
      {!request && !error && <Loading />}
      {request && (
        <section class="card" aria-live="polite">
          {request.sellerName && <p class="muted">From {request.sellerName}</p>}
          <p class="price">{money(request.amount, request.currency)}</p>
          <p>
            Status: <Badge value={request.status} />
          </p>
          {request.status === 'open' && returned && <p class="muted">Waiting for the payment to be confirmed…</p>}
          {request.status === 'paid' && <p>Thank you! Your payment is confirmed.</p>}
          {request.status === 'open' && !returned && (
            <ActionButton
              class="primary"
              onClick={async () => {
                if (!requireSignIn()) return;
                const checkout = await post<PayPaymentRequestCheckoutResponse201>(
                  `/payment-requests/${encodeURIComponent(request.id)}/checkout`,
                  { successUrl: appUrl(`/pay/${request.id}?returned=1`), cancelUrl: appUrl(`/pay/${request.id}`) },
                );
                location.assign(checkout.url);
              }}
            >
              Pay {money(request.amount, request.currency)}
            </ActionButton>
          )}
        </section>
      )}
    </Page>
  );
}
