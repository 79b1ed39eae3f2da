import { invalidRequest } from './errors.ts';

interface CurrencyInfo {
  /** Minimum charge amount in minor units (Stripe's table). */
  minimumCharge: number;
  zeroDecimal: boolean;
  symbol: string;
}

export const CURRENCIES: Readonly<Record<string, CurrencyInfo>> = {
  usd: { minimumCharge: 50, zeroDecimal: false, symbol: '$' },
  eur: { minimumCharge: 50, zeroDecimal: false, symbol: '€' },
  gbp: { minimumCharge: 30, zeroDecimal: false, symbol: '£' },
  cad: { minimumCharge: 50, zeroDecimal: false, symbol: '$' },
  aud: { minimumCharge: 50, zeroDecimal: false, symbol: '$' },
  nzd: { minimumCharge: 50, zeroDecimal: false, symbol: '$' },
  chf: { minimumCharge: 50, zeroDecimal: false, symbol: 'CHF ' },
  sgd: { minimumCharge: 50, zeroDecimal: false, symbol: '$' },
  sek: { minimumCharge: 300, zeroDecimal: false, symbol: 'kr ' },
  nok: { minimumCharge: 300, zeroDecimal: false, symbol: 'kr ' },
  dkk: { minimumCharge: 250, zeroDecimal: false, symbol: 'kr ' },
  pln: { minimumCharge: 200, zeroDecimal: false, symbol: 'zł ' },
  hkd: { minimumCharge: 400, zeroDecimal: false, symbol: '$' },
  mxn: { minimumCharge: 1000, zeroDecimal: false, symbol: '$' },
  jpy: { minimumCharge: 50, zeroDecimal: true, symbol: '¥' },
};

/** Stripe's hard maximum for a charge amount: eight digits of minor units. */
export const MAX_AMOUNT = 99_999_999;

export const COUNTRY_CURRENCY: Readonly<Record<string, string>> = {
  US: 'usd',
  GB: 'gbp',
  CA: 'cad',
  AU: 'aud',
  NZ: 'nzd',
  JP: 'jpy',
  CH: 'chf',
  SG: 'sgd',
  SE: 'sek',
  NO: 'nok',
  DK: 'dkk',
  PL: 'pln',
  HK: 'hkd',
  MX: 'mxn',
  FR: 'eur',
  DE: 'eur',
  IE: 'eur',
  NL: 'eur',
  ES: 'eur',
  IT: 'eur',
  BE: 'eur',
  AT: 'eur',
  FI: 'eur',
  PT: 'eur',
  LU: 'eur',
};

export function checkCurrency(value: string, param = 'currency'): string {
  const c = value.toLowerCase();
  if (!(c in CURRENCIES)) {
    throw invalidRequest(
      `Invalid currency: ${value}. Stripe currently supports these currencies: ${Object.keys(CURRENCIES).join(', ')}`,
      { param },
    );
  }
  return c;
}

export function formatAmount(amount: number, currency: string): string {
  const info = CURRENCIES[currency];
  if (!info) return `${amount} ${currency}`;
  const major = info.zeroDecimal ? String(amount) : (amount / 100).toFixed(2);
  return `${info.symbol}${major} ${currency}`;
}

/** Charges below the currency minimum fail exactly as Stripe's do. */
export function checkChargeAmount(amount: number, currency: string, param = 'amount'): void {
  const info = CURRENCIES[currency];
  if (info && amount < info.minimumCharge) {
    throw invalidRequest(`Amount must be at least ${formatAmount(info.minimumCharge, currency)}`, {
      param,
      code: 'amount_too_small',
    });
  }
  if (amount > MAX_AMOUNT) {
    throw invalidRequest(`Amount must be no more than ${formatAmount(MAX_AMOUNT, currency)}`, {
      param,
      code: 'amount_too_large',
    });
  }
}
