/**
 * Reading a channel's objects into a Dataset, as SageMaker's built-in algorithms read them:
 * CSV with no header and the label in the first column (`text/csv`, also `text/csv;
 * label_size=1`), or JSON Lines (`application/jsonlines`), each line `{"label": y,
 * "features": [...]}` or an array `[y, x1, x2, ...]`. Anything else is a ValidationException
 * naming the channel, the line and the value.
 *
 * Understudy also reads CSV with a header line, or with the label in another column, when the
 * job's hyperparameters say so (CSV_LAYOUT_PARAMETERS). Those two are Understudy's own:
 * SageMaker's built-in algorithms take headerless CSV with the target first and have no such
 * hyperparameters (a notebook written for SageMaker never sends them). They are taken out of
 * the hyperparameters before the algorithm sees them.
 */
import { ValidationException } from '../kernel/errors.js';
import type { Dataset } from './algorithm.js';
import { boolParam, type HyperParameters } from './hyperparameters.js';

/** Understudy's hyperparameters for CSV channels (not SageMaker's): see CsvLayout. */
export const CSV_LAYOUT_PARAMETERS = {
  /** `true`: the first line of each CSV object is a header of column names. Default `false`. */
  header: 'understudy_csv_header',
  /**
   * Which column is the label: a 0-based index, or (with a header) a column's name. Default 0,
   * the first column, as SageMaker's built-ins read CSV.
   */
  labelColumn: 'understudy_csv_label_column',
} as const;

export interface CsvLayout {
  readonly header: boolean;
  /** A 0-based column index, or a header's column name. */
  readonly label: number | string;
}

const SAGEMAKER_LAYOUT: CsvLayout = { header: false, label: 0 };

/**
 * The CSV layout the hyperparameters ask for, and the hyperparameters the algorithm is given
 * (without Understudy's layout parameters). Throws ValidationException for a bad value, or
 * for a layout asked of a JSON Lines channel.
 */
export function csvLayout(
  hp: HyperParameters,
  formats: readonly ChannelFormat[],
): { layout: CsvLayout; algorithmHyperParameters: HyperParameters } {
  const { header: headerKey, labelColumn: labelKey } = CSV_LAYOUT_PARAMETERS;
  const { [headerKey]: _header, [labelKey]: labelRaw, ...algorithmHyperParameters } = hp;
  if (_header === undefined && labelRaw === undefined)
    return { layout: SAGEMAKER_LAYOUT, algorithmHyperParameters };
  if (formats.some((f) => f !== 'csv')) {
    throw new ValidationException(
      `Hyperparameters ${headerKey} and ${labelKey} (Understudy's, for CSV channels) do not apply to application/jsonlines channels.`,
    );
  }
  const header = boolParam(hp, headerKey, false);
  let label: number | string = 0;
  if (labelRaw !== undefined) {
    const text = labelRaw.trim();
    if (/^\d+$/.test(text)) label = Number(text);
    else if (header && text !== '') label = text;
    else {
      throw new ValidationException(
        `Hyperparameter ${labelKey}='${labelRaw}' is not valid: it must be a 0-based column index${header ? ' or a column name of the header' : ` (a column name needs ${headerKey}=true)`}.`,
      );
    }
  }
  return { layout: { header, label }, algorithmHyperParameters };
}

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

  add(values: readonly unknown[], where: string, labelAt = 0): void {
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
    if (labelAt >= values.length) {
      throw new ValidationException(
        `Channel ${this.channel}, ${where}: the label column ${labelAt} (0-based) does not exist; the row has ${values.length} columns.`,
      );
    }
    values.forEach((value, i) => {
      const n = toNumber(value);
      if (n === undefined || (i === labelAt && Number.isNaN(n))) {
        const what = i === labelAt ? 'the label' : `feature ${i < labelAt ? i + 1 : i}`;
        throw new ValidationException(
          `Channel ${this.channel}, ${where}: ${what} '${String(value)}' is not a number (built-in algorithms take numeric CSV without a header, the label first).`,
        );
      }
      if (i === labelAt) this.labels.push(n);
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

/** The label's 0-based column in a CSV header line; ValidationException when the name is not there. */
function labelIndexIn(header: string, label: string, channel: string, where: string): number {
  const names = header.split(',').map((n) => n.trim().replace(/^"(.*)"$/, '$1'));
  const index = names.indexOf(label);
  if (index === -1) {
    throw new ValidationException(
      `Channel ${channel}, ${where}: the label column '${label}' (${CSV_LAYOUT_PARAMETERS.labelColumn}) is not in the header; its columns are ${names.slice(0, 20).join(', ')}${names.length > 20 ? ', …' : ''}.`,
    );
  }
  return index;
}

/** Parses a channel's files (in key order) into one Dataset. */
export function parseChannel(
  files: readonly { key: string; text: string }[],
  format: ChannelFormat,
  channel: string,
  layout: CsvLayout = SAGEMAKER_LAYOUT,
): Dataset {
  const rows = new Rows(channel);
  let firstHeader: string | undefined;
  for (const file of files) {
    const lines = file.text.split('\n');
    let labelAt = typeof layout.label === 'number' ? layout.label : -1;
    let headerPending = format === 'csv' && layout.header;
    lines.forEach((raw, index) => {
      const line = raw.replace(/\r$/, '');
      if (line.trim() === '') return;
      const where = `${file.key} line ${index + 1}`;
      if (headerPending) {
        headerPending = false;
        // Every object of a channel has its header (as pandas writes parts); they must agree.
        if (firstHeader !== undefined && line !== firstHeader) {
          throw new ValidationException(
            `Channel ${channel}, ${where}: this header differs from the first object's ('${firstHeader.slice(0, 80)}').`,
          );
        }
        firstHeader = line;
        if (typeof layout.label === 'string') labelAt = labelIndexIn(line, layout.label, channel, where);
        return;
      }
      if (format === 'csv') {
        rows.add(line.split(','), where, labelAt);
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
