import { type JSX, render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { isAdmin, onSessionChange, session, signOut } from './auth.ts';
import { loadConfig } from './config.ts';
import { AuthCallback, SignIn, SignUp } from './pages/auth.tsx';
import { CheckoutReturn, ListingPage, OrderPage, PayRequestPage } from './pages/customer.tsx';
import { EmbeddedOnboarding } from './pages/embedded.tsx';
import { Earnings, PartnerHome, Payouts } from './pages/partner.tsx';
import { AcceptInvitation, Sales, Team } from './pages/team.tsx';
import { setScopedPartner, useScope } from './partner-scope.ts';
import { href, match, navigate, onLinkClick, usePath } from './router.ts';
import { Load, Page, useLoad } from './ui.tsx';
import './styles.css';

function useSession() {
  const [s, setS] = useState(session());
  useEffect(() => {
    const off = onSessionChange(() => setS(session()));
    setS(session());
    return off;
  }, []);
  return s;
}

/** Pages anyone may open (customers follow a seller's link before signing in). */
const PUBLIC = ['/signin', '/signup', '/auth/callback', '/buy/:listingId', '/pay/:requestId'];

type Params = Record<string, string>;

/** The console's pages come in their own chunk, loaded the first time an operator opens one. */
const loadConsole = () => import('./pages/console-index.ts');
type ConsolePages = Awaited<ReturnType<typeof loadConsole>>;

function Console(props: { page: (pages: ConsolePages) => JSX.Element }) {
  const pages = useLoad(loadConsole, []);
  return (
    <Load state={pages} what="the console">
      {props.page}
    </Load>
  );
}

/** Every page: path pattern → page. The console's pages are only rendered for the admin group. */
const PAGES: Array<[string, (p: Params) => JSX.Element]> = [
  ['/signin', () => <SignIn />],
  ['/signup', () => <SignUp />],
  ['/auth/callback', () => <AuthCallback />],
  ['/buy/:listingId', (p) => <ListingPage listingId={p.listingId ?? ''} />],
  ['/pay/:requestId', (p) => <PayRequestPage requestId={p.requestId ?? ''} />],
  ['/checkout/return', () => <CheckoutReturn />],
  ['/orders/:orderId', (p) => <OrderPage orderId={p.orderId ?? ''} />],
  ['/invitations/:token', (p) => <AcceptInvitation token={p.token ?? ''} />],
  ['/', () => <PartnerHome />],
  ['/setup', () => <EmbeddedOnboarding />],
  ['/earnings', () => <Earnings />],
  ['/payouts', () => <Payouts />],
  ['/team', () => <Team />],
  ['/sales', () => <Sales />],
  ['/console', () => <Console page={(c) => <c.PayoutRuns />} />],
  ['/console/runs/:runId', (p) => <Console page={(c) => <c.PayoutRunDetail runId={p.runId ?? ''} />} />],
  ['/console/partners', () => <Console page={(c) => <c.ConsolePartners />} />],
  ['/console/payments', () => <Console page={(c) => <c.ConsolePayments />} />],
  ['/console/partners/:partnerId', (p) => <Console page={(c) => <c.ConsolePartner partnerId={p.partnerId ?? ''} />} />],
  ['/console/orders/:orderId', (p) => <Console page={(c) => <c.ConsoleOrder orderId={p.orderId ?? ''} />} />],
  ['/console/events', () => <Console page={(c) => <c.ConsoleEvents />} />],
  ['/console/events/:eventId', (p) => <Console page={(c) => <c.ConsoleEvent eventId={p.eventId ?? ''} />} />],
  ['/console/webhooks', () => <Console page={(c) => <c.ConsoleWebhooks />} />],
  ['/console/adjustments', () => <Console page={(c) => <c.ConsoleAdjustments />} />],
  ['/console/reconciliation', () => <Console page={(c) => <c.ConsoleReconciliation />} />],
];

function route(path: string, admin: boolean) {
  if (path.startsWith('/console') && !admin) {
    // The API refuses non-admins anyway (403); the console does not even ask.
    return (
      <Page title="Operator console">
        <p class="notice bad" role="alert">
          The operator console is for the platform's operators (the admin group). Your account is not one.
        </p>
        <p>
          <a href={href('/')}>Back to your overview</a>
        </p>
      </Page>
    );
  }
  for (const [pattern, page] of PAGES) {
    const params = match(pattern, path);
    if (params) return page(params);
  }
  return (
    <Page title="Not found">
      <p>
        There is no such page. <a href={href('/')}>Go to the overview</a>
      </p>
    </Page>
  );
}

function Nav(props: { path: string; admin: boolean }) {
  const items: Array<[string, string]> = [
    ['/', 'Overview'],
    ['/earnings', 'Earnings'],
    ['/payouts', 'Payouts'],
    ['/team', 'Team'],
    ['/sales', 'Sales'],
  ];
  if (props.admin) {
    items.push(
      ['/console', 'Payout runs'],
      ['/console/partners', 'Partners'],
      ['/console/payments', 'Payments'],
      ['/console/adjustments', 'Adjustments'],
      ['/console/events', 'Events'],
      ['/console/webhooks', 'Webhooks'],
      ['/console/reconciliation', 'Reconciliation'],
    );
  }
  const current = (to: string) =>
    to === '/'
      ? props.path === '/'
      : to === '/console'
        ? props.path === '/console' || props.path.startsWith('/console/runs')
        : props.path.startsWith(to);
  return (
    <nav aria-label="Main">
      <ul>
        {items.map(([to, name]) => (
          <li key={to}>
            <a href={href(to)} aria-current={current(to) ? 'page' : undefined}>
              {name}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function App() {
  const path = usePath();
  const s = useSession();
  const scoped = useScope();
  const open = PUBLIC.some((pattern) => match(pattern, path));
  useEffect(() => {
    if (!s && !open) navigate(`/signin?next=${encodeURIComponent(path + location.search)}`, true);
  }, [s, open, path]);
  if (!s && !open) return null;
  const admin = isAdmin(s);
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: delegated handling of the app's own links (keyboard Enter fires click)
    // biome-ignore lint/a11y/useKeyWithClickEvents: see above
    <div onClick={(e) => onLinkClick(e as unknown as MouseEvent)}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header>
        <a class="brand" href={href('/')}>
          Payouts
        </a>
        {s && <Nav path={path} admin={admin} />}
        <div class="who">
          {s ? (
            <>
              <span class="muted">{s.email}</span>
              {scoped && (
                <button type="button" class="link" onClick={() => setScopedPartner(null)}>
                  Personal
                </button>
              )}
              <button
                type="button"
                class="link"
                onClick={() => {
                  setScopedPartner(null);
                  void signOut().then(() => navigate('/signin'));
                }}
              >
                Sign out
              </button>
            </>
          ) : (
            <a href={href(`/signin?next=${encodeURIComponent(path)}`)}>Sign in</a>
          )}
        </div>
      </header>
      <main id="main">{route(path, admin)}</main>
    </div>
  );
}

const root = document.getElementById('root');
if (root) {
  loadConfig().then(
    () => render(<App />, root),
    (error: unknown) => {
      root.textContent = `The app could not load its configuration: ${(error as Error).message}`;
    },
  );
}
