/**
 * Suggesting a baseline from a dataset on S3 (Understudy.SuggestBaseline and
 * `understudy baseline suggest`): reads the dataset, writes statistics.json and
 * constraints.json in Model Monitor's schema under the output URI.
 */

import { parseS3Uri } from '../kernel/artifact.js';
import { ValidationException } from '../kernel/errors.js';
import type { ObjectStore } from '../kernel/ports.js';
import {
  featureNamesFromJsonLines,
  formatMonitoringFile,
  MonitoringError,
  type Payload,
  readCsvHeader,
  suggestBaselineFromPayloads,
} from './statistics/index.js';

export type DatasetFormat = { Csv: { Header?: boolean } } | { Json: { Line?: boolean } };

export interface SuggestBaselineRequest {
  readonly DatasetS3Uri: string;
  readonly DatasetFormat: DatasetFormat;
  readonly OutputS3Uri: string;
  /** A processing job's ProcessingOutputConfig.KmsKeyId: the outputs are written SSE-KMS with it. */
  readonly KmsKeyId?: string;
}

export interface SuggestBaselineResult {
  readonly StatisticsS3Uri: string;
  readonly ConstraintsS3Uri: string;
  /** Rows read, features found, and payloads that could not be parsed. */
  readonly Rows: number;
  readonly Features: number;
  readonly UnparseableRecords: number;
}

/**
 * The largest dataset the control Lambda (1 GB) reads: the whole dataset is held and read
 * twice. The CLI, on a machine of its own, passes a larger limit.
 */
export const MAX_DATASET_BYTES = 128 * 2 ** 20;

function checkUri(uri: string, field: string): void {
  if (!/^s3:\/\/[^/]+/.test(uri)) {
    throw new ValidationException(`${field} '${uri}' is not an s3://bucket/key URI.`);
  }
}

/** The dataset's files: the object itself, else every object under it as a prefix. */
export async function datasetFiles(
  objects: ObjectStore,
  uri: string,
  maxBytes: number,
): Promise<{ uri: string; text: string }[]> {
  if (parseS3Uri(uri)) {
    const text = await objects.getText(uri);
    if (text !== undefined) return [{ uri, text }];
  }
  const prefix = uri.endsWith('/') ? uri : `${uri}/`;
  const listed = (await objects.list(prefix)).filter((o) => !o.key.endsWith('/'));
  if (listed.length === 0) {
    throw new ValidationException(`DatasetS3Uri ${uri}: no object or prefix with objects there.`);
  }
  const total = listed.reduce((sum, o) => sum + o.size, 0);
  if (total > maxBytes) {
    throw new ValidationException(
      `DatasetS3Uri ${uri} holds ${total} bytes; at most ${maxBytes} are read for a baseline here (sample it, or run \`understudy baseline suggest\`).`,
    );
  }
  return Promise.all(listed.map(async (o) => ({ uri: o.uri, text: (await objects.getText(o.uri)) ?? '' })));
}

/** Reads the dataset, suggests the baseline and writes both files. Bad input → ValidationException. */
export async function suggestBaselineJob(
  objects: ObjectStore,
  request: SuggestBaselineRequest,
  options: { readonly maxBytes?: number } = {},
): Promise<SuggestBaselineResult> {
  checkUri(request.DatasetS3Uri, 'DatasetS3Uri');
  checkUri(request.OutputS3Uri, 'OutputS3Uri');
  const format = request.DatasetFormat;
  const csv = 'Csv' in format;
  if (!csv && format.Json.Line === false) {
    throw new ValidationException('DatasetFormat.Json needs Line: true (one JSON object per line).');
  }
  const files = await datasetFiles(objects, request.DatasetS3Uri, options.maxBytes ?? MAX_DATASET_BYTES);
  if (files.every((f) => f.text.trim() === '')) {
    throw new ValidationException(`The dataset at ${request.DatasetS3Uri} is empty: it holds no rows.`);
  }
  let featureNames: string[];
  const payloads: Payload[] = [];
  try {
    if (csv) {
      const header = format.Csv.Header !== false;
      featureNames = [];
      for (const file of files) {
        if (file.text.trim() === '') continue;
        if (!header) {
          const [first = ''] = file.text.split('\n', 1);
          const columns = first.split(',').length;
          if (columns > featureNames.length)
            featureNames = Array.from({ length: columns }, (_, i) => `_c${i}`);
          payloads.push({ data: file.text, contentType: 'text/csv' });
          continue;
        }
        const { featureNames: names, body } = readCsvHeader(file.text);
        if (featureNames.length === 0) featureNames = names;
        else if (names.join(',') !== featureNames.join(',')) {
          throw new MonitoringError(
            `${file.uri} has header ${names.join(',')}, unlike the first file's ${featureNames.join(',')}`,
          );
        }
        if (body.trim() !== '') payloads.push({ data: body, contentType: 'text/csv' });
      }
    } else {
      featureNames = featureNamesFromJsonLines(files.map((f) => f.text).join('\n'));
      if (featureNames.length === 0) {
        throw new MonitoringError('no line of the dataset is a JSON object with named features');
      }
      for (const file of files) payloads.push({ data: file.text, contentType: 'application/jsonlines' });
    }
  } catch (error) {
    if (error instanceof MonitoringError) {
      throw new ValidationException(
        `The dataset at ${request.DatasetS3Uri} cannot be used: ${error.message}.`,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
  if (payloads.length === 0) {
    throw new ValidationException(
      `The dataset at ${request.DatasetS3Uri} is empty: it has a header (${featureNames.join(',')}) but no rows.`,
    );
  }
  const { statistics, constraints, parse } = suggestBaselineFromPayloads(payloads, featureNames);
  if (statistics.dataset.item_count === 0) {
    throw new ValidationException(
      `The dataset at ${request.DatasetS3Uri} has no rows that could be read${parse.errors.length ? `: ${parse.errors.join('; ')}` : ''}.`,
    );
  }
  const out = request.OutputS3Uri.replace(/\/+$/, '');
  const StatisticsS3Uri = `${out}/statistics.json`;
  const ConstraintsS3Uri = `${out}/constraints.json`;
  const encryption = { kmsKeyId: request.KmsKeyId };
  await objects.putText(StatisticsS3Uri, formatMonitoringFile(statistics), 'application/json', encryption);
  await objects.putText(ConstraintsS3Uri, formatMonitoringFile(constraints), 'application/json', encryption);
  return {
    StatisticsS3Uri,
    ConstraintsS3Uri,
    Rows: statistics.dataset.item_count,
    Features: statistics.features.length,
    UnparseableRecords: parse.unparseable,
  };
}
