/**
 * Reading SageMaker data-capture lines as UTF-8 bytes, without building JSON objects or
 * decoding the line into a string.
 *
 * `scanCaptureLine` validates the line as JSON (the whole grammar: a line JSON.parse would
 * reject is rejected here too) and notes where the `captureData.<side>` fields are — the
 * last occurrence of a key wins, as in JSON.parse. The `data` string is left in place as a
 * byte span (`captureSpan`), so a CSV payload without escapes is scanned where it lies
 * (cells.ts `scanCsvBytes`); only a string with escapes is decoded. The short fields
 * (observedContentType, mode, encoding) are decoded once per distinct value and then reused,
 * since every record of a file usually repeats them.
 *
 * Hand-written rather than a streaming JSON library: the point is to do no per-record
 * allocation, and the libraries available build tokens or values for every field.
 */

import { POW10 } from '../../kernel/decimal.js';
import type { CaptureSide } from './capture.js';
import { bytesValue, CellKind, numberKind, readNumberBytes } from './cells.js';
import { KernelAnswer, KernelOut, type LineKernel, lineKernel } from './line-kernel.js';

/** Where the last scanned line's `data` is, and its other fields (module state: no allocation). */
export const captureSpan = {
  /** Byte offsets of the data string's content, quotes excluded. */
  dataStart: 0,
  dataEnd: 0,
  /** The data string holds escapes: decode it (`decodeDataString`) rather than read it in place. */
  dataEscaped: false,
  /** The data string (unescaped) read as one CSV row, cell by cell: see `stagedRow`. */
  dataStaged: false,
  observedContentType: undefined as string | undefined,
  mode: undefined as string | undefined,
  encoding: undefined as string | undefined,
};

const KEY_CAPTURE_DATA = bytesOf('captureData');
const KEY_INPUT = bytesOf('endpointInput');
const KEY_OUTPUT = bytesOf('endpointOutput');
const KEY_DATA = bytesOf('data');
const KEY_CONTENT_TYPE = bytesOf('observedContentType');
const KEY_MODE = bytesOf('mode');
const KEY_ENCODING = bytesOf('encoding');

function bytesOf(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'utf8'));
}

const Field = { Other: 0, CaptureData: 1, Side: 2, Data: 3, ContentType: 4, Mode: 5, Encoding: 6 } as const;
type Field = (typeof Field)[keyof typeof Field];

function decodeJsonString(bytes: Uint8Array, open: number, close: number): string {
  // The quotes included: JSON.parse does the unescaping (only for strings that have escapes).
  return JSON.parse(
    Buffer.from(bytes.buffer, bytes.byteOffset + open, close + 1 - open).toString('utf8'),
  ) as string;
}

function equalsAt(bytes: Uint8Array, start: number, end: number, key: Uint8Array): boolean {
  if (end - start !== key.length || bytes[start] !== key[0]) return false;
  for (let k = 0; k < key.length; k++) if (bytes[start + k] !== key[k]) return false;
  return true;
}

/** A short field's value, decoded once per distinct byte sequence. */
class StringCache {
  private bytes = new Uint8Array(0);
  private value = '';

  get(source: Uint8Array, start: number, end: number): string {
    const length = end - start;
    const cached = this.bytes;
    if (cached.length === length) {
      let k = 0;
      while (k < length && source[start + k] === cached[k]) k++;
      if (k === length) return this.value;
    }
    this.bytes = source.slice(start, end);
    this.value = Buffer.from(this.bytes.buffer, this.bytes.byteOffset, length).toString('utf8');
    return this.value;
  }
}

const contentTypes = new StringCache();
const modes = new StringCache();
const encodings = new StringCache();

/** Decodes the `data` string of the last line `scanCaptureLine` accepted (for escaped or non-CSV payloads). */
export function decodeDataString(bytes: Uint8Array): string {
  const { dataStart, dataEnd, dataEscaped } = captureSpan;
  if (dataEscaped) return decodeJsonString(bytes, dataStart - 1, dataEnd);
  return Buffer.from(bytes.buffer, bytes.byteOffset + dataStart, dataEnd - dataStart).toString('utf8');
}

/** Whether the string `skipString` last read holds escapes. */
let stringEscaped = false;

