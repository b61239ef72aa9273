/**
 * Suggesting a baseline: statistics.json from a dataset, and constraints.json from the
 * statistics by deequ's suggestion rules (the ones Model Monitor's suggested constraints show):
 * - completeness: 1.0 when every row had a value (CompleteIfCompleteRule); otherwise the lower
 *   end of a 95% interval, p − 1.96·√(p(1−p)/n), rounded down to 2 decimals
 *   (RetainCompletenessRule), so that ordinary sampling noise does not fail the check;
 * - num_constraints.is_non_negative: min ≥ 0 (NonNegativeNumbersRule);
 * - string_constraints.domains: String features with at most 120 distinct values of which at
 *   most 10% occur only once (CategoricalRangeRule);
 * - monitoring_config: SageMaker's defaults.
 */
import {
  DatasetAccumulator,
  type DatasetAccumulatorOptions,
  type ParseSummary,
  type PayloadOptions,
} from './accumulator.js';
import type { Payload } from './capture.js';
import { CellKind, classifyString } from './cells.js';
import { categoricalCounts, completenessOf } from './distributions.js';
import { MonitoringError } from './errors.js';
import {
  type Constraints,
  DEFAULT_MONITORING_CONFIG,
  type FeatureConstraints,
  type Statistics,
} from './schemas.js';

const DOMAIN_MAX_DISTINCT = 120;
const DOMAIN_MAX_UNIQUE_RATIO = 0.1;

/** constraints.json suggested from a baseline's statistics. */
export function suggestConstraints(statistics: Statistics): Constraints {
  const rows = statistics.dataset.item_count;
  const features = statistics.features.map((f): FeatureConstraints => {
    const feature: FeatureConstraints = { name: f.name, inferred_type: f.inferred_type };
    const p = completenessOf(f);
    if (p !== null) {
      feature.completeness =
        p >= 1 ? 1 : Math.max(0, Math.floor((p - 1.96 * Math.sqrt((p * (1 - p)) / rows)) * 100) / 100);
    }
    const num = f.numerical_statistics;
    if (
      (f.inferred_type === 'Integral' || f.inferred_type === 'Fractional') &&
      num &&
      num.common.num_present > 0
    ) {
      feature.num_constraints = { is_non_negative: num.min >= 0 };
    }
    const categories = f.inferred_type === 'String' ? categoricalCounts(f) : null;
    if (categories && categories.other === 0 && f.understudy?.distinct_count_exact !== false) {
      const values = [...categories.counts];
      const unique = values.filter(([, c]) => c === 1).length;
      if (
        values.length > 0 &&
        values.length <= DOMAIN_MAX_DISTINCT &&
        unique / values.length <= DOMAIN_MAX_UNIQUE_RATIO
      ) {
        feature.string_constraints = { domains: values.map(([v]) => v).sort() };
      }
    }
    feature.monitoringConfigOverrides = {};
    return feature;
  });
  return {
    version: 0,
    features,
    monitoring_config: structuredClone(DEFAULT_MONITORING_CONFIG) as Constraints['monitoring_config'],
  };
}

/** A row of a baseline dataset: positional cells (CSV columns) or named ones (JSON objects). */
export type BaselineRow = readonly unknown[] | Readonly<Record<string, unknown>>;

export interface SuggestedBaseline {
  readonly statistics: Statistics;
  readonly constraints: Constraints;
  /** How the dataset parsed (rows, unparseable payloads and why). */
  readonly parse: ParseSummary;
}

/**
 * statistics.json and constraints.json for an in-memory dataset. Two passes: the first finds
 * each numeric feature's mean, on which the second centres its sketch (see sketch.ts). For a
 * dataset too large to hold, stream it into a `DatasetAccumulator` (optionally with centers
 * from a first pass) and call `suggestConstraints(acc.toStatistics())`.
 */
export function suggestBaseline(
  rows: Iterable<BaselineRow>,
  featureNames: readonly string[],
  options: Omit<DatasetAccumulatorOptions, 'centers'> = {},
): SuggestedBaseline {
  const all = Array.isArray(rows) ? (rows as BaselineRow[]) : [...rows];
  return twoPasses(featureNames, options, (acc) => {
    for (const row of all) {
      if (Array.isArray(row)) acc.addRow(row);
      else acc.addNamedRow(row as Readonly<Record<string, unknown>>);
    }
  });
}

/**
 * The same for dataset files given as payloads (CSV bodies without their header — see
 * `readCsvHeader` — or JSON Lines), e.g. the objects under a SuggestBaseline `DatasetS3Uri`.
 */
export function suggestBaselineFromPayloads(
  payloads: readonly Payload[],
  featureNames: readonly string[],
  options: Omit<DatasetAccumulatorOptions, 'centers'> & PayloadOptions = {},
): SuggestedBaseline {
  return twoPasses(featureNames, options, (acc) => {
    for (const p of payloads) acc.addPayload(p, options);
  });
}

function twoPasses(
  featureNames: readonly string[],
  options: Omit<DatasetAccumulatorOptions, 'centers'>,
  feed: (acc: DatasetAccumulator) => void,
): SuggestedBaseline {
  const first = new DatasetAccumulator(featureNames, options);
  feed(first);
  const centers: Record<string, number> = {};
  for (const f of [...first.features, ...first.extraFeatures]) if (f.n > 0) centers[f.name] = f.mean;
  const acc = new DatasetAccumulator(featureNames, { ...options, centers });
  feed(acc);
  const statistics = acc.toStatistics();
  return { statistics, constraints: suggestConstraints(statistics), parse: acc.summary };
}

/**
 * Splits a CSV dataset with a header line into the feature names and the body. Throws
 * `MonitoringError` when the header is empty or repeats a name, or looks like data (every
 * cell a number) — SageMaker's "Header: true" datasets must start with names.
 */
export function readCsvHeader(text: string): { featureNames: string[]; body: string } {
  const end = text.indexOf('\n');
  const line = (end < 0 ? text : text.slice(0, end)).replace(/\r$/, '');
  const names = line.split(',').map((c) =>
    c
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .replace(/""/g, '"'),
  );
  if (line.trim() === '' || names.some((n) => n === '')) {
    throw new MonitoringError('the dataset has no header line: its first line must name every column');
  }
  if (
    names.every((n) => classifyString(n) === CellKind.Integral || classifyString(n) === CellKind.Fractional)
  ) {
    throw new MonitoringError(
      `the dataset's first line (${line.slice(0, 80)}) is data, not a header of column names`,
    );
  }
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new MonitoringError(`the header names column '${dup}' twice`);
  return { featureNames: names, body: end < 0 ? '' : text.slice(end + 1) };
}

/** Feature names of a JSON Lines dataset: the keys of its objects, in order of first appearance. */
export function featureNamesFromJsonLines(text: string, options: PayloadOptions = {}): string[] {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let doc: unknown;
    try {
      doc = JSON.parse(line);
    } catch {
      continue;
    }
    const nodes = options.jsonPath ? options.jsonPath.evaluate(doc) : [doc];
    for (const node of nodes) {
      if (node === null || typeof node !== 'object' || Array.isArray(node)) continue;
      for (const key of Object.keys(node)) {
        if (!seen.has(key)) {
          seen.add(key);
          names.push(key);
        }
      }
    }
  }
  return names;
}
