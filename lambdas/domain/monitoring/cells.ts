/**
 * Cell typing as deequ (and so Model Monitor) infers it, and a CSV scanner that feeds cells to
 * a visitor without splitting rows into arrays of strings.
 *
 * deequ's DataType analyzer classifies each non-null value by regular expressions:
 *   Fractional  ^(-|\+)? ?\d+((\.\d+)|((?:\.\d+)?[Ee][-+]?\d+))$
 *   Integral    ^(-|\+)? ?\d+$
 *   Boolean     ^(true|false)$            (Model Monitor has no Boolean type: String here)
 *   String      anything else
 * `classifyCell` implements the same grammar with a hand-written scanner (no regex, no
 * substring) because it runs for every cell of every record; it also computes the number.
 */

export const CellKind = { Missing: 0, Integral: 1, Fractional: 2, String: 3 } as const;
export type CellKind = (typeof CellKind)[keyof typeof CellKind];

/** 10^0 … 10^22: exactly representable doubles. */
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * The numeric value of the last cell `classifyCell` found Integral or Fractional (a module
 * variable rather than a returned pair, so that the hot path allocates nothing).
 */
export let cellValue = 0;

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 13;
}

/**
 * Classifies `text[start, end)` (surrounding spaces and tabs ignored) and, for numbers, sets
 * `cellValue`. Numbers with at most 15 significant digits and a decimal exponent within ±22
 * are computed exactly as m·10^e or m/10^e (Clinger's fast path: both operands are exact
 * doubles, so one correctly rounded operation gives the correctly rounded value); the rest go
 * through `Number()`. Non-finite results (1e999) count as String: they cannot be sketched.
 */
export function classifyCell(text: string, start: number, end: number): CellKind {
  while (start < end && isSpace(text.charCodeAt(start))) start++;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  if (start === end) return CellKind.Missing;
  let i = start;
  let c = text.charCodeAt(i);
  let negative = false;
  if (c === 45 || c === 43) {
    negative = c === 45;
    i++;
    if (i < end && text.charCodeAt(i) === 32) i++;
  }
  const digitsStart = i;
  let mantissa = 0;
  let significant = 0;
  while (i < end) {
    c = text.charCodeAt(i);
    if (c < 48 || c > 57) break;
    if (significant > 0 || c !== 48) {
      significant++;
      mantissa = mantissa * 10 + (c - 48);
    }
    i++;
  }
  if (i === digitsStart) return CellKind.String;
  if (i === end) {
    cellValue = significant <= 15 ? mantissa : Number(text.slice(digitsStart, end));
    if (negative) cellValue = -cellValue;
    return CellKind.Integral;
  }
  let exponent = 0;
  if (c === 46) {
    i++;
    const fractionStart = i;
    while (i < end) {
      c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      if (significant > 0 || c !== 48) {
        significant++;
        mantissa = mantissa * 10 + (c - 48);
      }
      i++;
    }
    if (i === fractionStart) return CellKind.String;
    exponent = fractionStart - i;
  }
  if (i < end) {
    c = text.charCodeAt(i);
    if (c !== 69 && c !== 101) return CellKind.String;
    i++;
    let expNegative = false;
    if (i < end) {
      c = text.charCodeAt(i);
      if (c === 45 || c === 43) {
        expNegative = c === 45;
        i++;
      }
    }
    const expStart = i;
    let e = 0;
    while (i < end) {
      c = text.charCodeAt(i);
      if (c < 48 || c > 57) return CellKind.String;
      if (e < 100000) e = e * 10 + (c - 48);
      i++;
    }
    if (i === expStart) return CellKind.String;
    exponent += expNegative ? -e : e;
  }
  let value: number;
  if (significant <= 15 && exponent >= -22 && exponent <= 22) {
    value = exponent < 0 ? mantissa / (POW10[-exponent] as number) : mantissa * (POW10[exponent] as number);
  } else {
    value = Number(text.slice(digitsStart, end));
  }
  if (!Number.isFinite(value)) return CellKind.String;
  cellValue = negative ? -value : value;
  return CellKind.Fractional;
}