/** Bytes that end a run of plain string content: `"`, `\\` and the control characters. */
const STRING_STOP = new Uint8Array(256);
for (let c = 0; c < 32; c++) STRING_STOP[c] = 1;
STRING_STOP[34] = 1;
STRING_STOP[92] = 1;

/**
 * Index after the closing quote of the string opening at bytes[i]; -1 if malformed. Sets
 * stringEscaped. The plain-content loop has no bounds check: it stops at the line's newline
 * (or past the array's end, where the table lookup is undefined), and a quote found beyond
 * `end` is rejected below, so the answer is the same, only found later.
 */
function skipString(bytes: Uint8Array, i: number, end: number): number {
  i++;
  stringEscaped = false;
  for (;;) {
    while (STRING_STOP[bytes[i] as number] === 0) i++;
    if (i >= end) return -1;
    const c = bytes[i] as number;
    if (c === 34) return i + 1;
    if (c !== 92) return -1;
    stringEscaped = true;
    const e = bytes[i + 1] as number;
    if (e === 117) {
      if (i + 5 >= end) return -1;
      for (let k = 2; k < 6; k++) {
        const h = bytes[i + k] as number;
        if (!((h >= 48 && h <= 57) || (h >= 65 && h <= 70) || (h >= 97 && h <= 102))) return -1;
      }
      i += 6;
      continue;
    }
    if (e !== 34 && e !== 92 && e !== 47 && e !== 98 && e !== 102 && e !== 110 && e !== 114 && e !== 116)
      return -1;
    i += 2;
  }
}

/**
 * The data string's text read as a CSV row while the line is scanned, so that its bytes are
 * walked once: kinds and numbers per column in typed arrays, String cells' text beside them.
 * The accumulator commits it once the whole line has proved valid (and the last `data`).
 */
export const stagedRow = {
  columns: 0,
  kinds: new Uint8Array(64) as Uint8Array<ArrayBufferLike>,
  values: new Float64Array(64) as Float64Array<ArrayBufferLike>,
  strings: [] as string[],
};

/**
 * Room in `stagedRow` for `columns` cells at least. Its arrays may be the line kernel's, left
 * detached (length 0) when the kernel's memory grew: then no cell of the row is staged yet, and
 * fresh arrays take over.
 */
function growStagedRow(columns: number): void {
  const size = Math.max(columns, stagedRow.kinds.length * 2, 64);
  const kinds = new Uint8Array(size);
  const values = new Float64Array(size);
  if (stagedRow.kinds.length > 0) {
    kinds.set(stagedRow.kinds);
    values.set(stagedRow.values);
  }
  stagedRow.kinds = kinds;
  stagedRow.values = values;
}

function stageCell(column: number, kind: CellKind, value: number): void {
  if (column === stagedRow.kinds.length) growStagedRow(column + 1);
  stagedRow.kinds[column] = kind;
  stagedRow.values[column] = value;
}

/**
 * Reads the JSON string opening at bytes[open] as one CSV row into `stagedRow`, exactly as
 * `scanCsvBytes` would read its content: returns the index after the closing quote, or -1
 * when the string holds an escape or a control character (then `skipString` reads it; a
 * string without either is a single row with no quoted field, which is all this handles).
 */
