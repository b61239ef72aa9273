/**
 * Cell typing as deequ (and so Model Monitor) infers it, and a CSV scanner that feeds cells to
 * a visitor without splitting rows into arrays of strings.
 *
 * deequ's DataType analyzer classifies each non-null value by regular expressions:
 *   Fractional  ^(-|\+)? ?\d+((\.\d+)|((?:\.\d+)?[Ee][-+]?\d+))$
 *   Integral    ^(-|\+)? ?\d+$
 *   Boolean     ^(true|false)$            (Model Monitor has no Boolean type: String here)
 *   String      anything else
 * The same grammar is implemented here by a hand-written scanner (no regex, no substring)
 * because it runs for every cell of every record; it also computes the number, in the same
 * pass that finds the end of the cell.
 */
import { exactDecimal } from '../../kernel/decimal.js';

export const CellKind = { Missing: 0, Integral: 1, Fractional: 2, String: 3 } as const;
export type CellKind = (typeof CellKind)[keyof typeof CellKind];

/**
 * The numeric value of the last cell found Integral or Fractional (module variables rather than
 * a returned tuple, so that the hot path allocates nothing).
 */
export let cellValue = 0;
/**
 * The value `readNumberBytes` read last. A typed array slot, not a module variable: a double
 * stored in a module variable is boxed (a heap number allocated per value, ~20 million per
 * monitoring run), one in a Float64Array is not.
 */
export const bytesValue = new Float64Array(1);
/** The kind (Integral or Fractional) of the last number read. */
export let numberKind: CellKind = CellKind.Integral;

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 13;
}

/**
 * Reads deequ's number grammar at `text[i]` (no leading spaces), stopping before `end` or the
 * first character that cannot continue it. Returns the index after the number, or −1 when the
 * text there is not a number (then it is a String, whatever follows). Sets `cellValue` and
 * `numberKind`. Numbers with at most 15 significant digits and a decimal exponent within ±22
 * are computed exactly (kernel/decimal.ts, Clinger's fast path); the rest go through
 * `Number()`. Non-finite results (1e999) are not numbers: they cannot be sketched.
 */
export function readNumber(text: string, i: number, end: number): number {
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
  if (i === digitsStart) return -1;
  let exponent = 0;
  let fractional = false;
  if (i < end && c === 46) {
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
    if (i === fractionStart) return -1;
    exponent = fractionStart - i;
    fractional = true;
  }
  if (i < end && (c === 69 || c === 101)) {
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
      if (c < 48 || c > 57) break;
      if (e < 100000) e = e * 10 + (c - 48);
      i++;
    }
    if (i === expStart) return -1;
    exponent += expNegative ? -e : e;
    fractional = true;
  }
  let value = exactDecimal(mantissa, significant, exponent);
  if (Number.isNaN(value)) value = Number(text.slice(digitsStart, i));
  if (!Number.isFinite(value)) return -1;
  cellValue = negative ? -value : value;
  numberKind = fractional ? CellKind.Fractional : CellKind.Integral;
  return i;
}

/**
 * Classifies `text[start, end)` (surrounding spaces and tabs ignored) and, for numbers, sets
 * `cellValue`.
 */
export function classifyCell(text: string, start: number, end: number): CellKind {
  while (start < end && isSpace(text.charCodeAt(start))) start++;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  if (start === end) return CellKind.Missing;
  return readNumber(text, start, end) === end ? numberKind : CellKind.String;
}

/** Classifies a whole string (JSON string values, quoted CSV cells). */
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
 * Unquoted cells are typed while their end is found, so a numeric cell allocates nothing.
 * Throws SyntaxError only for an unterminated quote.
 */
export function scanCsv(text: string, visitor: CellVisitor): number {
  const n = text.length;
  let rows = 0;
  let i = 0;
  while (i < n) {
    let c = text.charCodeAt(i);
    if (c === 10) {
      i++;
      continue;
    }
    if (c === 13 && (i + 1 === n || text.charCodeAt(i + 1) === 10)) {
      i += 2;
      continue;
    }
    let column = 0;
    for (;;) {
      // One cell starting at i: skip leading blanks.
      c = text.charCodeAt(i);
      while (c === 32 || c === 9) c = text.charCodeAt(++i);
      if (i < n && c === 34) {
        const [value, after] = readQuoted(text, i);
        emitString(visitor, column, value);
        i = after;
        // Whatever follows the closing quote up to the delimiter is ignored.
        i = delimiterAt(text, i, n);
      } else {
        const start = i;
        const after = i < n && c !== 44 && c !== 10 ? readNumber(text, i, n) : -1;
        if (after >= 0) {
          i = after;
          c = text.charCodeAt(i);
          while (isSpace(c)) c = text.charCodeAt(++i);
        }
        if (after >= 0 && (i === n || c === 44 || c === 10)) {
          visitor.numberCell(column, cellValue, numberKind === CellKind.Integral);
        } else {
          i = delimiterAt(text, i, n);
          let end = i;
          while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
          if (end === start) visitor.missingCell(column);
          else visitor.stringCell(column, text.slice(start, end));
        }
      }
      column++;
      if (i < n && text.charCodeAt(i) === 44) {
        i++;
        continue;
      }
      i++; // past the '\n' (or the end)
      break;
    }
    visitor.endRow(column);
    rows++;
  }
  return rows;
}

/** Index of the next ',' or '\n' at or after i (n if none). */
function delimiterAt(text: string, i: number, n: number): number {
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 44 || c === 10) return i;
    i++;
  }
  return n;
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

