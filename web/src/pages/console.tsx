import { useEffect, useState } from 'preact/hooks';
import type {
  GetPayoutRunResponse200,
  ListPartnersAdminResponse200,
  ListPaymentsAdminResponse200,
  ListPayoutRunsResponse200,
  StartPayoutRunResponse200,
  StartPayoutRunResponse202,
} from '../../../local/api-types.ts';
import { apiText, get, post } from '../api.ts';
import { date, dateTime, field, label, money } from '../format.ts';
import { href, navigate } from '../router.ts';
import { ActionButton, Badge, ErrorNote, Loading, Page, useLoad } from '../ui.tsx';

type Run = GetPayoutRunResponse200;
type DryRun = Extract<StartPayoutRunResponse200, { dryRun: true }>;

function previousMonth(): string {
  const now = new Date();
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  return d.toISOString().slice(0, 7);
}

function Amounts(props: { amounts: Record<string, number | undefined> }) {
  const entries = Object.entries(props.amounts).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return <>—</>;
  return <>{entries.map(([currency, v]) => money(v ?? 0, currency)).join(', ')}</>;
}

function SkipReasons(props: { skipped: Record<string, number> }) {
  const reasons = Object.entries(props.skipped).filter(([, n]) => n > 0);
  if (reasons.length === 0) return <p class="muted">No partner skipped.</p>;
  return (
    <ul class="plain" aria-label="Skipped partners by reason">
      {reasons.map(([reason, n]) => (
        <li key={reason}>
          {label(reason)}: <strong>{n}</strong>
        </li>
      ))}
    </ul>
  );
}

