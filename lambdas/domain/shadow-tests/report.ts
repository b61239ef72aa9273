import { DEFAULT_PSI_EPSILON, jensenShannonDistance, populationStabilityIndex } from '../stats/divergence.js';
import { clopperPearsonBounds, wilsonInterval } from '../stats/intervals.js';
import {
  type ComparisonAggregate,
  type ModelDescription,
  type SegmentTally,
  SHADOW_ERROR_KINDS,
  type ShadowErrorKind,
} from './aggregate.js';
import { type SketchData, sketchBins, sketchQuantiles } from './sketch.js';

export type Verdict = 'NoDifference' | 'Different' | 'InsufficientData';

/** The name the report gives the verdict's test. */
export const VERDICT_TEST_NAME = 'ExactBinomialEquivalence';

export interface SummaryOptions {
  /**
   * Largest mismatch rate (disagreeing rows plus rows the shadow failed to answer, over
   * both) still called "no difference". @default 0.01
   */
  readonly margin?: number;
  /** Error rate of each one-sided verdict test. @default 0.05 */
  readonly alpha?: number;
  /** Fewer rows than this give InsufficientData whatever the counts. @default 100 */
  readonly minRows?: number;
  /** Confidence level of the agreement rate's Wilson interval. @default 0.95 */
  readonly confidenceLevel?: number;
  /** Regression: bins for JS/PSI, cut at production's quantiles. @default 10 */
  readonly divergenceBins?: number;
  /** PSI's ε for the additive smoothing of empty bins (see PsiSmoothing). @default 1e-4 */
  readonly psiEpsilon?: number;
  /** Segments listed by name (the busiest); the rest are summed into "Other". @default 20 */
  readonly maxSegments?: number;
}

export interface ProportionInterval {
  readonly Method: 'WilsonScore';
  readonly ConfidenceLevel: number;
  readonly Lower: number;
  readonly Upper: number;
}

export interface AgreementRate {
  /** Agreeing rows over compared rows; null before any row is compared. */
  readonly Value: number | null;
  readonly RowsAgreed: number;
  readonly RowsCompared: number;
  readonly ConfidenceInterval: ProportionInterval;
}

export interface LatencySummary {
  readonly Count: number;
  readonly P50: number | null;
  readonly P90: number | null;
  readonly P99: number | null;
}

export interface VerdictTest {
  readonly Name: typeof VERDICT_TEST_NAME;
  readonly Description: string;
  readonly Margin: number;
  readonly Alpha: number;
  readonly MinRows: number;
  /** Rows compared plus rows the shadow failed to answer. */
  readonly Trials: number;
  /** Disagreeing rows plus rows the shadow failed to answer. */
  readonly Mismatches: number;
  readonly MismatchRate: number | null;
  /** One-sided (1 − Alpha) Clopper–Pearson bounds on the mismatch rate. */
  readonly LowerBound: number;
  readonly UpperBound: number;
  readonly Reason: string;
}

export interface SegmentReport {
  readonly Value: string;
  readonly RowsCompared: number;
  readonly RowsNotAnswered: number;
  readonly AgreementRate: AgreementRate;
  /** Mean |production − shadow| over the segment's rows that have a numeric difference. */
  readonly MeanDifference: number | null;
  /** The same test as the report's, at Alpha divided by the number of segments listed (Bonferroni). */
  readonly Verdict: Verdict;
}

type KindName = 'Classification' | 'Regression';

/** The rule the comparison follows, and why it does (see comparison-rule.ts). */
export interface ComparisonRuleReport {
  readonly Kind: KindName;
  /** SameLabel: rows agree when both predict the same label (probabilities do not count). */
  readonly Agreement: 'SameLabel' | 'WithinTolerance';
  /** WithinTolerance: |production − shadow| ≤ AbsoluteTolerance + RelativeTolerance × |production|. */
  readonly AbsoluteTolerance?: number;
  readonly RelativeTolerance?: number;
  /** Undecided: nothing recorded yet; the rule is chosen when the first request is. */
  readonly Source: 'ConfigureShadowComparison' | 'ModelOutputs' | 'Predictions' | 'Undecided';
  readonly InferredFrom: string;
  readonly ProductionModel?: { readonly Kind: KindName; readonly Outputs: string };
  readonly ShadowModel?: { readonly Kind: KindName; readonly Outputs: string };
  /** The models' outputs make them of different kinds (production's kind rules). */
  readonly KindsDiffer: boolean;
}

