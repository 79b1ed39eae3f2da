import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api.ts';
import { href } from './router.ts';

/** A page: its title is the document's and the h1, which takes focus on navigation (screen readers hear it). */
export function Page(props: { title: string; children: ComponentChildren; actions?: ComponentChildren }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${props.title} · Payouts`;
    heading.current?.focus({ preventScroll: true });
  }, [props.title]);
  return (
    <>
      <div class="page-head">
        <h1 tabIndex={-1} ref={heading}>
          {props.title}
        </h1>
        {props.actions}
      </div>
      {props.children}
    </>
  );
}

export interface Loaded<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload: () => void;
}

/** Loads once (and on `reload`, or when `deps` change). */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[] = []): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error: unknown) => live && setState({ error: error as Error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [tick, ...deps]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

export function ErrorNote(props: { error: unknown }) {
  if (!props.error) return null;
  const error = props.error as Error;
  const code = error instanceof ApiError ? ` (${error.code})` : '';
  return (
    <p class="error" role="alert">
      {error.message}
      {code}
    </p>
  );
}

export function Loading(props: { what?: string }) {
  return (
    <p class="muted" aria-live="polite">
      Loading{props.what ? ` ${props.what}` : ''}…
    </p>
  );
}

const TONES: Record<string, string> = {
  active: 'good',
  paid: 'good',
  completed: 'good',
  transferred: 'good',
  accepted: 'good',
  pending_verification: 'warn',
  pending: 'warn',
  planning: 'warn',
  sending: 'warn',
  awaiting_approval: 'warn',
  awaiting_funds: 'warn',
  in_payout: 'warn',
  available: 'info',
  open: 'info',
  planned: 'info',
  restricted: 'bad',
  failed: 'bad',
  disconnected: 'bad',
  reversed: 'bad',
  canceled: 'bad',
  expired: 'bad',
  revoked: 'bad',
};

export function Badge(props: { value: string }) {
  return <span class={`badge ${TONES[props.value] ?? 'info'}`}>{props.value.replace(/_/g, ' ')}</span>;
}

/** A button that runs an async action once at a time and shows its error next to it. */
export function ActionButton(props: {
  onClick: () => Promise<unknown>;
  children: ComponentChildren;
  class?: string;
  disabled?: boolean;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  return (
    <>
      <button
        type="button"
        class={props.class}
        disabled={busy || props.disabled}
        aria-busy={busy}
        onClick={() => {
          setBusy(true);
          setError(undefined);
          props
            .onClick()
            .catch((e: unknown) => setError(e))
            .finally(() => setBusy(false));
        }}
      >
        {props.children}
      </button>
      <ErrorNote error={error} />
    </>
  );
}

/**
 * The load / error / table steps every data page repeats: the error, "Loading…" until the first answer, then
 * `children` with the data (kept on screen while a reload runs).
 */
export function Load<T>(props: { state: Loaded<T>; what?: string; children: (data: T) => ComponentChildren }) {
  const { state } = props;
  return (
    <>
      <ErrorNote error={state.error} />
      {state.loading && state.data === undefined && <Loading what={props.what} />}
      {state.data !== undefined && props.children(state.data)}
    </>
  );
}

export interface Column<T> {
  head: string;
  cell: (row: T) => ComponentChildren;
  /** Right-aligned, tabular figures. */
  num?: boolean;
}

/** A data table: column headers, a caption for screen readers, sideways scrolling inside its box on a phone. */
export function Table<T>(props: {
  caption: string;
  rows: readonly T[];
  columns: ReadonlyArray<Column<T>>;
  rowKey: (row: T) => string;
  empty?: string;
  rowAttrs?: (row: T) => Record<string, string>;
}) {
  if (props.rows.length === 0) return <p class="muted">{props.empty ?? 'Nothing yet.'}</p>;
  return (
    <div class="table-wrap">
      <table>
        <caption class="sr-only">{props.caption}</caption>
        <thead>
          <tr>
            {props.columns.map((c) => (
              <th key={c.head} scope="col" class={c.num ? 'num' : undefined}>
                {c.head}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => (
            <tr key={props.rowKey(row)} {...(props.rowAttrs?.(row) ?? {})}>
              {props.columns.map((c) => (
                <td key={c.head} class={c.num ? 'num' : undefined}>
                  {c.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Offers `text` as a file download (the run and reconciliation CSVs). */
export function saveText(text: string, filename: string, type = 'text/csv'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A partner id as a link to the partner's console page. */
export function PartnerLink(props: { id: string | null }) {
  if (!props.id) return <>—</>;
  return (
    <a href={href(`/console/partners/${encodeURIComponent(props.id)}`)}>
      <code>{props.id}</code>
    </a>
  );
}

/** A labelled input, with a hint it is described by when one is given. */
export function TextField(props: {
  id: string;
  label: string;
  value: string;
  onInput: (value: string) => void;
  hint?: string;
  type?: 'text' | 'date' | 'url';
  inputMode?: 'decimal';
  maxLength?: number;
}) {
  const hint = props.hint ? `${props.id}-hint` : undefined;
  return (
    <>
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        // Preact types an input by its `type` (a date input takes no `inputMode`): one of the three, as text.
        type={(props.type ?? 'text') as 'text'}
        value={props.value}
        inputMode={props.inputMode}
        maxLength={props.maxLength}
        aria-describedby={hint}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
      {hint && (
        <span id={hint} class="muted">
          {props.hint}
        </span>
      )}
    </>
  );
}