function stageCsvString(bytes: Uint8Array, open: number, end: number): number {
  let i = open + 1;
  let column = 0;
  if (bytes[i] === 34) {
    stagedRow.columns = 0;
    return i + 1;
  }
  for (;;) {
    let c = bytes[i] as number;
    // The common cell first, without a call: unsigned digits, maybe a point and more digits,
    // 15 digits in all at most, then the comma or the string's end. Its value is what
    // readNumberBytes computes (the digits as one integer m, exact below 10^15, and m / 10^f
    // for f fraction digits, one correctly rounded division); anything else (a sign, spaces,
    // an exponent, more digits, "5.") is read from the cell's start by the general path below.
    if (c >= 48 && c <= 57) {
      let j = i;
      let m = 0;
      while (j < end && c >= 48 && c <= 57) {
        m = m * 10 + (c - 48);
        c = bytes[++j] as number;
      }
      let digits = j - i;
      let fraction = 0;
      if (c === 46 && j < end) {
        const point = j;
        c = bytes[++j] as number;
        while (j < end && c >= 48 && c <= 57) {
          m = m * 10 + (c - 48);
          c = bytes[++j] as number;
        }
        fraction = j - point - 1;
        digits += fraction;
        if (fraction === 0) digits = 16;
      }
      if (digits <= 15 && j < end && (c === 44 || c === 34)) {
        if (column === stagedRow.kinds.length) stageCell(column, CellKind.Missing, 0);
        if (fraction === 0) {
          stagedRow.kinds[column] = CellKind.Integral;
          stagedRow.values[column] = m;
        } else {
          stagedRow.kinds[column] = CellKind.Fractional;
          stagedRow.values[column] = m / (POW10[fraction] as number);
        }
        column++;
        if (c === 34) {
          stagedRow.columns = column;
          return j + 1;
        }
        i = j + 1;
        continue;
      }
      c = bytes[i] as number;
    }
    while (c === 32) c = bytes[++i] as number;
    const start = i;
    let after = -1;
    if (c !== 44 && c !== 34) after = readNumberBytes(bytes, i, end);
    if (after >= 0) {
      i = after;
      c = bytes[i] as number;
      while (c === 32) c = bytes[++i] as number;
    }
    if (after >= 0 && (c === 44 || c === 34)) {
      stageCell(column, numberKind, bytesValue[0] as number);
    } else {
      // A String (or empty) cell: up to the next comma or the string's end.
      while (c !== 44 && c !== 34) {
        if (c === 92 || c < 32 || i >= end) return -1;
        c = bytes[++i] as number;
      }
      let cellEnd = i;
      while (cellEnd > start && bytes[cellEnd - 1] === 32) cellEnd--;
      if (cellEnd === start) stageCell(column, CellKind.Missing, 0);
      else {
        stageCell(column, CellKind.String, 0);
        stagedRow.strings[column] = Buffer.from(
          bytes.buffer,
          bytes.byteOffset + start,
          cellEnd - start,
        ).toString('utf8');
      }
    }
    column++;
    if (c === 34) {
      stagedRow.columns = column;
      return i + 1;
    }
    i++;
  }
}

function skipSpaces(bytes: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = bytes[i];
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return i;
    i++;
  }
  return i;
}

function skipDigits(bytes: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = bytes[i] as number;
    if (c < 48 || c > 57) return i;
    i++;
  }
  return i;
}

/** Index after the JSON number at bytes[i] (RFC 8259 grammar); -1 if malformed. */
function skipNumber(bytes: Uint8Array, i: number, end: number): number {
  if (bytes[i] === 45) i++;
  if (i >= end) return -1;
  const first = bytes[i] as number;
  if (first === 48) i++;
  else if (first >= 49 && first <= 57) i = skipDigits(bytes, i + 1, end);
  else return -1;
  if (i < end && bytes[i] === 46) {
    const from = i + 1;
    i = skipDigits(bytes, from, end);
    if (i === from) return -1;
  }
  if (i < end && (bytes[i] === 101 || bytes[i] === 69)) {
    i++;
    if (i < end && (bytes[i] === 43 || bytes[i] === 45)) i++;
    const from = i;
    i = skipDigits(bytes, from, end);
    if (i === from) return -1;
  }
  return i;
}

const TRUE = bytesOf('true');
const FALSE = bytesOf('false');
const NULL = bytesOf('null');

function skipLiteral(bytes: Uint8Array, i: number, end: number, word: Uint8Array): number {
  return i + word.length <= end && equalsAt(bytes, i, i + word.length, word) ? i + word.length : -1;
}