/** Classification: the labels each side predicted on compared rows. */
export interface LabelsReport {
  readonly Counts: readonly {
    readonly Label: string;
    readonly Production: number;
    readonly Shadow: number;
  }[];
  /** Labels only production predicted, or only the shadow: classes the models do not share. */
  readonly OnlyProduction: readonly string[];
  readonly OnlyShadow: readonly string[];
  /** Rows whose labels were past the tracked labels' cap, per side. */
  readonly UntrackedRows: { readonly Production: number; readonly Shadow: number };
}

/** `Understudy.DescribeShadowReport`'s figures for one shadow variant. */
export interface ShadowReport {
  readonly TaskKind: KindName;
  readonly ComparisonRule: ComparisonRuleReport;
  readonly RequestsMirrored: number;
  readonly RequestsCompared: number;
  readonly RowsCompared: number;
  readonly ProductionErrors: number;
  readonly ShadowErrors: Readonly<Record<ShadowErrorKind, number>> & {
    readonly Total: number;
    /** Rows of the requests behind those errors (they count as mismatches in the verdict). */
    readonly RowsNotAnswered: number;
  };
  readonly AgreementCriterion:
    | { readonly Type: 'SameLabel' }
    | {
        readonly Type: 'WithinTolerance';
        readonly AbsoluteTolerance: number;
        readonly RelativeTolerance: number;
      };
  readonly AgreementRate: AgreementRate;
  readonly Labels?: LabelsReport;
  /** |production − shadow| per row (values, or score vectors' largest difference); null without numeric outputs. */
  readonly Difference: {
    readonly Count: number;
    readonly Mean: number | null;
    readonly P50: number | null;
    readonly P90: number | null;
    readonly P99: number | null;
    readonly Max: number | null;
  };
  /** Jensen–Shannon distance (base 2, in [0, 1]) between production's and the shadow's outputs. */
  readonly JensenShannon: number | null;
  /** Population stability index of the shadow's outputs against production's. */
  readonly Psi: number | null;
  /** Both sides' outputs over the bins of Divergence (labels, or production's quantile intervals); null without outputs. */
  readonly OutputDistribution: {
    readonly Bins: readonly string[];
    readonly Production: readonly number[];
    readonly Shadow: readonly number[];
  } | null;
  readonly Divergence: {
    readonly Binning: 'Labels' | 'ProductionQuantiles';
    readonly Bins: number;
    readonly PsiEpsilon: number;
  };
  readonly Latency: {
    readonly Unit: 'Milliseconds';
    readonly Production: LatencySummary;
    readonly Shadow: LatencySummary;
  };
  readonly Verdict: Verdict;
  readonly VerdictTest: VerdictTest;
  readonly Segments?: { readonly Feature: string; readonly Items: readonly SegmentReport[] };
}

const DESCRIPTION =
  'A row mismatches when the shadow disagrees with production or fails to answer. With exact one-sided ' +
  'Clopper-Pearson bounds on the mismatch rate: NoDifference when the upper bound is below Margin (H0 ' +
  'rate >= Margin rejected, a TOST-style equivalence test), Different when the lower bound exceeds Margin ' +
  '(H0 rate <= Margin rejected), otherwise, or below MinRows, InsufficientData. Each wrong conclusion has ' +
  'probability at most Alpha. Rows are assumed independent.';

