/**
 * A seeded tabular dataset for Model Monitor tests: five numeric features and one categorical
 * feature (a category code 0–3, as a model taking numbers receives it), with knobs to shift a
 * feature's mean by some standard deviations and to drop the last column from a share of
 * rows ("missing": the row has fewer columns).
 */
import { seeded, normal as standardNormal } from './seeded-random.js';

export const FEATURES = ['age', 'income', 'score', 'tenure', 'balance', 'segment'] as const;
export type Feature = (typeof FEATURES)[number];

/** Mean and standard deviation of each numeric feature. */
export const NUMERIC: Readonly<Record<Exclude<Feature, 'segment'>, { mean: number; sd: number }>> = {
  age: { mean: 40, sd: 10 },
  income: { mean: 50, sd: 15 },
  score: { mean: 0, sd: 1 },
  tenure: { mean: 5, sd: 2 },
  balance: { mean: 1000, sd: 300 },
};
const SEGMENT_WEIGHTS = [0.4, 0.3, 0.2, 0.1];

export interface RowOptions {
  /** Shift these features' means by this many standard deviations. */
  readonly shift?: Partial<Record<Feature, number>>;
  /** Share of rows that lack the last column (segment). */
  readonly missingLastShare?: number;
}

/** `n` CSV rows (no header) from a seeded generator. */
export function generateRows(seed: number, n: number, options: RowOptions = {}): string[] {
  const random = seeded(seed);
  const normal = () => standardNormal(random);
  const rows: string[] = [];
  for (let i = 0; i < n; i++) {
    const cells: string[] = [];
    for (const [name, { mean, sd }] of Object.entries(NUMERIC)) {
      const shift = options.shift?.[name as Feature] ?? 0;
      cells.push((mean + sd * (normal() + shift)).toFixed(2));
    }
    let u = random();
    let segment = 0;
    while (segment < SEGMENT_WEIGHTS.length - 1 && u >= (SEGMENT_WEIGHTS[segment] as number)) {
      u -= SEGMENT_WEIGHTS[segment] as number;
      segment++;
    }
    if (random() >= (options.missingLastShare ?? 0)) cells.push(String(segment));
    rows.push(cells.join(','));
  }
  return rows;
}

/** A baseline dataset: header and rows. */
export function generateDataset(seed: number, n: number): string {
  return `${FEATURES.join(',')}\n${generateRows(seed, n).join('\n')}\n`;
}

/** One data-capture line (SageMaker's format) for a CSV request and a JSON answer. */
export function captureLine(csvBody: string, at: Date, eventId: string): string {
  return JSON.stringify({
    captureData: {
      endpointInput: { observedContentType: 'text/csv', mode: 'INPUT', data: csvBody, encoding: 'CSV' },
      endpointOutput: {
        observedContentType: 'application/json',
        mode: 'OUTPUT',
        data: '{"predictions":[[1]]}',
        encoding: 'JSON',
      },
    },
    eventMetadata: { eventId, inferenceTime: at.toISOString() },
    eventVersion: '0',
  });
}
