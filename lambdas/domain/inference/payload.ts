import { ValidationError } from '../kernel/errors.js';
import { mediaType } from '../kernel/media-type.js';

/** A request's rows (instances): numbers, or nested arrays of numbers for higher-rank inputs. */
export type Instance = number | Instance[];

export const CSV = 'text/csv';
export const JSON_TYPE = 'application/json';
const SUPPORTED_ACCEPT = [JSON_TYPE, CSV] as const;
export type ResponseType = (typeof SUPPORTED_ACCEPT)[number];
/** One decoder for every request: decoding without `stream` keeps no state between calls. */
const UTF8 = new TextDecoder('utf-8');

/** Parses a request body into instances according to its Content-Type. */
export function decodeInstances(body: Uint8Array, contentType: string | undefined): Instance[] {
  if (body.byteLength === 0) throw new ValidationError('Request body is empty: send at least one row.');
  const type = mediaType(contentType);
  const text = UTF8.decode(body);
  if (type === CSV) return decodeCsv(text);
  if (type === JSON_TYPE || type.endsWith('+json')) return decodeJson(text);
  throw new ValidationError(
    `Content-Type '${contentType ?? ''}' is not supported: send text/csv rows or application/json ({"instances": [[...]]} or an array of rows).`,
  );
}

function decodeCsv(text: string): Instance[] {
  const rows: Instance[] = [];
  const lines = text.split(/\r?\n/);
  // A trailing newline is not an extra row.
  while (lines.length > 0 && lines[lines.length - 1]?.trim() === '') lines.pop();
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') throw new ValidationError(`CSV line ${i + 1} is empty.`);
    rows.push(
      line.split(',').map((cell, j) => {
        const trimmed = cell.trim();
        const value = Number(trimmed);
        if (trimmed === '' || !Number.isFinite(value)) {
          throw new ValidationError(
            `CSV line ${i + 1}, column ${j + 1}: '${truncate(cell)}' is not a number.`,
          );
        }
        return value;
      }),
    );
  }
  return rows;
}

function decodeJson(text: string): Instance[] {
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
    throw new ValidationError(
      `${path}: ${truncate(JSON.stringify(value) ?? String(value))} is not a number.`,
    );
  }
}

/** Chooses the response type from an Accept header (JSON when absent or a wildcard). */
export function negotiateResponseType(accept: string | undefined): ResponseType {
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
  const predictions = predictionsOf(outputs);
  if (type === CSV) {
    return `${predictions.map((row) => (Array.isArray(row) ? row.flat(Number.POSITIVE_INFINITY) : [row]).join(',')).join('\n')}\n`;
  }
  const named: Record<string, readonly unknown[]> = {};
  for (const output of outputs) named[output.name] = output.rows;
  return JSON.stringify({ predictions, outputs: named });
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
