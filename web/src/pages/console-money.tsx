import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import type {
  GetReconciliationResponse200,
  RecordAdjustmentResponse200,
  RecordAdjustmentResponse201,
} from '../../../local/api-types.ts';
import { ApiError, apiText, get, post } from '../api.ts';
import { dateTime, label, money, toMinor } from '../format.ts';
import { href, navigate } from '../router.ts';
import { ActionButton, Load, Page, PartnerLink, saveText, Table, TextField, useLoad } from '../ui.tsx';

type Adjustment = RecordAdjustmentResponse201['adjustment'] | RecordAdjustmentResponse200['adjustment'];

/** A fresh id per adjustment typed: sending the same form twice (a retry, a double click) records it once. */
const newExternalId = () => `console-${crypto.randomUUID()}`;

/** A signed correction of a partner's earnings: a credit adds to the next payout, a debit takes from it. */
export function ConsoleAdjustments() {
  const [partnerId, setPartnerId] = useState(() => new URLSearchParams(location.search).get('partnerId') ?? '');
  const [direction, setDirection] = useState<'credit' | 'debit'>('credit');
  const [amount, setAmount] = useState('');
  const [currency, setCurrency] = useState('usd');
  const [reason, setReason] = useState('');
  const [availableAt, setAvailableAt] = useState('');
  const [externalId, setExternalId] = useState(newExternalId);
  const [recorded, setRecorded] = useState<Adjustment | null>(null);
  const minor = toMinor(amount, currency);
  const ready = partnerId.trim() !== '' && minor !== null && minor > 0 && /^[a-z]{3}$/.test(currency) && reason.trim();
  return (
    <Page title="Adjustments">
      <p class="muted">
        A signed correction of a partner's earnings, recorded in its ledger with your name and reason. The next payout
        run nets it: a credit is paid with the partner's next payout, a debit is taken from it.
      </p>
      {recorded && (
        <p class="notice info" role="status" data-testid="adjustment">
          Recorded {recorded.amount < 0 ? 'debit' : 'credit'} of{' '}
          <strong>{money(Math.abs(recorded.amount), recorded.currency)}</strong> for{' '}
          <PartnerLink id={recorded.partnerId} /> (entry <code>{recorded.entryId}</code>), netted from{' '}
          {dateTime(recorded.availableAt)}.
        </p>
      )}
      <section class="card" aria-labelledby="adjust-title">
        <h2 id="adjust-title">Record an adjustment</h2>
        <form class="stack narrow" onSubmit={(e) => e.preventDefault()}>
          <TextField id="adjust-partner" label="Partner ID" value={partnerId} onInput={setPartnerId} />
          <fieldset>
            <legend>Direction</legend>
            <label>
              <input
                type="radio"
                name="direction"
                checked={direction === 'credit'}
                onChange={() => setDirection('credit')}
              />
              Credit (the platform owes the partner more)
            </label>
            <label>
              <input
                type="radio"
                name="direction"
                checked={direction === 'debit'}
                onChange={() => setDirection('debit')}
              />
              Debit (take money back)
            </label>
          </fieldset>
          <TextField
            id="adjust-amount"
            label="Amount"
            inputMode="decimal"
            value={amount}
            onInput={setAmount}
            hint="In the currency's major unit, e.g. 12.50"
          />
          <TextField
            id="adjust-currency"
            label="Currency"
            value={currency}
            maxLength={3}
            onInput={(v) => setCurrency(v.toLowerCase())}
          />
          <TextField id="adjust-reason" label="Reason" value={reason} maxLength={500} onInput={setReason} />
          <TextField
            id="adjust-available"
            label="Netted from (optional)"
            type="date"
            value={availableAt}
            onInput={setAvailableAt}
            hint="Empty: the next run nets it"
          />
          <ActionButton
            class="primary"
            disabled={!ready}
            onClick={async () => {
              if (minor === null) return;
              const answer = await post<RecordAdjustmentResponse201 | RecordAdjustmentResponse200>(
                '/admin/adjustments',
                {
                  partnerId: partnerId.trim(),
                  amount: direction === 'debit' ? -minor : minor,
                  currency,
                  reason: reason.trim(),
                  externalId,
                  ...(availableAt ? { availableAt: new Date(`${availableAt}T00:00:00Z`).toISOString() } : {}),
                },
              );
              setRecorded(answer.adjustment);
              setExternalId(newExternalId());
              setAmount('');
              setReason('');
            }}
          >
            Record adjustment
          </ActionButton>
        </form>
      </section>
    </Page>
  );
}

