/**
 * Reading SageMaker data-capture records: one JSON object per line,
 * `{"captureData": {"endpointInput": {observedContentType, mode, data, encoding},
 * "endpointOutput": {…}}, "eventMetadata": {…}, "eventVersion": "0"}`.
 *
 * `readCaptureLine` picks one side's fields out of a line with a small scanner instead of
 * JSON.parse: parsing every line into objects costs more than all the statistics computed from
 * it. Anything the scanner does not expect (escapes in keys, odd nesting) falls back to
 * JSON.parse, so the result is the same either way. (The monitor's executions read capture
 * files as bytes instead: capture-bytes.ts, through `CaptureReader`; this string reader stays
 * for callers that hold one line of text.)
 */

/** SageMaker's capture shape: `{observedContentType, mode, data, encoding}`. */
export interface CaptureData {
  readonly observedContentType?: string;
  readonly mode?: string;
  readonly data: string;
  /** CSV and JSON hold the text as is; BASE64 holds the bytes, base64-encoded. */
  readonly encoding?: string;
}

export type CaptureSide = 'endpointInput' | 'endpointOutput';

/** A payload to parse: its text and media type (`text/csv`, `application/json`, `application/jsonlines`). */
export interface Payload {
  readonly data: string;
  readonly contentType: string;
}

/** The payload's text (base64 decoded as UTF-8) and media type (`text/csv` when unstated). */
export function decodeCaptureData(capture: CaptureData): Payload {
  const encoding = capture.encoding?.toUpperCase();
  const data = encoding === 'BASE64' ? Buffer.from(capture.data, 'base64').toString('utf8') : capture.data;
  const contentType = capture.observedContentType ?? (encoding === 'JSON' ? 'application/json' : 'text/csv');
  return { data, contentType };
}

/**
 * One side of the capture record on this line, or null when the line is not a capture record
 * holding that side with a string `data`.
 */
export function readCaptureLine(line: string, side: CaptureSide): CaptureData | null {
  const fast = scanSide(line, side);
  if (fast !== undefined) return fast;
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return null;
  }
  const capture = (record as { captureData?: Record<string, unknown> } | null)?.captureData?.[side] as
    | Record<string, unknown>
    | undefined;
  if (!capture || typeof capture.data !== 'string') return null;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    data: capture.data,
    ...(str(capture.observedContentType) === undefined
      ? {}
      : { observedContentType: str(capture.observedContentType) }),
    ...(str(capture.mode) === undefined ? {} : { mode: str(capture.mode) }),
    ...(str(capture.encoding) === undefined ? {} : { encoding: str(capture.encoding) }),
  } as CaptureData;
}

function skipSpace(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13 && c !== 10) return i;
    i++;
  }
}

/**
 * The string literal opening at s[i] and the index after it; undefined if malformed.
 * `plain` says the line holds no backslash, so no string in it has escapes.
 */
function readString(s: string, i: number, plain = false): [string, number] | undefined {
  if (plain) {
    const close = s.indexOf('"', i + 1);
    return close < 0 ? undefined : [s.slice(i + 1, close), close + 1];
  }
  let j = i + 1;
  let escaped = false;
  for (;;) {
    if (j >= s.length) return undefined;
    const c = s.charCodeAt(j);
    if (c === 34) break;
    if (c === 92) {
      escaped = true;
      j++;
    }
    j++;
  }
  if (!escaped) return [s.slice(i + 1, j), j + 1];
  try {
    return [JSON.parse(s.slice(i, j + 1)) as string, j + 1];
  } catch {
    return undefined;
  }
}

/** Index after the JSON value starting at s[i] (scalars, objects, arrays); -1 if malformed. */
function skipValue(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === 34) return readString(s, i)?.[1] ?? -1;
  if (c !== 123 && c !== 91) {
    let j = i;
    while (j < s.length) {
      const d = s.charCodeAt(j);
      if (d === 44 || d === 125 || d === 93) break;
      j++;
    }
    return j > i ? j : -1;
  }
  let depth = 0;
  for (let j = i; j < s.length; j++) {
    const d = s.charCodeAt(j);
    if (d === 34) {
      const end = readString(s, j)?.[1];
      if (end === undefined) return -1;
      j = end - 1;
    } else if (d === 123 || d === 91) {
      depth++;
    } else if (d === 125 || d === 93) {
      depth--;
      if (depth === 0) return j + 1;
    }
  }
  return -1;
}

/** The fast path: undefined means "not sure, use JSON.parse". */
function scanSide(line: string, side: CaptureSide): CaptureData | null | undefined {
  const key = side === 'endpointInput' ? '"endpointInput"' : '"endpointOutput"';
  const at = line.indexOf(key);
  if (at < 0 || line.indexOf(key, at + key.length) >= 0) return undefined;
  let i = skipSpace(line, at + key.length);
  if (line.charCodeAt(i) !== 58) return undefined;
  i = skipSpace(line, i + 1);
  if (line.charCodeAt(i) !== 123) return undefined;
  i++;
  let data: string | undefined;
  let observedContentType: string | undefined;
  let mode: string | undefined;
  let encoding: string | undefined;
  const plain = line.indexOf('\\') < 0;
  for (;;) {
    i = skipSpace(line, i);
    const c = line.charCodeAt(i);
    if (c === 125) break;
    if (c === 44) {
      i++;
      continue;
    }
    if (c !== 34) return undefined;
    const k = readString(line, i, plain);
    if (!k) return undefined;
    i = skipSpace(line, k[1]);
    if (line.charCodeAt(i) !== 58) return undefined;
    i = skipSpace(line, i + 1);
    if (line.charCodeAt(i) === 34) {
      const v = readString(line, i, plain);
      if (!v) return undefined;
      i = v[1];
      if (k[0] === 'data') data = v[0];
      else if (k[0] === 'observedContentType') observedContentType = v[0];
      else if (k[0] === 'encoding') encoding = v[0];
      else if (k[0] === 'mode') mode = v[0];
    } else {
      i = skipValue(line, i);
      if (i < 0) return undefined;
    }
  }
  if (data === undefined) return undefined;
  const capture: { -readonly [K in keyof CaptureData]: CaptureData[K] } = { data };
  if (observedContentType !== undefined) capture.observedContentType = observedContentType;
  if (mode !== undefined) capture.mode = mode;
  if (encoding !== undefined) capture.encoding = encoding;
  return capture;
}