/** Classifies a whole string (JSON string values, unquoted CSV cells). */
export function classifyString(text: string): CellKind {
  return classifyCell(text, 0, text.length);
}

/** Receives the cells of delimited rows. Columns are 0-based positions. */
export interface CellVisitor {
  numberCell(column: number, value: number, integral: boolean): void;
  stringCell(column: number, value: string): void;
  missingCell(column: number): void;
  /** After the last cell of a row, with the number of cells it had. */
  endRow(columns: number): void;
}

/** Reads a quoted CSV field starting at the opening quote; returns [value, index after closing quote]. */
function readQuoted(text: string, open: number): [string, number] {
  let out = '';
  let i = open + 1;
  let from = i;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      if (text.charCodeAt(i + 1) === 34) {
        out += text.slice(from, i + 1);
        i += 2;
        from = i;
        continue;
      }
      return [out + text.slice(from, i), i + 1];
    }
    i++;
  }
  throw new SyntaxError('unterminated quoted CSV field');
}

/**
 * Feeds every row of a CSV body (RFC 4180: `,` separators, `\n` or `\r\n` line ends, `"`
 * quoting with `""` escapes) to `visitor`; blank lines are skipped. Returns the number of rows.
 * Unquoted cells are typed in place (`classifyCell`), so a numeric cell allocates nothing.
 * Throws SyntaxError only for an unterminated quote.
 */
export function scanCsv(text: string, visitor: CellVisitor): number {
  const n = text.length;
  let rows = 0;
  let i = 0;
  while (i < n) {
    // Skip blank lines.
    let c = text.charCodeAt(i);
    if (c === 10) {
      i++;
      continue;
    }
    if (c === 13 && text.charCodeAt(i + 1) === 10) {
      i += 2;
      continue;
    }
    let column = 0;
    let cellStart = i;
    for (;;) {
      c = i < n ? text.charCodeAt(i) : 10;
      if (c === 34 && isBlankBetween(text, cellStart, i)) {
        const [value, after] = readQuoted(text, i);
        let j = after;
        while (j < n && isSpace(text.charCodeAt(j)) && text.charCodeAt(j) !== 13) j++;
        emitString(visitor, column, value);
        i = j;
        c = i < n ? text.charCodeAt(i) : 10;
        if (c === 44) {
          column++;
          i++;
          cellStart = i;
          continue;
        }
        // End of line (or stray characters after the quote, which are ignored up to it).
        while (i < n && text.charCodeAt(i) !== 10) i++;
        i++;
        column++;
        break;
      }
      if (c === 44 || c === 10) {
        emitCell(visitor, column, text, cellStart, i);
        column++;
        i++;
        if (c === 44) {
          cellStart = i;
          continue;
        }
        break;
      }
      i++;
    }
    visitor.endRow(column);
    rows++;
  }
  return rows;
}

function isBlankBetween(text: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (!isSpace(text.charCodeAt(k))) return false;
  return true;
}

function emitCell(visitor: CellVisitor, column: number, text: string, start: number, end: number): void {
  const kind = classifyCell(text, start, end);
  if (kind === CellKind.Integral || kind === CellKind.Fractional) {
    visitor.numberCell(column, cellValue, kind === CellKind.Integral);
  } else if (kind === CellKind.Missing) {
    visitor.missingCell(column);
  } else {
    visitor.stringCell(column, trimmed(text, start, end));
  }
}

function emitString(visitor: CellVisitor, column: number, value: string): void {
  const kind = classifyString(value);
  if (kind === CellKind.Integral || kind === CellKind.Fractional) {
    visitor.numberCell(column, cellValue, kind === CellKind.Integral);
  } else if (kind === CellKind.Missing) {
    visitor.missingCell(column);
  } else {
    visitor.stringCell(column, value);
  }
}

function trimmed(text: string, start: number, end: number): string {
  while (start < end && isSpace(text.charCodeAt(start))) start++;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}
