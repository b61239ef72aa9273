import { exactDecimal } from '../kernel/decimal.js';
import { ValidationError } from '../kernel/errors.js';
import { jsonNestingDepth } from '../kernel/json-text.js';
import { mediaType } from '../kernel/media-type.js';

/** A request's rows (instances): numbers, or nested arrays of numbers for higher-rank inputs. */
export type Instance = number | Instance[];

export const CSV = 'text/csv';
export const JSON_TYPE = 'application/json';
const SUPPORTED_ACCEPT = [JSON_TYPE, CSV] as const;
export type ResponseType = (typeof SUPPORTED_ACCEPT)[number];
/**
 * One decoder for every request: decoding without `stream` keeps no state between calls, and
 * `fatal` refuses malformed UTF-8 rather than feeding U+FFFD to the number parser.
 */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** SageMaker Runtime's limit on an InvokeEndpoint body (the service model's BodyBlob max). */
export const MAX_BODY_BYTES = 6_291_456;

/**
 * Bounds on a request's rows. The structural ones hold everywhere a payload is decoded;
 * `maxRows` only where the caller sets it (the data plane, from UNDERSTUDY_MAX_ROWS), so
 * that the shadow consumer never refuses a request the data plane accepted.
 */
export interface PayloadLimits {
  /** @default no limit */
  readonly maxRows?: number;
  /** Values on one CSV line. @default MAX_CSV_COLUMNS */
  readonly maxColumns?: number;
  /** Nesting of a JSON body, the `{"instances": ...}` wrapper included. @default MAX_JSON_DEPTH */
  readonly maxJsonDepth?: number;
}

/** The data plane's default row limit (UNDERSTUDY_MAX_ROWS unset). */
export const DEFAULT_MAX_ROWS = 10_000;
/** A 224×224×3 image flattened is 150,528 values: room for that, not for a 6 MB line of commas. */
export const MAX_CSV_COLUMNS = 200_000;
/** Rows of rank-5 tensors inside the wrapper nest 7 deep; past 32 a body is not a tensor. */
export const MAX_JSON_DEPTH = 32;

/**
 * A CSV value: a decimal number. `Number()` alone would also read '0x1F', '0b1', 'Infinity'
 * and ' ' (as 0); those are refused, as are 'nan' and 'inf' in every spelling: a model's
 * answer to a non-finite input is undefined, so the client hears of it instead.
 */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Refuses a body over SageMaker's 6 MB limit, as SageMaker's serverless endpoints do (ValidationError). */
export function checkBodySize(body: Uint8Array): void {
  if (body.byteLength > MAX_BODY_BYTES) {
    throw new ValidationError(
      `Request body is ${body.byteLength} bytes: InvokeEndpoint accepts at most ${MAX_BODY_BYTES} bytes (6 MB).`,
    );
  }
}

/** Parses a request body into instances according to its Content-Type. */
export function decodeInstances(
  body: Uint8Array,
  contentType: string | undefined,
  limits: PayloadLimits = {},
): Instance[] {
  if (body.byteLength === 0) throw new ValidationError('Request body is empty: send at least one row.');
  checkBodySize(body);
  const type = mediaType(contentType);
  const isCsv = type === CSV;
  if (!isCsv && type !== JSON_TYPE && !type.endsWith('+json')) {
    throw new ValidationError(
      `Content-Type '${truncate(contentType ?? '')}' is not supported: send text/csv rows or application/json ({"instances": [[...]]} or an array of rows).`,
    );
  }
  let text: string;
  try {
    text = UTF8.decode(body);
  } catch (error) {
    throw new ValidationError('Request body is not valid UTF-8.', { cause: error });
  }
  const rows = isCsv
    ? decodeCsv(text, limits.maxColumns ?? MAX_CSV_COLUMNS)
    : decodeJson(text, limits.maxJsonDepth ?? MAX_JSON_DEPTH);
  if (limits.maxRows !== undefined && rows.length > limits.maxRows) {
    throw new ValidationError(
      `Request holds ${rows.length} rows: this endpoint accepts at most ${limits.maxRows}.`,
    );
  }
  return rows;
}

