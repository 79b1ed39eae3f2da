import { useEffect, useRef, useState } from 'preact/hooks';
import type {
  GetPayoutRunResponse200,
  ListPartnersAdminResponse200,
  ListPaymentsAdminResponse200,
  ListPayoutRunsResponse200,
  StartPayoutRunResponse200,
  StartPayoutRunResponse202,
} from '../../../local/api-types.ts';
import { apiText, get, post } from '../api.ts';
import { date, dateTime, field, label, money, parseCsv } from '../format.ts';
import { href, navigate } from '../router.ts';
import { ActionButton, Badge, ErrorNote, Load, Loading, Page, PartnerLink, saveText, Table, useLoad } from '../ui.tsx';

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
  const [requireApproval, setRequireApproval] = useState(false);
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
                requireApproval,
              });
              if ('run' in started) navigate(`/console/runs/${encodeURIComponent(started.run.id)}`);
            }}
          >
            Start run
          </ActionButton>
          <label>
            <input
              type="checkbox"
              checked={requireApproval}
              onChange={(e) => setRequireApproval(e.currentTarget.checked)}
            />{' '}
            Wait for my approval before sending
          </label>
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
            <Table
              caption="Payouts the run would send"
              rows={preview.payouts}
              rowKey={(p) => `${p.partnerId}-${p.currency}`}
              empty="No payout would be sent."
              columns={[
                { head: 'Partner', cell: (p) => <PartnerLink id={p.partnerId} /> },
                { head: 'Currency', cell: (p) => p.currency.toUpperCase() },
                { head: 'Amount', num: true, cell: (p) => money(p.amount, p.currency) },
              ]}
            />
          </div>
        )}
      </section>
      <section class="card" aria-labelledby="runs-title">
        <h2 id="runs-title">Runs</h2>
        <Load state={runs} what="runs">
          {(data) =>
            data.runs.length === 0 ? (
              <p class="muted">No runs yet.</p>
            ) : (
              <ul class="plain">
                {data.runs.map((r) => (
                  <li key={r.id}>
                    <a href={href(`/console/runs/${encodeURIComponent(r.id)}`)}>{r.period}</a>{' '}
                    <Badge value={r.status} />{' '}
                    <span class="muted">
                      {r.totals.paid}/{r.totals.queued} paid · started {dateTime(r.startedAt)}
                    </span>
                  </li>
                ))}
              </ul>
            )
          }
        </Load>
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
  const download = async () =>
    saveText(await apiText(`${path}?format=csv`), `payout-run-${run?.period ?? props.runId}.csv`);
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
      {run && <RunPayouts path={path} run={run} onChange={() => setTick((t) => t + 1)} />}
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
      <Load state={partners} what="partners">
        {(data) => (
          <Table
            caption="Partners"
            rows={data.partners}
            rowKey={(p) => p.id}
            empty="No partner matches."
            columns={[
              {
                head: 'Name',
                cell: (p) => (
                  <>
                    <a href={href(`/console/partners/${encodeURIComponent(p.id)}`)}>{p.name}</a>
                    <br />
                    <code class="muted">{p.id}</code>
                  </>
                ),
              },
              { head: 'Status', cell: (p) => <Badge value={p.status} /> },
              {
                head: 'Needs',
                cell: (p) =>
                  p.actionRequired
                    ? `${label(p.actionRequired.kind)}${p.actionRequired.deadline ? ` by ${date(p.actionRequired.deadline)}` : ''}: ${p.actionRequired.fields.map(field).join(', ')}`
                    : '—',
              },
              { head: 'Payouts', cell: (p) => p.payoutPreference },
            ]}
          />
        )}
      </Load>
    </Page>
  );
}

export function ConsolePayments() {
  const payments = useLoad(() => get<ListPaymentsAdminResponse200>('/admin/payments'), []);
  return (
    <Page title="Payments">
      <Load state={payments} what="payments">
        {(data) => (
          <Table
            caption="Payments, newest first"
            rows={data.payments}
            rowKey={(p) => p.id}
            empty="No payments yet."
            columns={[
              { head: 'Date', cell: (p) => dateTime(p.createdAt) },
              { head: 'Description', cell: (p) => p.description },
              { head: 'Amount', num: true, cell: (p) => money(p.amount, p.currency) },
              { head: 'Fee', num: true, cell: (p) => money(p.fee, p.currency) },
              {
                head: 'Status',
                cell: (p) => (
                  <>
                    <Badge value={p.status} />
                    {p.disputed ? ' disputed' : ''}
                  </>
                ),
              },
              {
                head: 'Order',
                cell: (p) =>
                  p.orderId ? (
                    <a href={href(`/console/orders/${encodeURIComponent(p.orderId)}`)}>
                      <code>{p.orderId}</code>
                    </a>
                  ) : (
                    '—'
                  ),
              },
            ]}
          />
        )}
      </Load>
    </Page>
  );
}

