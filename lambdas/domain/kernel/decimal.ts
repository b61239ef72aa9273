/** 10^0 … 10^22: the powers of ten a double holds exactly. */
export const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/** Significant digits a mantissa may have for {@link exactDecimal}: below 10^15 < 2^53, exact in a double. */
const MAX_EXACT_DIGITS = 15;

/**
 * mantissa·10^exponent, correctly rounded, for a whole mantissa of at most 15 `significant`
 * digits and an exponent within ±22; NaN outside those bounds (then the caller reads the text
 * with `Number()`). Clinger's fast path: the mantissa and the power of ten are both exact
 * doubles, so the one multiplication or division rounds once, as `Number()` rounds the text.
 * Hand-written for the parsers of numbers in request bodies and capture files, which read a
 * number's digits while they find its end and so never make the substring `Number()` needs.
 */
export function exactDecimal(mantissa: number, significant: number, exponent: number): number {
  if (significant > MAX_EXACT_DIGITS) return Number.NaN;
  if (exponent >= 0) return exponent <= 22 ? mantissa * (POW10[exponent] as number) : Number.NaN;
  return exponent >= -22 ? mantissa / (POW10[-exponent] as number) : Number.NaN;
}
