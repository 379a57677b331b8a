// Money is an integer number of cents (fen). Never parse or format it through floating point.

/** Format integer cents as ¥1,234.56 (negative as -¥1,234.56). Accepts number or bigint. */
export function formatCents(cents: number | bigint | null | undefined): string {
  if (cents === null || cents === undefined) return '-';
  if (typeof cents === 'number' && !Number.isSafeInteger(cents)) return '-';
  let n = BigInt(cents);
  const negative = n < 0n;
  if (negative) n = -n;
  const yuan = (n / 100n).toString();
  const fen = (n % 100n).toString().padStart(2, '0');
  const grouped = yuan.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}¥${grouped}.${fen}`;
}

/** Format an integer quantity with thousands separators. */
export function formatQty(qty: number | null | undefined): string {
  if (qty === null || qty === undefined) return '-';
  const s = String(Math.abs(qty)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return qty < 0 ? `-${s}` : s;
}

const YUAN = /^\s*(-)?(\d{1,13})(?:\.(\d{0,2}))?\s*$/;

/**
 * Parse a yuan amount typed by a person ("12", "12.5", "1,234.56") into integer cents using string
 * math only. Returns null when it is not an amount with at most two decimals.
 */
export function parseYuanToCents(input: string): number | null {
  const m = YUAN.exec(input.replace(/[,，¥￥]/g, ''));
  if (!m) return null;
  const [, sign, whole, frac = ''] = m;
  const cents = BigInt(whole) * 100n + BigInt((frac + '00').slice(0, 2));
  const value = Number(sign ? -cents : cents);
  return Number.isSafeInteger(value) ? value : null;
}

/** Integer cents back to the plain yuan string an input shows ("1234.50"). */
export function centsToYuanInput(cents: number): string {
  return formatCents(cents).replace(/[¥,]/g, '');
}