/** Turns an aggregate into the report `Understudy.DescribeShadowReport` returns. */
export function summarize(aggregate: ComparisonAggregate, options: SummaryOptions = {}): ShadowReport {
  const margin = options.margin ?? 0.01;
  const alpha = options.alpha ?? 0.05;
  const minRows = options.minRows ?? 100;
  const confidenceLevel = options.confidenceLevel ?? 0.95;
  const bins = options.divergenceBins ?? 10;
  const psiEpsilon = options.psiEpsilon ?? DEFAULT_PSI_EPSILON;
  const maxSegments = options.maxSegments ?? 20;
  if (!(margin > 0 && margin < 1)) throw new RangeError(`margin must be in (0, 1); got ${margin}`);
  if (!(Number.isInteger(minRows) && minRows >= 0))
    throw new RangeError(`minRows must be an integer ≥ 0; got ${minRows}`);
  if (!(Number.isInteger(bins) && bins >= 2))
    throw new RangeError(`divergenceBins must be an integer ≥ 2; got ${bins}`);
  if (!(Number.isInteger(maxSegments) && maxSegments >= 1)) {
    throw new RangeError(`maxSegments must be an integer ≥ 1; got ${maxSegments}`);
  }

  const { config } = aggregate;
  const accuracy = config.relativeAccuracy;
  const test = { margin, alpha, minRows };
  const totalShadowErrors = SHADOW_ERROR_KINDS.reduce((sum, kind) => sum + aggregate.shadowErrors[kind], 0);
  const [p50, p90, p99] = sketchQuantiles(aggregate.difference, [0.5, 0.9, 0.99], accuracy);
  const histograms = outputHistograms(aggregate, bins);
  const divergent = histograms && histograms.production.length > 0;
  const verdict = verdictTest(
    aggregate.rowsCompared - aggregate.rowsAgreed + aggregate.rowsShadowFailed,
    aggregate.rowsCompared + aggregate.rowsShadowFailed,
    test,
  );

  return {
    TaskKind: kindName(config.kind),
    ComparisonRule: ruleReport(aggregate),
    RequestsMirrored: aggregate.requestsMirrored,
    RequestsCompared: aggregate.requestsCompared,
    RowsCompared: aggregate.rowsCompared,
    ProductionErrors: aggregate.productionErrors,
    ShadowErrors: {
      ...aggregate.shadowErrors,
      Total: totalShadowErrors,
      RowsNotAnswered: aggregate.rowsShadowFailed,
    },
    AgreementCriterion:
      config.kind === 'classification'
        ? { Type: 'SameLabel' }
        : {
            Type: 'WithinTolerance',
            AbsoluteTolerance: config.absoluteTolerance,
            RelativeTolerance: config.relativeTolerance,
          },
    AgreementRate: agreementRate(aggregate.rowsAgreed, aggregate.rowsCompared, confidenceLevel),
    ...(aggregate.labels && { Labels: labelsReport(aggregate.labels) }),
    Difference: {
      Count: aggregate.difference.count,
      Mean: aggregate.difference.count > 0 ? aggregate.difference.sum / aggregate.difference.count : null,
      P50: p50 ?? null,
      P90: p90 ?? null,
      P99: p99 ?? null,
      Max: aggregate.difference.max,
    },
    JensenShannon: divergent ? jensenShannonDistance(histograms.production, histograms.shadow) : null,
    // Additive smoothing: the rule shadow reports have always published (see PsiSmoothing).
    Psi: divergent
      ? populationStabilityIndex(histograms.production, histograms.shadow, 'additive', psiEpsilon)
      : null,
    // The histograms behind JensenShannon and Psi, for charts (the HTML report draws them).
    OutputDistribution: divergent
      ? { Bins: histograms.bins, Production: histograms.production, Shadow: histograms.shadow }
      : null,
    Divergence: {
      Binning: config.kind === 'classification' ? 'Labels' : 'ProductionQuantiles',
      Bins: histograms?.production.length ?? 0,
      PsiEpsilon: psiEpsilon,
    },
    Latency: {
      Unit: 'Milliseconds',
      Production: latency(aggregate.latencyMs.production, accuracy),
      Shadow: latency(aggregate.latencyMs.shadow, accuracy),
    },
    Verdict: verdict.verdict,
    VerdictTest: verdict.details,
    ...(config.segment &&
      aggregate.segments && {
        Segments: {
          Feature: config.segment.feature,
          Items: segmentReports(aggregate.segments, maxSegments, confidenceLevel, test),
        },
      }),
  };
}

function kindName(kind: ModelDescription['kind']): KindName {
  return kind === 'classification' ? 'Classification' : 'Regression';
}