/** Which field a key names at a container depth (1: the record, 2: captureData, 3: the side). */
function fieldOf(
  bytes: Uint8Array,
  open: number,
  close: number,
  escaped: boolean,
  depth: number,
  sideKey: Uint8Array,
): Field {
  const start = open + 1;
  const end = close;
  if (escaped) {
    const key = decodeJsonString(bytes, open, close);
    const named = (name: string) => key === name;
    if (depth === 1) return named('captureData') ? Field.CaptureData : Field.Other;
    if (depth === 2) return key === Buffer.from(sideKey).toString('utf8') ? Field.Side : Field.Other;
    if (named('data')) return Field.Data;
    if (named('observedContentType')) return Field.ContentType;
    if (named('mode')) return Field.Mode;
    if (named('encoding')) return Field.Encoding;
    return Field.Other;
  }
  if (depth === 1) return equalsAt(bytes, start, end, KEY_CAPTURE_DATA) ? Field.CaptureData : Field.Other;
  if (depth === 2) return equalsAt(bytes, start, end, sideKey) ? Field.Side : Field.Other;
  switch (end - start) {
    case 4:
      if (equalsAt(bytes, start, end, KEY_DATA)) return Field.Data;
      return equalsAt(bytes, start, end, KEY_MODE) ? Field.Mode : Field.Other;
    case 8:
      return equalsAt(bytes, start, end, KEY_ENCODING) ? Field.Encoding : Field.Other;
    case 19:
      return equalsAt(bytes, start, end, KEY_CONTENT_TYPE) ? Field.ContentType : Field.Other;
    default:
      return Field.Other;
  }
}

/** Open containers: 1 for an object, 2 for an array (grows with nesting). */
let stack = new Uint8Array(64);
/** The field the value after the key just read belongs to (set by `readKey`). */
let keyField: Field = Field.Other;

/**
 * Reads `"key" :` at bytes[i] in a container at `depth` and returns the index after the
 * colon (-1 if malformed); sets `keyField`. Only keys on the path are looked at: the record's,
 * the open captureData's (`inCapture`) and the open side object's (`inSide`).
 */
function readKey(
  bytes: Uint8Array,
  i: number,
  end: number,
  depth: number,
  inCapture: boolean,
  inSide: boolean,
  sideKey: Uint8Array,
): number {
  i = skipSpaces(bytes, i, end);
  if (i >= end || bytes[i] !== 34) return -1;
  const after = skipString(bytes, i, end);
  if (after < 0) return -1;
  keyField = Field.Other;
  if (depth === 1 || (depth === 2 && inCapture) || (depth === 3 && inSide)) {
    keyField = fieldOf(bytes, i, after - 1, stringEscaped, depth, sideKey);
  }
  i = skipSpaces(bytes, after, end);
  if (i >= end || bytes[i] !== 58) return -1;
  return i + 1;
}

/** The value strings of the line being scanned: quote offsets from the line's start. */
let spanOpen = new Int32Array(64);
let spanClose = new Int32Array(64);

function growSpans(): void {
  const size = spanOpen.length * 2;
  const open = new Int32Array(size);
  open.set(spanOpen);
  spanOpen = open;
  const close = new Int32Array(size);
  close.set(spanClose);
  spanClose = close;
}

/**
 * The last accepted line of one side, as its structure: the bytes between its value strings
 * (keys, punctuation, spaces, numbers, literals) and, per value string, the field it held.
 * The records of a capture file differ only in their string values, so the next line is
 * checked against this instead of being parsed token by token: the bytes between strings must
 * be the same, and each value string must be plain (no escape, quote or control character)
 * and end where a string ends. A line that passes is a valid JSON text with the same tokens
 * and keys, so the full scan would read it the same way, with its own strings as the values;
 * any difference sends the line to the full scan.
 *
 * Most value strings repeat too (the content type, mode and encoding, and long prefixes of
 * ids and times), so the line is compared with the template's whole bytes, strings included,
 * in long runs; where a byte differs inside a value string, the line's string is read on to
 * its closing quote and the comparison resumes at the template's closing quote. Equal bytes
 * of a plain template string are plain in the line too. Only the data string (read as CSV)
 * and strings the template holds with escapes are read apart, as stops between runs.
 */
class LineTemplate {
  /** The kernel this template was last copied into (line-kernel.ts), and whether it fit. */
  private copiedTo: LineKernel | undefined = undefined;
  private inKernel = false;
  private spanCount = 0;

  /** @param slot the template's slot in the kernel */
  constructor(private readonly slot: number) {}

  private bytes = new Uint8Array(0);
  /** words[q]: bytes[q, q + 4) as a little-endian int32, to compare 4 bytes at a time. */
  private words = new Int32Array(0);
  /** Per template byte: the value string whose content or closing quote it is, else -1. */
  private spanAt = new Int32Array(0);
  private length = -1;
  private open = new Int32Array(0);
  private close = new Int32Array(0);
  /** The spans read apart, in line order: the data string and strings with escapes. */
  private stops = new Int32Array(0);
  private stopCount = 0;
  private dataSpan = -1;
  private contentTypeSpan = -1;
  private modeSpan = -1;
  private encodingSpan = -1;
  /** The template's own field values, for a line whose field string has the same bytes. */
  private contentTypeValue: string | undefined = undefined;
  private modeValue: string | undefined = undefined;
  private encodingValue: string | undefined = undefined;

