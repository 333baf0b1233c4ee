// Display formatting of engine figures. Amounts arrive as exact decimal strings and are
// formatted as strings: no floating point ever touches money.
import type { Lang } from './bindings/Lang';

const SYMBOLS: Record<string, string> = { EUR: '€', GBP: '£', USD: '$' };

/** "1234.5" → "1 234,50 €" (fr) or "€1,234.50" (en). */
export function formatMoney(amount: string, currency: string, lang: Lang): string {
  const negative = amount.startsWith('-');
  const [intRaw = '0', frac = ''] = (negative ? amount.slice(1) : amount).split('.');
  const group = lang === 'fr' ? '\u202f' : ',';
  const decimal = lang === 'fr' ? ',' : '.';
  const int = intRaw.replace(/^0+(?=\d)/, '').replace(/\B(?=(\d{3})+(?!\d))/g, group);
  const digits = currency === 'JPY' || currency === 'XOF' || currency === 'XAF' || currency === 'XPF' ? 0 : frac.length > 2 ? frac.length : 2;
  const fracPadded = frac.padEnd(digits, '0');
  const number = digits > 0 ? `${int}${decimal}${fracPadded}` : int;
  const sign = negative ? '-' : '';
  const symbol = SYMBOLS[currency];
  if (symbol === undefined) return `${sign}${number}\u00a0${currency}`;
  return lang === 'fr' ? `${sign}${number}\u00a0${symbol}` : `${sign}${symbol}${number}`;
}

/** A count as the user reads it: 94002 → "94 002" (a narrow no-break space, fr), "94,002" (en). */
export function formatCount(n: number, lang: Lang): string {
  return String(Math.trunc(n)).replace(/\B(?=(\d{3})+(?!\d))/g, lang === 'fr' ? '\u202f' : ',');
}

const MONTHS_EN = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "2026-11-22" → "22/11/2026" (fr) or "22 Nov 2026" (en). */
export function formatDate(iso: string, lang: Lang): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) return iso;
  const [, y, mo, d] = m;
  if (lang === 'fr') return `${d}/${mo}/${y}`;
  return `${Number(d)} ${MONTHS_EN[Number(mo) - 1]} ${y}`;
}

/** True when a decimal string is exactly zero ("0", "0.00"). */
export function isZero(amount: string): boolean {
  return /^-?0*(\.0*)?$/.test(amount);
}

/** A date as the user types it: "22/11/2026" in French, ISO in English (both parse). */
export function inputDate(iso: string, lang: Lang): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m || lang !== 'fr') return iso;
  return `${m[3]}/${m[2]}/${m[1]}`;
}

/** The placeholder that shows the expected date format. */
export function datePlaceholder(lang: Lang): string {
  return lang === 'fr' ? 'JJ/MM/AAAA' : 'YYYY-MM-DD';
}

/** An exact decimal string as a form field shows it to be edited, in the user's writing and
 *  without the currency: "9695.05" → "9 695,05" (fr) or "9,695.05" (en). The engine parses
 *  both back. */
export function inputAmount(amount: string, lang: Lang): string {
  if (!/^-?\d+(\.\d+)?$/.test(amount)) return amount;
  const negative = amount.startsWith('-');
  const [intRaw = '0', frac] = (negative ? amount.slice(1) : amount).split('.');
  const int = intRaw.replace(/^0+(?=\d)/, '').replace(/\B(?=(\d{3})+(?!\d))/g, lang === 'fr' ? ' ' : ',');
  const sign = negative ? '-' : '';
  return frac === undefined ? `${sign}${int}` : `${sign}${int}${lang === 'fr' ? ',' : '.'}${frac}`;
}

/** A rate as a form shows it: "2.15" → "2,15" (fr). */
export function inputRate(rate: string, lang: Lang): string {
  return lang === 'fr' ? rate.replace('.', ',') : rate;
}

/** A percentage as the user reads it: "2,15 %" (a narrow no-break space, fr), "2.15%" (en). */
export function formatPercent(value: string, lang: Lang): string {
  return lang === 'fr' ? `${inputRate(value, lang)}\u202f%` : `${value}%`;
}

/** A date typed in either accepted writing ("22/11/2026", "2026-11-22"), as ISO; null when
 *  it is not one. */
export function parseTypedDate(text: string): string | null {
  const t = text.trim();
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(t);
  if (m) return `${m[1]}-${m[2]!.padStart(2, '0')}-${m[3]!.padStart(2, '0')}`;
  m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(t);
  if (m) return `${m[3]}-${m[2]!.padStart(2, '0')}-${m[1]!.padStart(2, '0')}`;
  return null;
}