function ruleReport(aggregate: ComparisonAggregate): ComparisonRuleReport {
  const { config } = aggregate;
  const rule = config.rule;
  const model = (m: ModelDescription | undefined) => m && { Kind: kindName(m.kind), Outputs: m.outputs };
  const recorded = aggregate.requestsMirrored > 0;
  return {
    Kind: kindName(config.kind),
    ...(config.kind === 'classification'
      ? { Agreement: 'SameLabel' as const }
      : {
          Agreement: 'WithinTolerance' as const,
          AbsoluteTolerance: config.absoluteTolerance,
          RelativeTolerance: config.relativeTolerance,
        }),
    Source: rule?.source ?? (recorded ? 'Predictions' : 'Undecided'),
    InferredFrom:
      rule?.inferredFrom ??
      (recorded
        ? "production's predictions (recorded before rules were): all integers read as labels, anything else as regression values"
        : "nothing recorded yet: the rule is chosen from both models' ONNX outputs when the first mirrored request is"),
    ...(rule?.production && { ProductionModel: model(rule.production) }),
    ...(rule?.shadow && { ShadowModel: model(rule.shadow) }),
    KindsDiffer:
      rule?.production !== undefined &&
      rule.shadow !== undefined &&
      rule.production.kind !== rule.shadow.kind,
  };
}

function labelsReport(labels: NonNullable<ComparisonAggregate['labels']>): LabelsReport {
  return {
    Counts: labels.counts.map(([Label, Production, Shadow]) => ({ Label, Production, Shadow })),
    OnlyProduction: labels.counts.filter(([, p, s]) => p > 0 && s === 0).map(([label]) => label),
    OnlyShadow: labels.counts.filter(([, p, s]) => p === 0 && s > 0).map(([label]) => label),
    UntrackedRows: { Production: labels.other[0], Shadow: labels.other[1] },
  };
}

/**
 * The verdict's test on `mismatches` out of `trials` (see DESCRIPTION). Exact bounds rather
 * than Wilson's: the decision is made at 0 or a handful of mismatches, where approximate
 * intervals undercover and would let a verdict be wrong more often than Alpha.
 */
export function verdictTest(
  mismatches: number,
  trials: number,
  options: { margin: number; alpha: number; minRows: number },
): { verdict: Verdict; details: VerdictTest } {
  const { margin, alpha, minRows } = options;
  const bounds = clopperPearsonBounds(mismatches, trials, alpha);
  let verdict: Verdict;
  let reason: string;
  if (trials < minRows || trials === 0) {
    verdict = 'InsufficientData';
    reason = `${trials} rows observed; the test needs at least ${Math.max(minRows, 1)}.`;
  } else if (bounds.upper < margin) {
    verdict = 'NoDifference';
    reason = `The mismatch rate is below ${margin} with confidence ${1 - alpha} (upper bound ${bounds.upper}).`;
  } else if (bounds.lower > margin) {
    verdict = 'Different';
    reason = `The mismatch rate is above ${margin} with confidence ${1 - alpha} (lower bound ${bounds.lower}).`;
  } else {
    verdict = 'InsufficientData';
    reason = `Inconclusive: the mismatch rate's bounds [${bounds.lower}, ${bounds.upper}] straddle ${margin}; more rows are needed.`;
  }
  return {
    verdict,
    details: {
      Name: VERDICT_TEST_NAME,
      Description: DESCRIPTION,
      Margin: margin,
      Alpha: alpha,
      MinRows: minRows,
      Trials: trials,
      Mismatches: mismatches,
      MismatchRate: trials > 0 ? mismatches / trials : null,
      LowerBound: bounds.lower,
      UpperBound: bounds.upper,
      Reason: reason,
    },
  };
}

function agreementRate(agreed: number, compared: number, confidenceLevel: number): AgreementRate {
  const interval = wilsonInterval(agreed, compared, confidenceLevel);
  return {
    Value: compared > 0 ? agreed / compared : null,
    RowsAgreed: agreed,
    RowsCompared: compared,
    ConfidenceInterval: {
      Method: 'WilsonScore',
      ConfidenceLevel: confidenceLevel,
      Lower: interval.lower,
      Upper: interval.upper,
    },
  };
}