/** Yesterday (UTC): the day the daily reconciliation last covered. */
function yesterday(): string {
  return new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
}

export function ConsoleReconciliation() {
  const asked = new URLSearchParams(location.search).get('date') ?? yesterday();
  const [day, setDay] = useState(asked);
  const [shown, setShown] = useState(asked);
  const path = `/admin/reconciliation/${encodeURIComponent(shown)}`;
  const report = useLoad(
    () =>
      get<GetReconciliationResponse200>(path).catch((error: unknown) => {
        if (error instanceof ApiError && error.code === 'reconciliation_not_found') return null;
        throw error;
      }),
    [path],
  );
  return (
    <Page title="Reconciliation">
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(`/console/reconciliation?date=${day}`, true);
          setShown(day);
        }}
      >
        <label for="recon-date">Day (UTC)</label>
        <input id="recon-date" type="date" value={day} required onInput={(e) => setDay(e.currentTarget.value)} />
        <button type="submit">Show</button>
      </form>
      <Load state={report} what="the report">
        {(data) =>
          data === null ? (
            <p class="muted" role="status">
              No reconciliation has run for {shown}.
            </p>
          ) : (
            <>
              <section class="card" aria-labelledby="recon-report-title">
                <h2 id="recon-report-title">Report for {data.date}</h2>
                <dl class="facts">
                  <dt>Transfers checked</dt>
                  <dd>{data.report.transfersChecked}</dd>
                  <dt>Payouts checked</dt>
                  <dd>{data.report.payoutsChecked}</dd>
                  <dt>Connected payouts checked</dt>
                  <dd>{data.report.connectedPayoutsChecked}</dd>
                  <dt>Discrepancies</dt>
                  <dd data-testid="discrepancy-count">{data.report.discrepancies}</dd>
                  {Object.entries(data.report.byKind).map(([kind, n]) => (
                    <Fragment key={kind}>
                      <dt>{label(kind)}</dt>
                      <dd>{n}</dd>
                    </Fragment>
                  ))}
                  <dt>Ran</dt>
                  <dd>
                    {dateTime(data.report.startedAt)} ({data.report.durationMs} ms)
                  </dd>
                </dl>
                <ActionButton
                  onClick={async () => saveText(await apiText(`${path}?format=csv`), `reconciliation-${data.date}.csv`)}
                >
                  Download CSV
                </ActionButton>
              </section>
              <section class="card" aria-labelledby="recon-discrepancies-title">
                <h2 id="recon-discrepancies-title">Discrepancies</h2>
                <Table
                  caption="Discrepancies found for the day"
                  rows={data.discrepancies}
                  rowKey={(d) => d.id}
                  empty="None: Stripe and the records agree."
                  rowAttrs={(d) => ({ 'data-kind': d.kind })}
                  columns={[
                    { head: 'Kind', cell: (d) => label(d.kind) },
                    { head: 'Stripe', cell: (d) => (d.stripeId ? <code>{d.stripeId}</code> : '—') },
                    { head: 'Record', cell: (d) => (d.recordId ? <code>{d.recordId}</code> : '—') },
                    { head: 'Partner', cell: (d) => <PartnerLink id={d.partnerId} /> },
                    {
                      head: 'Expected',
                      num: true,
                      cell: (d) => (d.expected === null || !d.currency ? '—' : money(d.expected, d.currency)),
                    },
                    {
                      head: 'Actual',
                      num: true,
                      cell: (d) => (d.actual === null || !d.currency ? '—' : money(d.actual, d.currency)),
                    },
                    { head: 'Detail', cell: (d) => d.detail },
                  ]}
                />
                <p class="muted">
                  What each kind means and how to settle it: the reconciliation runbook. Events of type{' '}
                  <a href={href('/console/events?type=reconciliation.discrepancy')}>reconciliation.discrepancy</a> carry
                  the same findings.
                </p>
              </section>
            </>
          )
        }
      </Load>
    </Page>
  );
}