export function PayoutRuns() {
  const runs = useLoad(() => get<ListPayoutRunsResponse200>('/admin/payout-runs'), []);
  const [period, setPeriod] = useState(previousMonth());
  const [preview, setPreview] = useState<DryRun | null>(null);
  return (
    <Page title="Payout runs">
      <section class="card" aria-labelledby="new-run-title">
        <h2 id="new-run-title">Pay a period</h2>
        <form class="inline" onSubmit={(e) => e.preventDefault()}>
          <label for="period">Period (YYYY-MM)</label>
          <input
            id="period"
            value={period}
            pattern="\d{4}-\d{2}"
            onInput={(e) => {
              setPeriod(e.currentTarget.value);
              setPreview(null);
            }}
          />
          <ActionButton
            onClick={async () => {
              const result = await post<StartPayoutRunResponse200>('/admin/payout-runs', { period, dryRun: true });
              if ('dryRun' in result) setPreview(result);
            }}
          >
            Preview (dry run)
          </ActionButton>
          <ActionButton
            class="primary"
            disabled={!preview}
            onClick={async () => {
              const started = await post<StartPayoutRunResponse200 | StartPayoutRunResponse202>('/admin/payout-runs', {
                period,
              });
              if ('run' in started) navigate(`/console/runs/${encodeURIComponent(started.run.id)}`);
            }}
          >
            Start run
          </ActionButton>
        </form>
        {preview && (
          <div data-testid="dry-run">
            <h3>Preview for {preview.period}</h3>
            <p>
              Cutoff {dateTime(preview.cutoff)} · {preview.considered} considered · <strong>{preview.payable}</strong>{' '}
              payable · <Amounts amounts={preview.amounts} />
              {preview.complete ? '' : ' (first page only)'}
            </p>
            <SkipReasons skipped={preview.skipped} />
            {preview.payouts.length > 0 && (
              <div class="table-wrap">
                <table>
                  <caption class="sr-only">Payouts the run would send</caption>
                  <thead>
                    <tr>
                      <th scope="col">Partner</th>
                      <th scope="col">Currency</th>
                      <th scope="col" class="num">
                        Amount
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {preview.payouts.map((p) => (
                      <tr key={`${p.partnerId}-${p.currency}`}>
                        <td>
                          <code>{p.partnerId}</code>
                        </td>
                        <td>{p.currency.toUpperCase()}</td>
                        <td class="num">{money(p.amount, p.currency)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </div>
        )}
      </section>
      <section class="card" aria-labelledby="runs-title">
        <h2 id="runs-title">Runs</h2>
        <ErrorNote error={runs.error} />
        {runs.loading && !runs.data && <Loading what="runs" />}
        {runs.data && runs.data.runs.length === 0 && <p class="muted">No runs yet.</p>}
        <ul class="plain">
          {runs.data?.runs.map((r) => (
            <li key={r.id}>
              <a href={href(`/console/runs/${encodeURIComponent(r.id)}`)}>{r.period}</a> <Badge value={r.status} />{' '}
              <span class="muted">
                {r.totals.paid}/{r.totals.queued} paid · started {dateTime(r.startedAt)}
              </span>
            </li>
          ))}
        </ul>
      </section>
    </Page>
  );
}

export function PayoutRunDetail(props: { runId: string }) {
  const [run, setRun] = useState<Run>();
  const [error, setError] = useState<unknown>();
  const [tick, setTick] = useState(0);
  const path = `/admin/payout-runs/${encodeURIComponent(props.runId)}`;
  // Live progress: re-read while the run plans or sends.
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout>;
    const load = () =>
      get<Run>(path).then(
        (r) => {
          if (!live) return;
          setRun(r);
          const settled = r.status === 'completed' || r.status === 'awaiting_approval';
          const inFlight =
            r.totals.queued - r.totals.paid - r.totals.failed - r.totals.awaitingFunds - r.totals.carriedForward;
          if (!settled || (r.status === 'completed' && inFlight > 0)) timer = setTimeout(load, 1000);
        },
        (e: unknown) => live && setError(e),
      );
    void load();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [path, tick]);
  const download = async () => {
    const csv = await apiText(`${path}?format=csv`);
    const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `payout-run-${run?.period ?? props.runId}.csv`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };
  return (
    <Page title={run ? `Payout run ${run.period}` : 'Payout run'}>
      <p>
        <a href={href('/console')}>All runs</a>
      </p>
      <ErrorNote error={error} />
      {!run && !error && <Loading what="the run" />}
      {run && (
        <section class="card" aria-live="polite" data-testid="run">
          <p>
            Status: <Badge value={run.status} />{' '}
            {run.requireApproval && (run.approved ? '(approved)' : '(needs approval)')}
          </p>
          <dl class="facts">
            <dt>Cutoff</dt>
            <dd>{dateTime(run.cutoff)}</dd>
            <dt>Considered</dt>
            <dd>{run.totals.considered}</dd>
            <dt>Queued</dt>
            <dd>{run.totals.queued}</dd>
            <dt>Paid</dt>
            <dd data-testid="paid-count">{run.totals.paid}</dd>
            <dt>Awaiting funds</dt>
            <dd>{run.totals.awaitingFunds}</dd>
            <dt>Failed</dt>
            <dd>{run.totals.failed}</dd>
            <dt>Planned</dt>
            <dd>
              <Amounts amounts={run.totals.amounts.planned} />
            </dd>
            <dt>Paid amount</dt>
            <dd>
              <Amounts amounts={run.totals.amounts.paid} />
            </dd>
            <dt>Finished</dt>
            <dd>{dateTime(run.finishedAt)}</dd>
          </dl>
          <progress
            max={Math.max(1, run.totals.queued)}
            value={run.totals.paid + run.totals.failed}
            aria-label="Payouts sent"
          />
          <SkipReasons skipped={run.totals.skipped} />
          <div class="row">
            {run.status === 'awaiting_approval' && (
              <ActionButton
                class="primary"
                onClick={async () => {
                  await post(`${path}/approve`);
                  setTick((t) => t + 1);
                }}
              >
                Approve run
              </ActionButton>
            )}
            <ActionButton onClick={download}>Download CSV</ActionButton>
          </div>
        </section>
      )}
    </Page>
  );
}

export function ConsolePartners() {
  const [filter, setFilter] = useState('');
  const partners = useLoad(
    () =>
      get<ListPartnersAdminResponse200>(
        `/admin/partners${filter === 'due_soon' ? '?attention=due_soon' : filter ? `?status=${filter}` : ''}`,
      ),
    [filter],
  );
  return (
    <Page title="Partners">
      <form class="inline" onSubmit={(e) => e.preventDefault()}>
        <label for="partner-filter">Show</label>
        <select id="partner-filter" value={filter} onChange={(e) => setFilter(e.currentTarget.value)}>
          <option value="">All partners</option>
          <option value="due_soon">Attention: requirements due soon</option>
          <option value="active">Active</option>
          <option value="pending_verification">Pending verification</option>
          <option value="restricted">Restricted</option>
          <option value="not_set_up">Not set up</option>
          <option value="disconnected">Disconnected</option>
        </select>
      </form>
      <ErrorNote error={partners.error} />
      {partners.loading && !partners.data && <Loading what="partners" />}
      {partners.data && (
        <div class="table-wrap">
          <table>
            <caption class="sr-only">Partners</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Needs</th>
                <th scope="col">Payouts</th>
              </tr>
            </thead>
            <tbody>
              {partners.data.partners.map((p) => (
                <tr key={p.id}>
                  <td>
                    <a href={href(`/console/partners/${encodeURIComponent(p.id)}`)}>{p.name}</a>
                    <br />
                    <code class="muted">{p.id}</code>
                  </td>
                  <td>
                    <Badge value={p.status} />
                  </td>
                  <td>
                    {p.actionRequired
                      ? `${label(p.actionRequired.kind)}${p.actionRequired.deadline ? ` by ${date(p.actionRequired.deadline)}` : ''}: ${p.actionRequired.fields.map(field).join(', ')}`
                      : '—'}
                  </td>
                  <td>{p.payoutPreference}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Page>
  );
}

export function ConsolePayments() {
  const payments = useLoad(() => get<ListPaymentsAdminResponse200>('/admin/payments'), []);
  return (
    <Page title="Payments">
      <ErrorNote error={payments.error} />
      {payments.loading && !payments.data && <Loading what="payments" />}
      {payments.data && (
        <div class="table-wrap">
          <table>
            <caption class="sr-only">Payments, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Date</th>
                <th scope="col">Description</th>
                <th scope="col" class="num">
                  Amount
                </th>
                <th scope="col" class="num">
                  Fee
                </th>
                <th scope="col">Status</th>
                <th scope="col">Order</th>
              </tr>
            </thead>
            <tbody>
              {payments.data.payments.map((p) => (
                <tr key={p.id}>
                  <td>{dateTime(p.createdAt)}</td>
                  <td>{p.description}</td>
                  <td class="num">{money(p.amount, p.currency)}</td>
                  <td class="num">{money(p.fee, p.currency)}</td>
                  <td>
                    <Badge value={p.status} />
                    {p.disputed ? ' disputed' : ''}
                  </td>
                  <td>
                    {p.orderId ? (
                      <a href={href(`/console/orders/${encodeURIComponent(p.orderId)}`)}>
                        <code>{p.orderId}</code>
                      </a>
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
