import { useState } from 'preact/hooks';
import type {
  CreateDashboardLinkResponse200,
  CreateOnboardingLinkResponse200,
  GetConnectStatusResponse200,
  GetMyPartnerResponse200,
  ListEarningsResponse200,
  ListPayoutsResponse200,
} from '../../../local/api-types.ts';
import { ApiError, get, post, put } from '../api.ts';
import { appConfig } from '../config.ts';
import { date, field, label, money } from '../format.ts';
import { scope, useScope } from '../partner-scope.ts';
import { href } from '../router.ts';
import { ActionButton, Badge, ErrorNote, Load, Loading, Page, Table, useLoad } from '../ui.tsx';

type Status = GetConnectStatusResponse200;

const HEADLINES: Record<Status['status'], string> = {
  not_set_up: 'Set up payouts',
  pending_verification: 'Stripe is verifying your details',
  restricted: 'Stripe needs more information',
  active: "You're all set",
  disconnected: 'Your Stripe account is disconnected',
};

const ACTIONS: Record<NonNullable<Status['actionRequired']>['kind'], string> = {
  onboarding: 'Finish setting up payouts',
  overdue: 'Overdue: payouts are paused until Stripe has these',
  due: 'Stripe needs these',
  upcoming: 'Stripe will soon need these',
};

async function goToOnboarding(): Promise<void> {
  const link = await post<CreateOnboardingLinkResponse200>(`/connect/onboarding-link${scope()}`);
  location.assign(link.url);
}

async function openDashboard(): Promise<void> {
  const link = await post<CreateDashboardLinkResponse200>(`/connect/dashboard-link${scope()}`);
  location.assign(link.url);
}

/** The status card: what Stripe says, what it still needs and by when, and the one next step. */
function StatusCard(props: { status: Status }) {
  const { status } = props;
  const action = status.actionRequired;
  return (
    <section class="card" aria-labelledby="status-title" data-testid="status-card">
      <h2 id="status-title">{HEADLINES[status.status]}</h2>
      <p>
        Status: <Badge value={status.status} />
        {status.payoutsEnabled ? ' · payouts enabled' : ''}
      </p>
      {action && (
        <div class={`notice ${action.kind === 'overdue' ? 'bad' : 'warn'}`} data-testid="action-required">
          <p>
            <strong>{ACTIONS[action.kind]}</strong>
            {action.deadline ? (
              <>
                {' '}
                by <time dateTime={action.deadline}>{date(action.deadline)}</time>
              </>
            ) : null}
          </p>
          {action.fields.length > 0 && (
            <ul>
              {action.fields.map((f) => (
                <li key={f}>{field(f)}</li>
              ))}
            </ul>
          )}
        </div>
      )}
      <div class="row">
        {status.status !== 'active' && status.status !== 'disconnected' && (
          <ActionButton onClick={goToOnboarding} class="primary">
            {status.detailsSubmitted ? 'Update your details' : 'Set up payouts'}
          </ActionButton>
        )}
        {status.status !== 'active' && status.status !== 'disconnected' && appConfig().connectJsUrl && (
          <a class="button" href={href('/setup')}>
            Set up here, without leaving
          </a>
        )}
        {status.status === 'active' && action && (
          <ActionButton onClick={goToOnboarding} class="primary">
            Update your details
          </ActionButton>
        )}
        {status.stripeAccountId && status.detailsSubmitted && (
          <ActionButton onClick={openDashboard}>View payouts</ActionButton>
        )}
      </div>
    </section>
  );
}

function PayoutPreference(props: { partner: GetMyPartnerResponse200; onSaved: () => void }) {
  const [choice, setChoice] = useState(props.partner.payoutPreference);
  const [saved, setSaved] = useState(false);
  return (
    <section class="card" aria-labelledby="preference-title">
      <h2 id="preference-title">Payout preference</h2>
      <fieldset>
        <legend>How should we pay you?</legend>
        <label>
          <input
            type="radio"
            name="method"
            value="stripe"
            checked={choice === 'stripe'}
            onChange={() => setChoice('stripe')}
          />{' '}
          To my bank through Stripe
        </label>
        <label>
          <input
            type="radio"
            name="method"
            value="manual"
            checked={choice === 'manual'}
            onChange={() => setChoice('manual')}
          />{' '}
          Manually (the platform pays me another way)
        </label>
      </fieldset>
      <ActionButton
        onClick={async () => {
          await put(`/partners/me/payout-preference${scope()}`, { method: choice });
          setSaved(true);
          props.onSaved();
        }}
      >
        Save preference
      </ActionButton>
      {saved && (
        <p role="status" class="muted">
          Saved.
        </p>
      )}
    </section>
  );
}

export function PartnerHome() {
  const partnerId = useScope();
  const params = new URLSearchParams(location.search);
  const embedded = params.has('embedded');
  const back = params.get('stripe') === 'return' || embedded;
  const partner = useLoad(() => get<GetMyPartnerResponse200>(`/partners/me${scope()}`), [partnerId]);
  // Back from Stripe, the redirect's word is not trusted: the return route re-read the account from Stripe, and the
  // card shows what the API now stores. After embedded onboarding (no return route) the card asks for a re-read.
  const status = useLoad(async () => {
    if (!embedded) return get<Status>(`/connect/status${scope()}`);
    try {
      return await get<Status>(`/connect/status${scope() ? `${scope()}&` : '?'}refresh=true`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 429) return get<Status>(`/connect/status${scope()}`);
      throw error;
    }
  }, [partnerId, partner.data?.id]);
  return (
    <Page title={partner.data ? partner.data.name : 'Overview'}>
      <ErrorNote error={partner.error ?? status.error} />
      {back && (
        <p role="status" class="notice info">
          Welcome back from Stripe.
        </p>
      )}
      {status.data ? <StatusCard status={status.data} /> : !status.error && <Loading what="your payout status" />}
      {partner.data && <PayoutPreference partner={partner.data} onSaved={partner.reload} />}
    </Page>
  );
}

