/**
 * What the monitoring report shows, computed from the execution's statistics, checks and drift
 * report, with no HTML: the outcome, one view per feature (in the order the page lists them),
 * which histograms each feature's charts draw, and the sentences and labels the page prints.
 */
import type { ParseSummary } from '../statistics/accumulator.js';
import type { CheckOutcome, ConstraintCheckResult, DriftDistance } from '../statistics/checks.js';
import { type FeatureHistograms, featureHistograms } from '../statistics/distributions.js';
import { type DriftReport, type DriftRule, driftFindings, type FeatureDrift } from '../statistics/drift.js';
import type { ConstraintViolation, FeatureStatistics, Statistics } from '../statistics/schemas.js';
import { num, pValue } from './format.js';

/** Who and what the report is about; the execution knows these. */
export interface MonitoringReportMetadata {
  readonly endpointName: string;
  readonly scheduleName: string;
  /** The data analysis window (ISO-8601 strings or Dates; shown in UTC). */
  readonly windowStart: string | Date;
  readonly windowEnd: string | Date;
  /** Shown when given (e.g. the monitoring execution's id or ARN). */
  readonly executionId?: string;
  /** When the report was made; left out when not given (the renderer reads no clock). */
  readonly generatedAt?: string | Date;
}

/** Everything the report shows: the execution's results, as the monitoring domain returns them. */
export interface MonitoringReportInput {
  readonly metadata: MonitoringReportMetadata;
  /** The baseline's statistics.json. */
  readonly baseline: Statistics;
  /** The window's statistics.json (`DatasetAccumulator.toStatistics()`). */
  readonly current: Statistics;
  /** How the window's capture records parsed (`DatasetAccumulator.summary`). */
  readonly parse: ParseSummary;
  /** `checkConstraints(...)` on the window. */
  readonly checks: ConstraintCheckResult;
  /** `detectDrift(baseline, current, ...)`. */
  readonly drift: DriftReport;
}

/** Buckets of a numeric feature's histograms. */
const NUMERIC_BUCKETS = 10;

export const RULE_LABELS: Record<DriftRule, string> = {
  l_infinity: 'L∞ distance (SageMaker baseline_drift_check)',
  'ks+effect': 'KS test + effect size (calibrated)',
  'chi2+effect': 'Chi-square test + effect size (calibrated)',
};

export const CORRECTION_LABELS: Record<DriftReport['correction'], string> = {
  'benjamini-hochberg': 'Benjamini–Hochberg',
  bonferroni: 'Bonferroni',
  none: 'none',
};

export const OUTCOME_LABELS: Record<CheckOutcome, string> = {
  NoData: 'No data',
  Completed: 'Completed',
  CompletedWithViolations: 'Completed with violations',
};

export type Side = 'baseline' | 'current';

/** What a feature's charts draw: histograms on shared buckets, and which sides of them. */
export interface FeatureChart {
  readonly histograms: FeatureHistograms;
  readonly sides: readonly Side[];
}

/** What is known about one feature across the inputs. */
export interface FeatureView {
  readonly name: string;
  readonly baseline?: FeatureStatistics;
  readonly current?: FeatureStatistics;
  readonly distance?: DriftDistance;
  readonly drift?: FeatureDrift;
  readonly skipped?: string;
  readonly violations: ConstraintViolation[];
  readonly flaggedBy: DriftRule[];
}

/** The report: an empty window shows no features, only why nothing was checked. */
export interface ReportView {
  readonly input: MonitoringReportInput;
  readonly noData: boolean;
  readonly outcome: CheckOutcome;
  readonly features: readonly FeatureView[];
}

export function reportView(input: MonitoringReportInput): ReportView {
  const noData = input.checks.outcome === 'NoData' || input.current.dataset.item_count === 0;
  return {
    input,
    noData,
    outcome: noData ? 'NoData' : input.checks.outcome,
    features: noData ? [] : featureViews(input),
  };
}