  record(
    bytes: Uint8Array,
    start: number,
    end: number,
    spans: number,
    dataSpan: number,
    contentTypeSpan: number,
    modeSpan: number,
    encodingSpan: number,
  ): void {
    const length = end - start;
    if (this.bytes.length < length) {
      const size = Math.max(length, this.bytes.length * 2);
      this.bytes = new Uint8Array(size);
      this.words = new Int32Array(size);
      this.spanAt = new Int32Array(size);
    }
    const t = this.bytes;
    t.set(bytes.subarray(start, end));
    this.length = length;
    for (let q = 0; q + 4 <= length; q++) {
      this.words[q] =
        (t[q] as number) |
        ((t[q + 1] as number) << 8) |
        ((t[q + 2] as number) << 16) |
        ((t[q + 3] as number) << 24);
    }
    if (this.open.length < spans) {
      this.open = new Int32Array(spanOpen.length);
      this.close = new Int32Array(spanOpen.length);
      this.stops = new Int32Array(spanOpen.length);
    }
    this.open.set(spanOpen.subarray(0, spans));
    this.close.set(spanClose.subarray(0, spans));
    this.spanAt.fill(-1, 0, length);
    this.stopCount = 0;
    for (let k = 0; k < spans; k++) {
      const open = spanOpen[k] as number;
      const close = spanClose[k] as number;
      let plain = k !== dataSpan;
      for (let q = open + 1; q <= close; q++) {
        this.spanAt[q] = k;
        if (q < close && STRING_STOP[t[q] as number] !== 0) plain = false;
      }
      if (!plain) this.stops[this.stopCount++] = k;
    }
    const value = (span: number) =>
      span < 0
        ? undefined
        : Buffer.from(
            t.buffer,
            t.byteOffset + (spanOpen[span] as number) + 1,
            (spanClose[span] as number) - (spanOpen[span] as number) - 1,
          ).toString('utf8');
    this.contentTypeValue = value(contentTypeSpan);
    this.modeValue = value(modeSpan);
    this.encodingValue = value(encodingSpan);
    this.dataSpan = dataSpan;
    this.contentTypeSpan = contentTypeSpan;
    this.modeSpan = modeSpan;
    this.encodingSpan = encodingSpan;
    this.spanCount = spans;
    this.copiedTo = undefined;
  }

  private copyTo(kernel: LineKernel): void {
    this.copiedTo = kernel;
    this.inKernel = kernel.setTemplate(
      this.slot,
      this.bytes,
      this.length,
      this.spanAt,
      this.open,
      this.close,
      this.spanCount,
      this.stops,
      this.stopCount,
      {
        data: this.dataSpan,
        contentType: this.contentTypeSpan,
        mode: this.modeSpan,
        encoding: this.encodingSpan,
      },
    );
  }

  /** The kernel's Yes: its cells are `stagedRow`'s, its offsets go into `captureSpan`. */
  private acceptKernel(kernel: LineKernel, bytes: Uint8Array): boolean {
    // The kernel's arrays stand in as the staged row (the JavaScript path writes them too).
    if (stagedRow.kinds !== kernel.kinds) {
      stagedRow.kinds = kernel.kinds;
      stagedRow.values = kernel.values;
    }
    const out = kernel.out;
    const shift = kernel.shift;
    stagedRow.columns = out[KernelOut.Columns] as number;
    // Offsets into the caller's bytes; a field string the template's own stays -1. (No helper
    // closure: one made per line was most of the run's young garbage.)
    const contentTypeStart = out[KernelOut.ContentTypeStart] as number;
    const modeStart = out[KernelOut.ModeStart] as number;
    const encodingStart = out[KernelOut.EncodingStart] as number;
    return this.accept(
      bytes,
      (out[KernelOut.DataStart] as number) + shift,
      (out[KernelOut.DataEnd] as number) + shift,
      contentTypeStart < 0 ? -1 : contentTypeStart + shift,
      (out[KernelOut.ContentTypeEnd] as number) + shift,
      modeStart < 0 ? -1 : modeStart + shift,
      (out[KernelOut.ModeEnd] as number) + shift,
      encodingStart < 0 ? -1 : encodingStart + shift,
      (out[KernelOut.EncodingEnd] as number) + shift,
    );
  }