type Entry = ListEarningsResponse200['entries'][number];

/** Monthly earnings (earnings and adjustments, by the entry's month) as an SVG bar chart with a text equivalent. */
function MonthlyChart(props: { entries: Entry[]; currency: string }) {
  const months = new Map<string, number>();
  for (const entry of props.entries) {
    if (entry.currency !== props.currency || (entry.type !== 'earning' && entry.type !== 'adjustment')) continue;
    const month = entry.date.slice(0, 7);
    months.set(month, (months.get(month) ?? 0) + entry.amount);
  }
  const bars = [...months.entries()].sort(([a], [b]) => a.localeCompare(b)).slice(-12);
  if (bars.length === 0) return null;
  const max = Math.max(1, ...bars.map(([, v]) => v));
  const width = 40;
  const description = bars.map(([m, v]) => `${m}: ${money(v, props.currency)}`).join(', ');
  return (
    <figure class="chart">
      <svg
        role="img"
        aria-label={`Monthly earnings in ${props.currency.toUpperCase()}: ${description}`}
        viewBox={`0 0 ${bars.length * width} 130`}
        preserveAspectRatio="xMinYMax meet"
      >
        {bars.map(([month, value], i) => {
          const h = Math.max(2, Math.round((Math.max(0, value) / max) * 100));
          return (
            <g key={month}>
              <rect x={i * width + 6} y={105 - h} width={width - 12} height={h} rx="3" />
              <text x={i * width + width / 2} y="122" text-anchor="middle">
                {month.slice(2)}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption>Monthly earnings ({props.currency.toUpperCase()})</figcaption>
    </figure>
  );
}

export function Earnings() {
  const partnerId = useScope();
  const [cursor, setCursor] = useState<string | null>(null);
  const [pages, setPages] = useState<Entry[]>([]);
  const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const first = useLoad(async () => {
    const page = await get<ListEarningsResponse200>(
      `/earnings?limit=100&timeZone=${encodeURIComponent(timeZone)}${scope('&')}`,
    );
    setPages(page.entries);
    setCursor(page.nextCursor);
    return page;
  }, [partnerId]);
  const summary = first.data?.summary ?? {};
  return (
    <Page title="Earnings">
      <ErrorNote error={first.error} />
      {first.loading && !first.data && <Loading what="earnings" />}
      {Object.entries(summary).map(([currency, s]) =>
        s ? (
          <section key={currency} aria-label={`Totals in ${currency.toUpperCase()}`}>
            <div class="cards">
              {(
                [
                  ['Today', s.today],
                  ['Last 7 days', s.last7Days],
                  ['Last 30 days', s.last30Days],
                  ['All time', s.allTime],
                ] as const
              ).map(([name, value]) => (
                <div class="card stat" key={name}>
                  <span class="muted">{name}</span>
                  <strong>{money(value, currency)}</strong>
                </div>
              ))}
            </div>
            <MonthlyChart entries={pages} currency={currency} />
          </section>
        ) : null,
      )}
      {first.data && (
        <Table
          caption="Earnings history"
          rows={pages}
          rowKey={(e) => e.id}
          empty="No earnings yet."
          rowAttrs={(e) => ({ 'data-entry': e.reference })}
          columns={[
            { head: 'Date', cell: (e) => date(e.date) },
            { head: 'Description', cell: (e) => e.description },
            { head: 'Type', cell: (e) => label(e.type) },
            { head: 'Amount', num: true, cell: (e) => money(e.amount, e.currency) },
            {
              head: 'Payout',
              cell: (e) => (
                <>
                  <Badge value={e.payoutStatus} />
                  {e.payoutStatus === 'pending' && e.availableAt ? (
                    <span class="muted"> from {date(e.availableAt)}</span>
                  ) : null}
                </>
              ),
            },
          ]}
        />
      )}
      {cursor && (
        <ActionButton
          onClick={async () => {
            const page = await get<ListEarningsResponse200>(
              `/earnings?limit=100&cursor=${encodeURIComponent(cursor)}&timeZone=${encodeURIComponent(timeZone)}${scope('&')}`,
            );
            setPages((p) => [...p, ...page.entries]);
            setCursor(page.nextCursor);
          }}
        >
          Load more
        </ActionButton>
      )}
    </Page>
  );
}

export function Payouts() {
  const partnerId = useScope();
  const payouts = useLoad(() => get<ListPayoutsResponse200>(`/payouts${scope()}`), [partnerId]);
  return (
    <Page title="Payouts">
      <Load state={payouts} what="payouts">
        {(data) => (
          <Table
            caption="Payouts from the platform"
            rows={data.payouts}
            rowKey={(p) => p.id}
            empty="No payouts yet."
            rowAttrs={(p) => ({ 'data-payout': p.id })}
            columns={[
              { head: 'Period', cell: (p) => p.period },
              { head: 'Amount', num: true, cell: (p) => money(p.amount, p.currency) },
              {
                head: 'Status',
                cell: (p) => (
                  <>
                    <Badge value={p.status} />
                    {p.reason ? <span class="muted"> {label(p.reason)}</span> : null}
                  </>
                ),
              },
              { head: 'Transfer', cell: (p) => <code>{p.stripeTransferId ?? '—'}</code> },
              { head: 'Entries', num: true, cell: (p) => p.entryCount },
            ]}
          />
        )}
      </Load>
    </Page>
  );
}
