/**
 * How the report writes values: HTML escaping, and numbers, shares and times as people read
 * them. Shared by the page and its charts; nothing here knows the report's layout.
 */

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

export function count(n: number): string {
  if (!Number.isFinite(n)) return num(n);
  const s = String(Math.round(Math.abs(n))).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return n < 0 ? `−${s}` : s;
}

/** A number in at most 4 significant digits (exponent form when very large or small). */
export function num(x: number | undefined | null): string {
  if (x === undefined || x === null || Number.isNaN(x)) return '—';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (Number.isInteger(x) && a < 1e9) return count(x);
  if (a >= 1e9 || a < 1e-3) return x.toExponential(2).replace('-', '−');
  const s = x.toPrecision(4);
  const trimmed = s.includes('.') ? s.replace(/\.?0+$/, '') : s;
  return trimmed.replace('-', '−');
}

export function pValue(p: number | undefined): string {
  if (p === undefined || Number.isNaN(p)) return '—';
  // 0 when the tail probability is below what the test's floating-point arithmetic resolves.
  if (p <= 0) return '≈ 0';
  if (p < 1e-4) return p.toExponential(2).replace('-', '−');
  return Number(p.toPrecision(3)).toString();
}

/** A share as a percentage that never rounds a shortfall up to 100%. */
export function percent(x: number | null | undefined): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '—';
  const s = (x * 100).toFixed(2);
  if (x < 1 && s === '100.00') return '> 99.99%';
  if (x > 0 && s === '0.00') return '< 0.01%';
  return `${s}%`;
}

export function time(t: string | Date): string {
  if (t instanceof Date) return Number.isNaN(t.getTime()) ? String(t) : t.toISOString();
  return t;
}

/** At most `max` characters (code points), the last one an ellipsis when cut. */
export function truncate(s: string, max: number): string {
  const chars = [...s];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : s;
}