// ---------------------------------------------------------------------------------------------
// The same scanner over UTF-8 bytes. Capture files arrive as bytes, and a capture record's CSV
// payload is a span of its line: scanning that span in place spares decoding every line into a
// string and slicing the payload out of it. The grammar and the numbers are those of
// `readNumber` / `scanCsv` above, written a second time over a byte array because the hot loop
// must index one concrete type (a shared accessor costs a call per character). Every
// delimiter is ASCII, so a UTF-8 sequence is never cut: a String cell is its bytes decoded,
// the same text as the string scanner's slice of the decoded payload.

/** `readNumber` over bytes[i, end). */
export function readNumberBytes(bytes: Uint8Array, i: number, end: number): number {
  let c = bytes[i] as number;
  let negative = false;
  if (c === 45 || c === 43) {
    negative = c === 45;
    i++;
    if (i < end && bytes[i] === 32) i++;
  }
  const digitsStart = i;
  let mantissa = 0;
  // As `readNumber`, with the leading zeros (no significant digits, nothing added to the
  // mantissa) skipped first, so the digit loops test one condition per digit: this loop
  // reads every number of a capture file.
  while (i < end && bytes[i] === 48) i++;
  let from = i;
  while (i < end) {
    const digit = (bytes[i] as number) - 48;
    if (digit >>> 0 > 9) break;
    mantissa = mantissa * 10 + digit;
    i++;
  }
  let significant = i - from;
  if (i === digitsStart) return -1;
  let exponent = 0;
  let fractional = false;
  if (i < end && bytes[i] === 46) {
    i++;
    const fractionStart = i;
    if (significant === 0) while (i < end && bytes[i] === 48) i++;
    from = i;
    while (i < end) {
      const digit = (bytes[i] as number) - 48;
      if (digit >>> 0 > 9) break;
      mantissa = mantissa * 10 + digit;
      i++;
    }
    significant += i - from;
    if (i === fractionStart) return -1;
    exponent = fractionStart - i;
    fractional = true;
  }
  if (i < end) c = bytes[i] as number;
  if (i < end && (c === 69 || c === 101)) {
    i++;
    let expNegative = false;
    if (i < end) {
      c = bytes[i] as number;
      if (c === 45 || c === 43) {
        expNegative = c === 45;
        i++;
      }
    }
    const expStart = i;
    let e = 0;
    while (i < end) {
      c = bytes[i] as number;
      if (c < 48 || c > 57) break;
      if (e < 100000) e = e * 10 + (c - 48);
      i++;
    }
    if (i === expStart) return -1;
    exponent += expNegative ? -e : e;
    fractional = true;
  }
  let value = exactDecimal(mantissa, significant, exponent);
  if (Number.isNaN(value)) {
    value = Number(
      Buffer.from(bytes.buffer, bytes.byteOffset + digitsStart, i - digitsStart).toString('latin1'),
    );
  }
  if (!Number.isFinite(value)) return -1;
  bytesValue[0] = negative ? -value : value;
  numberKind = fractional ? CellKind.Fractional : CellKind.Integral;
  return i;
}

function decodeBytes(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8');
}

/** `readQuoted` over bytes: the field's text and the index after its closing quote. */
function readQuotedBytes(bytes: Uint8Array, open: number, n: number): [string, number] {
  let out = '';
  let i = open + 1;
  let from = i;
  while (i < n) {
    if (bytes[i] === 34) {
      if (i + 1 < n && bytes[i + 1] === 34) {
        out += decodeBytes(bytes, from, i + 1);
        i += 2;
        from = i;
        continue;
      }
      return [out + decodeBytes(bytes, from, i), i + 1];
    }
    i++;
  }
  throw new SyntaxError('unterminated quoted CSV field');
}

function delimiterAtBytes(bytes: Uint8Array, i: number, n: number): number {
  while (i < n) {
    const c = bytes[i];
    if (c === 44 || c === 10) return i;
    i++;
  }
  return n;
}

/**
 * `scanCsv` over the UTF-8 bytes[start, end): the same rows, cells and errors as `scanCsv` of
 * their decoded text.
 */
export function scanCsvBytes(bytes: Uint8Array, start: number, end: number, visitor: CellVisitor): number {
  const n = end;
  let rows = 0;
  let i = start;
  while (i < n) {
    let c = bytes[i] as number;
    if (c === 10) {
      i++;
      continue;
    }
    if (c === 13 && (i + 1 === n || bytes[i + 1] === 10)) {
      i += 2;
      continue;
    }
    let column = 0;
    for (;;) {
      c = i < n ? (bytes[i] as number) : -1;
      while (c === 32 || c === 9) c = ++i < n ? (bytes[i] as number) : -1;
      if (c === 34) {
        const [value, after] = readQuotedBytes(bytes, i, n);
        emitString(visitor, column, value);
        i = delimiterAtBytes(bytes, after, n);
      } else {
        const cellStart = i;
        const after = i < n && c !== 44 && c !== 10 ? readNumberBytes(bytes, i, n) : -1;
        if (after >= 0) {
          i = after;
          c = i < n ? (bytes[i] as number) : -1;
          while (c === 32 || c === 9 || c === 13) c = ++i < n ? (bytes[i] as number) : -1;
        }
        if (after >= 0 && (i === n || c === 44 || c === 10)) {
          visitor.numberCell(column, bytesValue[0] as number, numberKind === CellKind.Integral);
        } else {
          i = delimiterAtBytes(bytes, i, n);
          let cellEnd = i;
          while (cellEnd > cellStart && isSpace(bytes[cellEnd - 1] as number)) cellEnd--;
          if (cellEnd === cellStart) visitor.missingCell(column);
          else visitor.stringCell(column, decodeBytes(bytes, cellStart, cellEnd));
        }
      }
      column++;
      if (i < n && bytes[i] === 44) {
        i++;
        continue;
      }
      i++;
      break;
    }
    visitor.endRow(column);
    rows++;
  }
  return rows;
}