function decodeCsv(text: string, maxColumns: number): Instance[] {
  return decodePlainCsv(text, maxColumns) ?? decodeAnyCsv(text, maxColumns);
}

const COMMA = 44;
const NEWLINE = 10;
const RETURN = 13;

/**
 * CSV as clients send it — decimal numbers, commas and line breaks, nothing else — read in one
 * pass over the characters, without the line and cell arrays and the regular expression of
 * decodeAnyCsv. Undefined for anything else (spaces, an empty cell, a value that is not a
 * decimal or not finite, too many values, no rows), which decodeAnyCsv then reads or refuses
 * with its message: what this returns is always what decodeAnyCsv returns for the same text
 * (a property test holds them to it).
 */
export function decodePlainCsv(text: string, maxColumns: number): Instance[] | undefined {
  // Trailing line breaks end the last row rather than add empty ones.
  let end = text.length;
  while (end > 0) {
    const c = text.charCodeAt(end - 1);
    if (c !== NEWLINE && c !== RETURN) break;
    end--;
  }
  if (end === 0) return undefined;
  const rows: Instance[] = [];
  let row: number[] = [];
  let start = 0;
  for (let i = 0; i <= end; i++) {
    const c = i === end ? NEWLINE : text.charCodeAt(i);
    if (c !== COMMA && c !== NEWLINE && c !== RETURN) continue;
    if (row.length === maxColumns) return undefined;
    const value = readDecimal(text, start, i);
    // NaN (not a decimal) and ±Infinity (1e999) alike.
    if (!Number.isFinite(value)) return undefined;
    row.push(value);
    if (c === RETURN) {
      // Only as the first half of a CRLF line break.
      if (text.charCodeAt(i + 1) !== NEWLINE) return undefined;
      i++;
    }
    if (c !== COMMA) {
      rows.push(row);
      row = [];
    }
    start = i + 1;
  }
  return rows;
}

/**
 * The value of text[start, end) if it matches DECIMAL, else NaN. By hand, as it runs once per
 * value of every request: the digits are read once, into the number as well, which is exact
 * for up to 15 significant digits and exponents within ±22 (kernel/decimal.ts); only numbers
 * beyond that are read a second time, by `Number()`, from the substring.
 */
function readDecimal(text: string, start: number, end: number): number {
  let i = start;
  let c = text.charCodeAt(i);
  const negative = c === 45;
  if (c === 43 || c === 45) c = text.charCodeAt(++i);
  let digits = 0;
  let mantissa = 0;
  let significant = 0;
  let exponent = 0;
  while (i < end && c >= 48 && c <= 57) {
    digits++;
    // Leading zeros add nothing, and are not counted against the exact digits.
    if (significant > 0 || c !== 48) {
      significant++;
      mantissa = mantissa * 10 + (c - 48);
    }
    c = text.charCodeAt(++i);
  }
  if (i < end && c === 46) {
    c = text.charCodeAt(++i);
    while (i < end && c >= 48 && c <= 57) {
      digits++;
      if (significant > 0 || c !== 48) {
        significant++;
        mantissa = mantissa * 10 + (c - 48);
      }
      exponent--;
      c = text.charCodeAt(++i);
    }
  }
  if (digits === 0) return Number.NaN;
  if (i < end && (c === 69 || c === 101)) {
    c = text.charCodeAt(++i);
    const exponentNegative = c === 45;
    if (c === 43 || c === 45) c = text.charCodeAt(++i);
    const exponentStart = i;
    let written = 0;
    while (i < end && c >= 48 && c <= 57) {
      // Far past any double's range already; capped so that thousands of digits stay finite.
      if (written < 100_000) written = written * 10 + (c - 48);
      c = text.charCodeAt(++i);
    }
    if (i === exponentStart) return Number.NaN;
    exponent += exponentNegative ? -written : written;
  }
  if (i !== end) return Number.NaN;
  let value = exactDecimal(mantissa, significant, exponent);
  if (Number.isNaN(value)) return Number(text.slice(start, end));
  if (negative) value = -value;
  return value;
}