  /** A line with the template's structure: where its data and differing field strings are. */
  private accept(
    bytes: Uint8Array,
    dataStart: number,
    dataEnd: number,
    contentTypeStart: number,
    contentTypeEnd: number,
    modeStart: number,
    modeEnd: number,
    encodingStart: number,
    encodingEnd: number,
  ): boolean {
    captureSpan.dataStart = dataStart;
    captureSpan.dataEnd = dataEnd;
    captureSpan.dataEscaped = false;
    captureSpan.dataStaged = true;
    captureSpan.observedContentType =
      this.contentTypeSpan < 0
        ? undefined
        : contentTypeStart < 0
          ? this.contentTypeValue
          : contentTypes.get(bytes, contentTypeStart, contentTypeEnd);
    captureSpan.mode =
      this.modeSpan < 0 ? undefined : modeStart < 0 ? this.modeValue : modes.get(bytes, modeStart, modeEnd);
    captureSpan.encoding =
      this.encodingSpan < 0
        ? undefined
        : encodingStart < 0
          ? this.encodingValue
          : encodings.get(bytes, encodingStart, encodingEnd);
    return true;
  }

  /** True (and `captureSpan`, `stagedRow` set) when the line has this template's structure. */
  match(bytes: Uint8Array, start: number, end: number): boolean {
    const length = this.length;
    if (length < 0) return false;
    const kernel = lineKernel();
    if (kernel !== undefined) {
      if (this.copiedTo !== kernel) this.copyTo(kernel);
      if (this.inKernel) {
        const answer = kernel.match(this.slot, bytes, start, end);
        if (answer === KernelAnswer.Yes) return this.acceptKernel(kernel, bytes);
        if (answer === KernelAnswer.No) return false;
      }
    }
    const t = this.bytes;
    const words = this.words;
    const spanAt = this.spanAt;
    const view = viewOf(bytes);
    let p = start;
    let q = 0;
    let dataStart = 0;
    let dataEnd = 0;
    // Where a field's string differs from the template's (-1: the same, so its value is the template's).
    let contentTypeStart = -1;
    let contentTypeEnd = 0;
    let modeStart = -1;
    let modeEnd = 0;
    let encodingStart = -1;
    let encodingEnd = 0;
    for (let stop = 0; ; stop++) {
      const stopSpan = stop < this.stopCount ? (this.stops[stop] as number) : -1;
      // The run goes up to and including the stop's opening quote, or to the template's end.
      const runEnd = stopSpan < 0 ? length : (this.open[stopSpan] as number) + 1;
      while (q < runEnd) {
        // 8 bytes a step (two words, one branch), then one more word.
        while (
          runEnd - q >= 8 &&
          end - p >= 8 &&
          ((view.getInt32(p, true) ^ (words[q] as number)) |
            (view.getInt32(p + 4, true) ^ (words[q + 4] as number))) ===
            0
        ) {
          p += 8;
          q += 8;
        }
        if (runEnd - q >= 4 && end - p >= 4 && view.getInt32(p, true) === words[q]) {
          p += 4;
          q += 4;
        }
        while (q < runEnd && p < end && bytes[p] === t[q]) {
          p++;
          q++;
        }
        if (q === runEnd) break;
        const k = spanAt[q] as number;
        if (k < 0 || p >= end) return false;
        // Inside value string k the line differs: its string goes on to its own closing quote.
        const contentStart = p - (q - (this.open[k] as number) - 1);
        while (STRING_STOP[bytes[p] as number] === 0) p++;
        if (p >= end || bytes[p] !== 34) return false;
        if (k === this.contentTypeSpan) {
          contentTypeStart = contentStart;
          contentTypeEnd = p;
        } else if (k === this.modeSpan) {
          modeStart = contentStart;
          modeEnd = p;
        } else if (k === this.encodingSpan) {
          encodingStart = contentStart;
          encodingEnd = p;
        }
        q = this.close[k] as number;
      }
      if (stopSpan < 0) break;
      // A stop: p is just after the line's opening quote.
      if (stopSpan === this.dataSpan) {
        const after = stageCsvString(bytes, p - 1, end);
        if (after < 0) return false;
        dataStart = p;
        dataEnd = after - 1;
        p = after - 1;
      } else {
        while (STRING_STOP[bytes[p] as number] === 0) p++;
        if (p >= end || bytes[p] !== 34) return false;
      }
      q = this.close[stopSpan] as number;
    }
    if (p !== end) return false;
    return this.accept(
      bytes,
      dataStart,
      dataEnd,
      contentTypeStart,
      contentTypeEnd,
      modeStart,
      modeEnd,
      encodingStart,
      encodingEnd,
    );
  }
}

