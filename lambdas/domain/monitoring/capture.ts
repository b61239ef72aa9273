/**
 * Turning one side of a data-capture record (`captureData.endpointInput` or `endpointOutput`)
 * into a payload the accumulator can parse.
 */
import type { Payload } from './accumulator.js';

/** SageMaker's capture shape: `{observedContentType, mode, data, encoding}`. */
export interface CaptureData {
  readonly observedContentType?: string;
  readonly mode?: string;
  readonly data: string;
  /** CSV and JSON hold the text as is; BASE64 holds the bytes, base64-encoded. */
  readonly encoding?: string;
}

/** The payload's text (base64 decoded as UTF-8) and media type (`text/csv` when unstated). */
export function decodeCaptureData(capture: CaptureData): Payload {
  const data =
    capture.encoding?.toUpperCase() === 'BASE64'
      ? Buffer.from(capture.data, 'base64').toString('utf8')
      : capture.data;
  const contentType =
    capture.observedContentType ??
    (capture.encoding?.toUpperCase() === 'JSON' ? 'application/json' : 'text/csv');
  return { data, contentType };
}