interface RunPayout {
  partnerId: string;
  currency: string;
  amount: number;
  status: string;
  payoutId: string;
  transferId: string;
  reason: string;
}

/** The operator decisions on one payout of a run, by the payout's status. */
type PayoutDecision = 'exclude' | 'keep';
const DECISION: Record<PayoutDecision, { button: string; title: string; route: string; done: string }> = {
  exclude: {
    button: 'Exclude',
    title: 'Exclude the payout from this run',
    route: 'exclude',
    done: 'Excluded from the run: its earnings carry forward to the next one.',
  },
  keep: {
    button: 'Keep reversal',
    title: 'Keep the reversed money for the platform',
    route: 'reversal-final',
    done: 'The reversed money is kept by the platform: no run pays it again.',
  },
};
const decisionFor = (status: string): PayoutDecision | null =>
  status === 'planned' || status === 'awaiting_funds' ? 'exclude' : status === 'reversed' ? 'keep' : null;

/**
 * Every partner and currency of the run (from the run's CSV, the API's one listing of a run's payouts), with the
 * operator's decisions: exclude a payout not sent yet, keep the money of a reversed one.
 */
function RunPayouts(props: { path: string; run: Run; onChange: () => void }) {
  const { run } = props;
  const [tick, setTick] = useState(0);
  const rows = useLoad(
    async () =>
      parseCsv(await apiText(`${props.path}?format=csv`)).map(
        (r): RunPayout => ({
          partnerId: r.partner_id ?? '',
          currency: r.currency ?? '',
          amount: Number(r.amount_minor_units ?? 0),
          status: r.status ?? '',
          payoutId: r.payout_id ?? '',
          transferId: r.stripe_transfer_id ?? '',
          reason: r.reason ?? '',
        }),
      ),
    [props.path, run.status, run.totals.paid, run.totals.failed, run.totals.carriedForward, tick],
  );
  const [acting, setActing] = useState<{ payout: RunPayout; decision: PayoutDecision } | null>(null);
  const [reason, setReason] = useState('');
  const [done, setDone] = useState('');
  const reasonInput = useRef<HTMLInputElement>(null);
  useEffect(() => reasonInput.current?.focus(), [acting]);
  return (
    <section class="card" aria-labelledby="run-payouts-title">
      <h2 id="run-payouts-title">Partners in this run</h2>
      {done && (
        <p class="notice info" role="status">
          {done}
        </p>
      )}
      <Load state={rows} what="the run's payouts">
        {(data) => (
          <Table
            caption="Partners in this run, by currency"
            rows={data}
            rowKey={(r) => `${r.partnerId}-${r.currency}-${r.payoutId}`}
            empty="No partner was considered."
            rowAttrs={(r) => ({ 'data-partner': r.partnerId })}
            columns={[
              { head: 'Partner', cell: (r) => <PartnerLink id={r.partnerId} /> },
              { head: 'Amount', num: true, cell: (r) => money(r.amount, r.currency) },
              { head: 'Status', cell: (r) => <Badge value={r.status} /> },
              { head: 'Reason', cell: (r) => (r.reason ? label(r.reason) : '—') },
              { head: 'Transfer', cell: (r) => (r.transferId ? <code>{r.transferId}</code> : '—') },
              {
                head: 'Action',
                cell: (r) => {
                  const decision = decisionFor(r.status);
                  if (!decision) return '—';
                  return (
                    <button
                      type="button"
                      onClick={() => {
                        setActing({ payout: r, decision });
                        setReason('');
                        setDone('');
                      }}
                    >
                      {DECISION[decision].button}
                      <span class="sr-only">
                        {' '}
                        {r.partnerId} {money(r.amount, r.currency)}
                      </span>
                    </button>
                  );
                },
              },
            ]}
          />
        )}
      </Load>
      {acting && (
        <form class="stack narrow" onSubmit={(e) => e.preventDefault()} aria-labelledby="decision-title">
          <h3 id="decision-title">{DECISION[acting.decision].title}</h3>
          <p>
            <code>{acting.payout.payoutId}</code> · <PartnerLink id={acting.payout.partnerId} /> ·{' '}
            {money(acting.payout.amount, acting.payout.currency)}
          </p>
          <label for="decision-reason">Reason (kept in the partner's operator actions)</label>
          <input
            id="decision-reason"
            ref={reasonInput}
            value={reason}
            maxLength={500}
            onInput={(e) => setReason(e.currentTarget.value)}
          />
          <div class="row">
            <ActionButton
              class="primary"
              disabled={reason.trim() === ''}
              onClick={async () => {
                await post(
                  `/admin/payouts/${encodeURIComponent(acting.payout.payoutId)}/${DECISION[acting.decision].route}`,
                  { reason: reason.trim() },
                );
                setDone(DECISION[acting.decision].done);
                setActing(null);
                setTick((t) => t + 1);
                props.onChange();
              }}
            >
              Confirm
            </ActionButton>
            <button type="button" onClick={() => setActing(null)}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