/** Any CSV the data plane accepts: spaces around values, a clear refusal for the rest. */
function decodeAnyCsv(text: string, maxColumns: number): Instance[] {
  const rows: Instance[] = [];
  const lines = text.split(/\r?\n/);
  // A trailing newline is not an extra row.
  while (lines.length > 0 && lines[lines.length - 1]?.trim() === '') lines.pop();
  // As a JSON body of no rows is: blank lines alone would otherwise be answered with no predictions.
  if (lines.length === 0) throw new ValidationError('CSV body holds no rows: only blank lines.');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '') throw new ValidationError(`CSV line ${i + 1} is empty.`);
    const cells = line.split(',', maxColumns + 1);
    if (cells.length > maxColumns) {
      throw new ValidationError(`CSV line ${i + 1} has more than ${maxColumns} values.`);
    }
    // A plain loop, and the error's wording built only on an error: this runs once per value.
    const row: number[] = new Array(cells.length);
    for (let j = 0; j < cells.length; j++) row[j] = csvNumber(cells[j] as string, i, j);
    rows.push(row);
  }
  return rows;
}

function csvNumber(cell: string, line: number, column: number): number {
  const trimmed = cell.trim();
  if (trimmed === '')
    throw new ValidationError(`${csvWhere(line, column)} is empty: every value is required.`);
  if (!DECIMAL.test(trimmed)) {
    throw new ValidationError(
      `${csvWhere(line, column)}: '${truncate(cell)}' is not a number: write decimals (no NaN, Infinity or hex).`,
    );
  }
  const value = Number(trimmed);
  if (!Number.isFinite(value)) {
    throw new ValidationError(`${csvWhere(line, column)}: '${truncate(cell)}' is out of range.`);
  }
  return value;
}

function csvWhere(line: number, column: number): string {
  return `CSV line ${line + 1}, column ${column + 1}`;
}

function decodeJson(text: string, maxDepth: number): Instance[] {
  if (jsonNestingDepth(text, maxDepth) > maxDepth) {
    throw new ValidationError(`JSON body nests deeper than ${maxDepth} levels.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ValidationError(`Request body is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const instances =
    parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>).instances
      : parsed;
  if (!Array.isArray(instances)) {
    throw new ValidationError('JSON body must be {"instances": [...]} or an array of rows.');
  }
  if (instances.length === 0) throw new ValidationError('JSON body holds no rows.');
  for (const [i, instance] of instances.entries()) checkNumeric(instance, `instances[${i}]`);
  return instances as Instance[];
}

function checkNumeric(value: unknown, path: string): void {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) checkNumeric(item, `${path}[${i}]`);
  } else if (typeof value !== 'number' || !Number.isFinite(value)) {
    // JSON has no NaN or Infinity: a "NaN" string or a null in their place is refused like any non-number.
    throw new ValidationError(
      `${path}: ${truncate(JSON.stringify(value) ?? String(value))} is not a number.`,
    );
  }
}

/** Chooses the response type from an Accept header (JSON when absent or a wildcard). */
export function negotiateResponseType(accept: string | undefined): ResponseType {
  // What the SDKs send, answered before splitting the header into candidates.
  if (accept === JSON_TYPE || accept === CSV) return accept;
  if (!accept || accept.trim() === '') return JSON_TYPE;
  for (const candidate of accept.split(',')) {
    const type = mediaType(candidate);
    if (type === '*/*' || type === 'application/*') return JSON_TYPE;
    if (type === 'text/*') return CSV;
    const supported = SUPPORTED_ACCEPT.find((t) => t === type);
    if (supported) return supported;
  }
  throw new ValidationError(`Accept '${accept}' is not supported: ask for application/json or text/csv.`);
}

