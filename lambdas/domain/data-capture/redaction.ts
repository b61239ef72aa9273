import { createHmac } from 'node:crypto';
import { ValidationException } from '../kernel/errors.js';
import { compileJsonPath, InvalidJsonPathError, type JsonPath } from '../kernel/json-path.js';
import { mediaType } from '../kernel/media-type.js';
import type { CaptureRedaction, RedactionSelector } from '../kernel/records.js';
import type { ContentTypeRules } from './capture-record.js';

// CSV columns are named by index, not header: InvokeEndpoint's CSV has no header row, and the
// data plane does not know a baseline's feature names (the monitor does, and names positional
// features `_c<index>` by the same index).
export type { CaptureRedaction, RedactionSelector };

/** The key of the HMAC that hashed fields get (the platform's redaction secret). */
export type RedactionKey = () => Promise<Uint8Array>;

/** Checks a redaction before it is stored: paths compile, columns are indices, no field in both lists. */
export function checkCaptureRedaction(redaction: CaptureRedaction): void {
  const seen = new Map<string, string>();
  for (const [list, selectors] of [
    ['Drop', redaction.Drop],
    ['Hash', redaction.Hash],
  ] as const) {
    for (const [i, selector] of selectors.entries()) {
      if ('JsonPath' in selector) {
        try {
          compileJsonPath(selector.JsonPath);
        } catch (error) {
          if (error instanceof InvalidJsonPathError) {
            throw new ValidationException(`${list}[${i}].JsonPath: ${error.message}.`, { cause: error });
          }
          throw error;
        }
        if (selector.JsonPath.trim() === '$') {
          throw new ValidationException(
            `${list}[${i}].JsonPath must name a field inside the payload, not the whole payload.`,
          );
        }
      }
      const id = selectorId(selector);
      const other = seen.get(id);
      if (other !== undefined) {
        throw new ValidationException(
          `${list}[${i}] names the same field as ${other}: drop it or hash it, not both.`,
        );
      }
      seen.set(id, `${list}[${i}]`);
    }
  }
}

function selectorId(selector: RedactionSelector): string {
  return 'JsonPath' in selector ? `json:${selector.JsonPath.trim()}` : `csv:${selector.CsvColumn}`;
}

/**
 * The request body as captures, shadow captures and dead letters may hold it. JSON (by the
 * capture's JSON content types, or any `+json` type the model accepts): a dropped field is
 * removed from its object, or set to null in an array (so the other positions keep their
 * meaning); a hashed one becomes the hex HMAC-SHA256 of its text (a string's own text, any
 * other value's JSON). CSV: a dropped cell is emptied and a hashed one replaced by the HMAC of
 * its trimmed text, so every column keeps its index and the baseline's columns still line up.
 * Hashed values are equal exactly when the inputs were, so the monitor still counts them, as
 * categorical strings. A body that is neither JSON nor CSV cannot be redacted field by field
 * and is withheld entirely (empty).
 */
export async function redactRequestBody(
  body: Uint8Array,
  contentType: string | undefined,
  rules: ContentTypeRules,
  redaction: CaptureRedaction,
  key: RedactionKey,
): Promise<Uint8Array> {
  const type = mediaType(contentType);
  const hmac = hasher(await key());
  const text = Buffer.from(body).toString('utf8');
  if (rules.csvContentTypes.some((t) => mediaType(t) === type)) {
    return Buffer.from(redactCsv(text, redaction, hmac), 'utf8');
  }
  if (rules.jsonContentTypes.some((t) => mediaType(t) === type) || type.endsWith('+json')) {
    const redacted = redactJson(text, redaction, hmac);
    return Buffer.from(redacted ?? '', 'utf8');
  }
  return new Uint8Array();
}

type Hasher = (text: string) => string;

function hasher(key: Uint8Array): Hasher {
  return (text) => createHmac('sha256', key).update(text, 'utf8').digest('hex');
}

function columns(selectors: readonly RedactionSelector[]): Set<number> {
  return new Set(selectors.flatMap((s) => ('CsvColumn' in s ? [s.CsvColumn] : [])));
}

function paths(selectors: readonly RedactionSelector[]): JsonPath[] {
  return selectors.flatMap((s) => ('JsonPath' in s ? [compileJsonPath(s.JsonPath)] : []));
}

function redactCsv(text: string, redaction: CaptureRedaction, hmac: Hasher): string {
  const drop = columns(redaction.Drop);
  const hash = columns(redaction.Hash);
  if (drop.size === 0 && hash.size === 0) return text;
  return text
    .split('\n')
    .map((line) => {
      const cr = line.endsWith('\r');
      const cells = (cr ? line.slice(0, -1) : line).split(',');
      if (cells.length === 1 && cells[0]?.trim() === '') return line;
      const out = cells.map((cell, i) => (drop.has(i) ? '' : hash.has(i) ? hmac(cell.trim()) : cell));
      return out.join(',') + (cr ? '\r' : '');
    })
    .join('\n');
}

/** Undefined when the body is not JSON (the model refused it, but fail closed anyway). */
function redactJson(text: string, redaction: CaptureRedaction, hmac: Hasher): string | undefined {
  const drop = paths(redaction.Drop);
  const hash = paths(redaction.Hash);
  if (drop.length === 0 && hash.length === 0) return text;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  for (const path of hash) {
    for (const { container, key } of path.locate(doc)) {
      const value = (container as Record<string | number, unknown>)[key];
      (container as Record<string | number, unknown>)[key] = hmac(
        typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null'),
      );
    }
  }
  for (const path of drop) {
    for (const { container, key } of path.locate(doc)) {
      if (Array.isArray(container)) container[key as number] = null;
      else delete container[key as string];
    }
  }
  return JSON.stringify(doc);
}
