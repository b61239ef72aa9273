import { randomUUID } from 'node:crypto';
import { mediaType } from '../kernel/media-type.js';

/** How a capture stores a payload: CSV and JSON as text, anything else base64. */
export type CaptureEncoding = 'CSV' | 'JSON' | 'BASE64';

export interface CapturedPayload {
  readonly observedContentType: string;
  readonly mode: 'INPUT' | 'OUTPUT';
  readonly data: string;
  readonly encoding: CaptureEncoding;
}

/** One line of a data-capture file, in SageMaker's format. */
export interface CaptureRecord {
  readonly captureData: { endpointInput?: CapturedPayload; endpointOutput?: CapturedPayload };
  readonly eventMetadata: { eventId: string; inferenceTime: string; inferenceId?: string };
  readonly eventVersion: '0';
}

/** Which content types a capture writes as CSV or JSON text (CaptureContentTypeHeader). */
export interface ContentTypeRules {
  readonly csvContentTypes: readonly string[];
  readonly jsonContentTypes: readonly string[];
}

export const DEFAULT_CONTENT_TYPE_RULES: ContentTypeRules = {
  csvContentTypes: ['text/csv'],
  jsonContentTypes: ['application/json'],
};

/** Encodes a payload for a capture record; `body` is the exact bytes that crossed the wire. */
export function capturePayload(
  body: Uint8Array,
  contentType: string | undefined,
  mode: 'INPUT' | 'OUTPUT',
  rules: ContentTypeRules,
): CapturedPayload {
  const type = mediaType(contentType);
  const observedContentType = contentType ?? '';
  if (rules.csvContentTypes.some((t) => mediaType(t) === type)) {
    return { observedContentType, mode, data: Buffer.from(body).toString('utf8'), encoding: 'CSV' };
  }
  if (rules.jsonContentTypes.some((t) => mediaType(t) === type)) {
    return { observedContentType, mode, data: Buffer.from(body).toString('utf8'), encoding: 'JSON' };
  }
  return { observedContentType, mode, data: Buffer.from(body).toString('base64'), encoding: 'BASE64' };
}

export function newEventId(): string {
  return randomUUID();
}

/**
 * The S3 key of a capture file, as SageMaker lays them out:
 * `{prefix}/{endpoint}/{variant}/yyyy/mm/dd/hh/{mm-ss-SSS}-{unique}.jsonl`, hour from the
 * first record's inference time (UTC).
 */
export function captureKey(
  prefix: string,
  endpoint: string,
  variant: string,
  at: Date,
  unique: string,
): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const hourPath = `${at.getUTCFullYear()}/${p(at.getUTCMonth() + 1)}/${p(at.getUTCDate())}/${p(at.getUTCHours())}`;
  const file = `${p(at.getUTCMinutes())}-${p(at.getUTCSeconds())}-${p(at.getUTCMilliseconds(), 3)}-${unique}.jsonl`;
  const base = prefix.replace(/^\/+|\/+$/g, '');
  return [base, endpoint, variant, hourPath, file].filter((part) => part !== '').join('/');
}

/** The hour bucket a record belongs in (files never span hours). */
export function hourOf(inferenceTime: string): string {
  return inferenceTime.slice(0, 13);
}