/** A model output: its values per row (nested by the output's dimensions after the batch). */
export interface NamedOutput {
  readonly name: string;
  readonly rows: readonly unknown[];
}

/**
 * JSON: {"predictions": [...], "outputs": {name: [...]}} where predictions are the first
 * output's per-row values, a bare number when a row has a single value.
 * CSV: one line per row with the first output's values.
 */
export function encodePredictions(outputs: readonly NamedOutput[], type: ResponseType): string {
  if (type === CSV) {
    return `${predictionsOf(outputs)
      .map((row) => (Array.isArray(row) ? row.flat(Number.POSITIVE_INFINITY) : [row]).join(','))
      .join('\n')}\n`;
  }
  const direct = predictionsJson(outputs);
  if (direct !== undefined) return direct;
  const named: Record<string, readonly unknown[]> = {};
  for (const output of outputs) named[output.name] = output.rows;
  return JSON.stringify({ predictions: predictionsOf(outputs), outputs: named });
}

/**
 * `{"predictions": …, "outputs": {…}}` written directly, byte for byte what JSON.stringify
 * writes, for what models answer (numbers, strings, booleans in nested arrays): the first
 * output's values are converted once for both places they appear, and no objects are built
 * (the bench model's answer: 550 → 140 ns; JSON.stringify was the handler's largest own item
 * after SigV4's hashes). Undefined for anything else, or for output names an object would
 * reorder or merge (repeated, `__proto__`, starting with a digit).
 */
function predictionsJson(outputs: readonly NamedOutput[]): string | undefined {
  const first = outputs[0];
  let predictions = '[';
  let firstRows = '[';
  if (first !== undefined) {
    for (let r = 0; r < first.rows.length; r++) {
      let value: unknown = first.rows[r];
      let depth = 0;
      while (Array.isArray(value) && value.length === 1) {
        value = value[0];
        depth++;
      }
      const json = jsonOf(value);
      if (json === undefined) return undefined;
      const separator = r === 0 ? '' : ',';
      predictions += separator + json;
      firstRows += `${separator}${'['.repeat(depth)}${json}${']'.repeat(depth)}`;
    }
  }
  let named = '{';
  for (let o = 0; o < outputs.length; o++) {
    const output = outputs[o] as NamedOutput;
    // An object would put names that are array indices ("0") first, and merge `__proto__`.
    const lead = output.name.charCodeAt(0);
    if (output.name === '__proto__' || (lead >= 48 && lead <= 57)) return undefined;
    for (let earlier = 0; earlier < o; earlier++)
      if ((outputs[earlier] as NamedOutput).name === output.name) return undefined;
    const rows = o === 0 ? `${firstRows}]` : jsonOf(output.rows);
    if (rows === undefined) return undefined;
    named += `${o === 0 ? '' : ','}${JSON.stringify(output.name)}:${rows}`;
  }
  return `{"predictions":${predictions}],"outputs":${named}}}`;
}

/** JSON of a number, string, boolean, null or plain array of them; undefined for anything else. */
function jsonOf(value: unknown): string | undefined {
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (!Array.isArray(value)) return undefined;
      let out = '[';
      for (let i = 0; i < value.length; i++) {
        const item = jsonOf(value[i]);
        if (item === undefined) return undefined;
        out += i === 0 ? item : `,${item}`;
      }
      return `${out}]`;
    }
    default:
      return undefined;
  }
}

/** Per-row predictions: the first output's values, a bare value when a row has a single one. */
export function predictionsOf(outputs: readonly NamedOutput[]): unknown[] {
  return (outputs[0]?.rows ?? []).map(unwrapSingle);
}

function unwrapSingle(row: unknown): unknown {
  let value = row;
  while (Array.isArray(value) && value.length === 1) value = value[0];
  return value;
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