function featureViews(input: MonitoringReportInput): FeatureView[] {
  const { baseline, current, checks, drift } = input;
  const names: string[] = [];
  const seen = new Set<string>();
  for (const f of [...baseline.features, ...current.features]) {
    if (!seen.has(f.name)) {
      seen.add(f.name);
      names.push(f.name);
    }
  }
  for (const v of checks.violations) {
    if (!seen.has(v.feature_name)) {
      seen.add(v.feature_name);
      names.push(v.feature_name);
    }
  }
  const byName = <T extends { name: string }>(list: readonly T[]) => new Map(list.map((x) => [x.name, x]));
  const baseByName = byName(baseline.features);
  const currentByName = byName(current.features);
  const distances = new Map(checks.distances.map((d) => [d.feature, d]));
  const drifts = new Map(drift.features.map((d) => [d.feature, d]));
  const skipped = new Map(drift.skipped.map((s) => [s.feature, s.reason]));
  const flagged = new Map(driftFindings(checks.distances, drift).map((f) => [f.feature, f.flaggedBy]));
  const views = names.map((name): FeatureView => {
    const view: {
      -readonly [K in keyof FeatureView]: FeatureView[K];
    } = {
      name,
      violations: checks.violations.filter((v) => v.feature_name === name),
      flaggedBy: flagged.get(name) ?? [],
    };
    const b = baseByName.get(name);
    const c = currentByName.get(name);
    const d = distances.get(name);
    const t = drifts.get(name);
    const s = skipped.get(name);
    if (b) view.baseline = b;
    if (c) view.current = c;
    if (d) view.distance = d;
    if (t) view.drift = t;
    if (s !== undefined) view.skipped = s;
    return view;
  });
  // Features with findings first, each group in the baseline's order.
  const hasFindings = (v: FeatureView) => v.flaggedBy.length > 0 || v.violations.length > 0;
  return [...views.filter(hasFindings), ...views.filter((v) => !hasFindings(v))];
}

/** The feature's inferred type, or the change of it between baseline and window. */
export function typeOf(v: FeatureView): string {
  const b = v.baseline?.inferred_type;
  const c = v.current?.inferred_type;
  if (b && c && b !== c) return `${b} → ${c}`;
  return b ?? c ?? 'Unknown';
}

/** Why a feature that no rule flagged is not flagged. */
export function notFlaggedReason(v: FeatureView, drift: DriftReport): string {
  if (!v.baseline) return 'Not in the baseline (an extra column): not compared.';
  if (!v.current) return 'Absent from this window: not compared.';
  const t = v.drift;
  if (!t) return `Not flagged. Calibrated test not run: ${v.skipped ?? 'no comparable distribution'}.`;
  if (t.significant && !t.effectExceeded) {
    return `Not flagged: the difference is statistically significant (adjusted p = ${pValue(t.adjustedPValue)}) but smaller than the effect thresholds (PSI < ${num(drift.thresholds.psi)} and W₁/σ < ${num(drift.thresholds.wassersteinNormalized)}).`;
  }
  if (!t.significant && t.effectExceeded) {
    return `Not flagged: the effect size passes its threshold but the test is not significant (adjusted p = ${pValue(t.adjustedPValue)} > α = ${num(drift.alpha)}).`;
  }
  return 'Not flagged: no significant drift.';
}

/**
 * The histograms a feature's charts draw: both sides on shared buckets, or the one side there
 * is (a missing or extra column, or a changed type); undefined when there is nothing to draw.
 */
export function featureChart(v: FeatureView): FeatureChart | undefined {
  const both = v.baseline && v.current ? featureHistograms(v.baseline, v.current, NUMERIC_BUCKETS) : null;
  if (both) return { histograms: both, sides: ['baseline', 'current'] };
  const only = v.current ?? v.baseline;
  const self = only ? featureHistograms(only, only, NUMERIC_BUCKETS) : null;
  if (self && v.current && (!v.baseline || v.baseline.inferred_type === 'Unknown')) {
    return { histograms: self, sides: ['current'] };
  }
  if (self && v.baseline && !v.current) return { histograms: self, sides: ['baseline'] };
  return undefined;
}