/** A DataView of the bytes last matched (one per chunk the reader is handed, not per line). */
let viewed: Uint8Array | null = null;
let view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));

function viewOf(bytes: Uint8Array): DataView<ArrayBufferLike> {
  if (bytes !== viewed) {
    viewed = bytes;
    view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  return view;
}

const inputTemplate = new LineTemplate(0);
const outputTemplate = new LineTemplate(1);

/**
 * Scans the line bytes[start, end) (no newline in it). True exactly when JSON.parse would
 * accept the line's text and `JSON.parse(line).captureData[side].data` is a string (last
 * occurrences of keys winning); then `captureSpan` says where the data is and holds the
 * side's string fields.
 */
export function scanCaptureLine(bytes: Uint8Array, start: number, end: number, side: CaptureSide): boolean {
  if ((side === 'endpointInput' ? inputTemplate : outputTemplate).match(bytes, start, end)) return true;
  return scanFully(bytes, start, end, side);
}

function scanFully(bytes: Uint8Array, start: number, end: number, side: CaptureSide): boolean {
  const sideKey = side === 'endpointInput' ? KEY_INPUT : KEY_OUTPUT;
  let i = skipSpaces(bytes, start, end);
  // Any other top-level value has no captureData, valid JSON or not.
  if (i >= end || bytes[i] !== 123) return false;
  let depth = 0;
  // The container at depth 2 is the last captureData object / at depth 3 its last side object.
  let inCapture = false;
  let inSide = false;
  // The last captureData is an object; within it the last side is an object; within that
  // the last data is a string.
  let captureIsObject = false;
  let sideIsObject = false;
  let hasData = false;
  let dataStart = 0;
  let dataEnd = 0;
  let dataEscaped = false;
  let dataStaged = false;
  let contentType: string | undefined;
  let mode: string | undefined;
  let encoding: string | undefined;
  let field: Field = Field.Other;
  let expectValue = true;
  // The value strings met (for the template), and which of them hold the side's fields.
  let spanCount = 0;
  let dataSpan = -1;
  let contentTypeSpan = -1;
  let modeSpan = -1;
  let encodingSpan = -1;
  for (;;) {
    if (expectValue) {
      i = skipSpaces(bytes, i, end);
      if (i >= end) return false;
      const c = bytes[i] as number;
      if (c === 123 || c === 91) {
        const isObject = c === 123;
        if (depth === stack.length) {
          const bigger = new Uint8Array(stack.length * 2);
          bigger.set(stack);
          stack = bigger;
        }
        stack[depth++] = isObject ? 1 : 2;
        switch (field) {
          case Field.CaptureData:
            captureIsObject = isObject;
            inCapture = isObject;
            sideIsObject = false;
            break;
          case Field.Side:
            sideIsObject = isObject;
            inSide = isObject;
            hasData = false;
            contentType = mode = encoding = undefined;
            contentTypeSpan = modeSpan = encodingSpan = -1;
            break;
          case Field.Data:
            hasData = false;
            break;
          case Field.ContentType:
            contentType = undefined;
            contentTypeSpan = -1;
            break;
          case Field.Mode:
            mode = undefined;
            modeSpan = -1;
            break;
          case Field.Encoding:
            encoding = undefined;
            encodingSpan = -1;
            break;
        }
        i = skipSpaces(bytes, i + 1, end);
        if (i < end && bytes[i] === (isObject ? 125 : 93)) {
          // Empty: the close is read below.
          field = Field.Other;
          expectValue = false;
          continue;
        }
        if (isObject) {
          i = readKey(bytes, i, end, depth, inCapture, inSide, sideKey);
          if (i < 0) return false;
          field = keyField;
        } else {
          field = Field.Other;
        }
        continue;
      }
      let after: number;
      if (c === 34) {
        if (field === Field.Data) {
          after = stageCsvString(bytes, i, end);
          dataStaged = after >= 0;
          if (!dataStaged) after = skipString(bytes, i, end);
        } else {
          after = skipString(bytes, i, end);
        }
        if (after < 0) return false;
        if (spanCount === spanOpen.length) growSpans();
        spanOpen[spanCount] = i - start;
        spanClose[spanCount] = after - 1 - start;
        switch (field) {
          case Field.Data:
            dataSpan = spanCount;
            hasData = true;
            dataStart = i + 1;
            dataEnd = after - 1;
            dataEscaped = !dataStaged && stringEscaped;
            break;
          case Field.ContentType:
            contentType = stringEscaped
              ? decodeJsonString(bytes, i, after - 1)
              : contentTypes.get(bytes, i + 1, after - 1);
            contentTypeSpan = stringEscaped ? -2 : spanCount;
            break;
          case Field.Mode:
            mode = stringEscaped ? decodeJsonString(bytes, i, after - 1) : modes.get(bytes, i + 1, after - 1);
            modeSpan = stringEscaped ? -2 : spanCount;
            break;
          case Field.Encoding:
            encoding = stringEscaped
              ? decodeJsonString(bytes, i, after - 1)
              : encodings.get(bytes, i + 1, after - 1);
            encodingSpan = stringEscaped ? -2 : spanCount;
            break;
        }
        spanCount++;
      } else {
        if (c === 116) after = skipLiteral(bytes, i, end, TRUE);
        else if (c === 102) after = skipLiteral(bytes, i, end, FALSE);
        else if (c === 110) after = skipLiteral(bytes, i, end, NULL);
        else after = skipNumber(bytes, i, end);
        if (after < 0) return false;
        switch (field) {
          case Field.Data:
            hasData = false;
            break;
          case Field.ContentType:
            contentType = undefined;
            contentTypeSpan = -1;
            break;
          case Field.Mode:
            mode = undefined;
            modeSpan = -1;
            break;
          case Field.Encoding:
            encoding = undefined;
            encodingSpan = -1;
            break;
        }
      }
      switch (field) {
        case Field.CaptureData:
          captureIsObject = false;
          sideIsObject = false;
          break;
        case Field.Side:
          sideIsObject = false;
          break;
      }
      field = Field.Other;
      i = after;
      expectValue = false;
      continue;
    }
    // After a value: a comma or the close of the innermost container.
    i = skipSpaces(bytes, i, end);
    if (i >= end) return false;
    const c = bytes[i] as number;
    const isObject = stack[depth - 1] === 1;
    if (c === 44) {
      if (isObject) {
        i = readKey(bytes, i + 1, end, depth, inCapture, inSide, sideKey);
        if (i < 0) return false;
        field = keyField;
      } else {
        i++;
        field = Field.Other;
      }
      expectValue = true;
      continue;
    }
    if (c !== (isObject ? 125 : 93)) return false;
    i++;
    if (depth === 2) inCapture = false;
    else if (depth === 3) inSide = false;
    depth--;
    if (depth === 0) break;
  }
  if (skipSpaces(bytes, i, end) !== end) return false;
  if (!(captureIsObject && sideIsObject && hasData)) return false;
  // A template of this line for the next ones, unless a field needed decoding.
  if (dataStaged && contentTypeSpan !== -2 && modeSpan !== -2 && encodingSpan !== -2) {
    const template = side === 'endpointInput' ? inputTemplate : outputTemplate;
    template.record(bytes, start, end, spanCount, dataSpan, contentTypeSpan, modeSpan, encodingSpan);
  }
  captureSpan.dataStart = dataStart;
  captureSpan.dataEnd = dataEnd;
  captureSpan.dataEscaped = dataEscaped;
  captureSpan.dataStaged = dataStaged;
  captureSpan.observedContentType = contentType;
  captureSpan.mode = mode;
  captureSpan.encoding = encoding;
  return true;
}
