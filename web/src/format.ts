/** Minor units to a localized amount: the API's money is always integer minor units with a currency. */
const ZERO_DECIMAL = new Set([
  'bif',
  'clp',
  'djf',
  'gnf',
  'jpy',
  'kmf',
  'krw',
  'mga',
  'pyg',
  'rwf',
  'ugx',
  'vnd',
  'vuv',
  'xaf',
  'xof',
  'xpf',
]);

export function money(amount: number, currency: string): string {
  const divisor = ZERO_DECIMAL.has(currency.toLowerCase()) ? 1 : 100;
  return new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() }).format(
    amount / divisor,
  );
}

/** Major units typed by a person ("25", "25.50") to minor units, or null. */
export function toMinor(value: string, currency: string): number | null {
  if (!/^\d+(\.\d{1,2})?$/.test(value.trim())) return null;
  const divisor = ZERO_DECIMAL.has(currency.toLowerCase()) ? 1 : 100;
  return Math.round(Number(value) * divisor);
}

export function date(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleDateString('en-US', { year: 'numeric', month: 'short', day: 'numeric' });
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString('en-US', { dateStyle: 'medium', timeStyle: 'short' });
}

/** `individual.verification.document` → "individual verification document" */
export const field = (name: string) => name.replace(/[._]/g, ' ');

export const label = (value: string) => value.replace(/_/g, ' ');