function latency(sketch: SketchData, accuracy: number): LatencySummary {
  const [p50, p90, p99] = sketchQuantiles(sketch, [0.5, 0.9, 0.99], accuracy);
  return { Count: sketch.count, P50: p50 ?? null, P90: p90 ?? null, P99: p99 ?? null };
}

/**
 * Both sides' output histograms over shared bins, or undefined while a side is empty.
 * Classification: one bin per label (plus "other" when labels overflowed the cap).
 * Regression: both value sketches use the same key mapping, so every sketch bin is a shared
 * bin; they are grouped into `bins` intervals (e₀, e₁], … cut at production's quantiles
 * i/bins, each cut being a production sketch bin's value — so a sketch bin of either side
 * falls wholly into one interval and the same one for both.
 */
export function outputHistograms(
  aggregate: ComparisonAggregate,
  bins: number,
): { production: number[]; shadow: number[]; bins: string[] } | undefined {
  if (aggregate.labels) {
    const { counts, other } = aggregate.labels;
    const production = counts.map(([, p]) => p);
    const shadow = counts.map(([, , s]) => s);
    const names = counts.map(([label]) => String(label));
    if (other[0] > 0 || other[1] > 0) {
      production.push(other[0]);
      shadow.push(other[1]);
      names.push('other');
    }
    return sum(production) > 0 && sum(shadow) > 0 ? { production, shadow, bins: names } : undefined;
  }
  if (!aggregate.values) return undefined;
  const accuracy = aggregate.config.relativeAccuracy;
  const production = sketchBins(aggregate.values.production, accuracy);
  const shadow = sketchBins(aggregate.values.shadow, accuracy);
  const total = sum(production.map((b) => b.count));
  if (total === 0 || shadow.length === 0) return undefined;

  const edges: number[] = [];
  let cumulative = 0;
  let next = 1;
  for (const bin of production) {
    cumulative += bin.count;
    while (next < bins && cumulative >= (next / bins) * total) {
      if (edges[edges.length - 1] !== bin.value) edges.push(bin.value);
      next++;
    }
  }
  const histogram = (sketch: readonly { value: number; count: number }[]) => {
    const counts = new Array<number>(edges.length + 1).fill(0);
    for (const { value, count } of sketch) {
      let i = 0;
      while (i < edges.length && value > (edges[i] as number)) i++;
      counts[i] = (counts[i] as number) + count;
    }
    return counts;
  };
  // Bin names as intervals: (-inf, e0], (e0, e1], ..., (e_last, inf).
  const bounds = ['-inf', ...edges.map((e) => String(Number(e.toPrecision(6)))), 'inf'];
  const names = bounds.slice(1).map((upper, i) => `(${bounds[i]}, ${upper}]`);
  return { production: histogram(production), shadow: histogram(shadow), bins: names };
}

function segmentReports(
  segments: NonNullable<ComparisonAggregate['segments']>,
  maxSegments: number,
  confidenceLevel: number,
  test: { margin: number; alpha: number; minRows: number },
): SegmentReport[] {
  const ranked = [...segments.tallies].sort(
    (a, b) => b.rows + b.failed - (a.rows + a.failed) || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0),
  );
  const listed = ranked.slice(0, maxSegments);
  const other = ranked.slice(maxSegments).reduce(
    (acc, t) => ({
      value: 'Other',
      rows: acc.rows + t.rows,
      agreed: acc.agreed + t.agreed,
      failed: acc.failed + t.failed,
      diffCount: acc.diffCount + t.diffCount,
      diffSum: acc.diffSum + t.diffSum,
    }),
    { value: 'Other', ...segments.other } as SegmentTally,
  );
  const items = other.rows + other.failed > 0 ? [...listed, other] : listed;
  const alpha = test.alpha / Math.max(1, items.length);
  return items.map((t) => ({
    Value: t.value,
    RowsCompared: t.rows,
    RowsNotAnswered: t.failed,
    AgreementRate: agreementRate(t.agreed, t.rows, confidenceLevel),
    MeanDifference: t.diffCount > 0 ? t.diffSum / t.diffCount : null,
    Verdict: verdictTest(t.rows - t.agreed + t.failed, t.rows + t.failed, { ...test, alpha }).verdict,
  }));
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
