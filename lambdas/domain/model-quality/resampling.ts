/**
 * The uncertainty next to each model-quality metric: SageMaker's standard deviation (the metric
 * on five random 80% subsamples, their standard deviation, only from 200 samples on, else
 * "NaN") and Understudy's confidence interval (Wilson for metrics that are proportions of
 * counts, a percentile bootstrap for the others). Random draws come from a seeded generator, so
 * an execution's statistics.json is reproducible from its inputs.
 */
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { cdfFromSample, quantileOf } from '../stats/cdf.js';
import { type Interval, wilsonInterval } from '../stats/intervals.js';

/** SageMaker: standard deviations only from this many samples on. */
export const MIN_SAMPLES_FOR_STANDARD_DEVIATION = 200;
/** SageMaker: five subsamples of 80% of the data. */
export const SUBSAMPLE_COUNT = 5;
export const SUBSAMPLE_FRACTION = 0.8;
/** Resamples behind a bootstrap interval: enough for stable 2.5% / 97.5% quantiles. */
export const DEFAULT_BOOTSTRAP_RESAMPLES = 200;
export const DEFAULT_SEED = 20_240_612;

/** A metric's value for the rows in `indices` (each row index may appear more than once). */
export type Scorer<M extends string> = (indices: readonly number[]) => Record<M, number>;

/** A confidence interval as Understudy writes it next to SageMaker's standard deviation. */
export interface ConfidenceInterval extends Interval {
  readonly confidence_level: number;
  readonly method: 'wilson' | 'bootstrap_percentile';
}

/** A seeded source of row indices. */
export interface Sampler {
  /** `size` distinct indices of 0..n-1 (a partial Fisher–Yates shuffle). */
  withoutReplacement(n: number, size: number): number[];
  /** n indices of 0..n-1 drawn with replacement. */
  withReplacement(n: number): number[];
}

export function seededSampler(seed: number): Sampler {
  const rng = xoroshiro128plus(seed);
  const below = (n: number) => uniformInt(rng, 0, n - 1);
  return {
    withoutReplacement(n, size) {
      const pool = Array.from({ length: n }, (_, i) => i);
      for (let i = 0; i < size; i++) {
        const j = i + below(n - i);
        [pool[i], pool[j]] = [pool[j] as number, pool[i] as number];
      }
      return pool.slice(0, size);
    },
    withReplacement(n) {
      return Array.from({ length: n }, () => below(n));
    },
  };
}

/** SageMaker's five 80% subsamples, or none below 200 rows. */
export function standardDeviationSubsamples(n: number, sampler: Sampler): number[][] {
  if (n < MIN_SAMPLES_FOR_STANDARD_DEVIATION) return [];
  const size = Math.floor(SUBSAMPLE_FRACTION * n);
  return Array.from({ length: SUBSAMPLE_COUNT }, () => sampler.withoutReplacement(n, size));
}

/**
 * Population standard deviation (numpy's default, ddof = 0) of each metric over the
 * subsamples; "NaN" when there are none, as SageMaker writes it.
 */
export function standardDeviations<M extends string>(
  metrics: readonly M[],
  scorer: Scorer<M>,
  subsamples: readonly (readonly number[])[],
): Record<M, number | 'NaN'> {
  const scores = subsamples.map((s) => scorer(s));
  const out = {} as Record<M, number | 'NaN'>;
  for (const m of metrics) {
    const values = scores.map((s) => s[m]);
    out[m] = values.length === 0 || values.some((v) => !Number.isFinite(v)) ? 'NaN' : populationStd(values);
  }
  return out;
}

function populationStd(values: readonly number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
}

/**
 * Percentile bootstrap intervals (numpy's `inverted_cdf` quantiles of the resampled metric)
 * for each metric. Chosen for the metrics that are not proportions (F-scores, AUC, R², errors):
 * it needs no formula per metric and holds for all of them at the sample sizes monitoring sees.
 */
export function bootstrapIntervals<M extends string>(
  metrics: readonly M[],
  scorer: Scorer<M>,
  resamples: readonly (readonly number[])[],
  confidenceLevel: number,
): Record<M, ConfidenceInterval> {
  const scores = resamples.map((s) => scorer(s));
  const out = {} as Record<M, ConfidenceInterval>;
  const tail = (1 - confidenceLevel) / 2;
  for (const m of metrics) {
    const values = scores.map((s) => s[m]).filter(Number.isFinite);
    const cdf = cdfFromSample(values);
    out[m] = {
      lower: quantileOf(cdf, tail),
      upper: quantileOf(cdf, 1 - tail),
      confidence_level: confidenceLevel,
      method: 'bootstrap_percentile',
    };
  }
  return out;
}

/** The Wilson interval of `successes / trials`, labelled for the file. */
export function proportionInterval(
  successes: number,
  trials: number,
  confidenceLevel: number,
): ConfidenceInterval {
  return {
    ...wilsonInterval(successes, trials, confidenceLevel),
    confidence_level: confidenceLevel,
    method: 'wilson',
  };
}
