/**
 * Reading a channel's objects into a Dataset, as SageMaker's built-in algorithms read them:
 * CSV with no header and the label in the first column (`text/csv`, also `text/csv;
 * label_size=1`), or JSON Lines (`application/jsonlines`), each line `{"label": y,
 * "features": [...]}` or an array `[y, x1, x2, ...]`. Anything else is a ValidationException
 * naming the channel, the line and the value.
 */
import { ValidationException } from '../kernel/errors.js';
import type { Dataset } from './algorithm.js';

export type ChannelFormat = 'csv' | 'jsonlines';

/** The format a channel's ContentType names; undefined (SageMaker's default) is CSV. */
export function channelFormat(contentType: string | undefined, channel: string): ChannelFormat {
  const type = (contentType ?? 'text/csv').split(';')[0]?.trim().toLowerCase();
  if (type === 'text/csv' || type === 'csv') return 'csv';
  if (
    type === 'application/jsonlines' ||
    type === 'application/x-jsonlines' ||
    type === 'application/jsonl'
  ) {
    return 'jsonlines';
  }
  throw new ValidationException(
    `Channel ${channel}: ContentType '${contentType}' is not one Understudy's built-in algorithms read; use text/csv (no header, the label first) or application/jsonlines.`,
  );
}

class Rows {
  readonly features: number[] = [];
  readonly labels: number[] = [];
  columns = -1;
  constructor(private readonly channel: string) {}

  add(values: readonly unknown[], where: string): void {
    if (values.length < 2) {
      throw new ValidationException(
        `Channel ${this.channel}, ${where}: a row needs the label (first) and at least one feature; it has ${values.length} value${values.length === 1 ? '' : 's'}.`,
      );
    }
    if (this.columns === -1) this.columns = values.length - 1;
    else if (values.length - 1 !== this.columns) {
      throw new ValidationException(
        `Channel ${this.channel}, ${where}: ${values.length - 1} features where the rows before have ${this.columns}.`,
      );
    }
    values.forEach((value, i) => {
      const n = toNumber(value);
      if (n === undefined || (i === 0 && Number.isNaN(n))) {
        const what = i === 0 ? 'the label' : `feature ${i}`;
        throw new ValidationException(
          `Channel ${this.channel}, ${where}: ${what} '${String(value)}' is not a number (built-in algorithms take numeric CSV without a header, the label first).`,
        );
      }
      if (i === 0) this.labels.push(n);
      else this.features.push(n);
    });
  }
}

/** A number, NaN for an empty field or null (a missing value), undefined when it is not numeric. */
function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (value === null) return Number.NaN;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text === '' || text.toLowerCase() === 'nan') return Number.NaN;
  const n = Number(text);
  return Number.isNaN(n) ? undefined : n;
}

/** Parses a channel's files (in key order) into one Dataset. */
export function parseChannel(
  files: readonly { key: string; text: string }[],
  format: ChannelFormat,
  channel: string,
): Dataset {
  const rows = new Rows(channel);
  for (const file of files) {
    const lines = file.text.split('\n');
    lines.forEach((raw, index) => {
      const line = raw.replace(/\r$/, '');
      if (line.trim() === '') return;
      const where = `${file.key} line ${index + 1}`;
      if (format === 'csv') {
        rows.add(line.split(','), where);
        return;
      }
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        throw new ValidationException(`Channel ${channel}, ${where}: not a JSON value.`);
      }
      if (Array.isArray(value)) rows.add(value, where);
      else if (
        value &&
        typeof value === 'object' &&
        Array.isArray((value as { features?: unknown }).features)
      ) {
        const record = value as { label?: unknown; features: unknown[] };
        rows.add([record.label ?? '', ...record.features], where);
      } else {
        throw new ValidationException(
          `Channel ${channel}, ${where}: a JSON line must be {"label": y, "features": [...]} or [y, x1, ...].`,
        );
      }
    });
  }
  if (rows.labels.length === 0) throw new ValidationException(`Channel ${channel} holds no rows.`);
  return {
    rows: rows.labels.length,
    columns: rows.columns,
    features: Float64Array.from(rows.features),
    labels: Float64Array.from(rows.labels),
  };
}
