/**
 * SageMaker Model Monitor's six constraint checks, evaluated on the window's statistics
 * against the baseline's constraints (honouring hand edits and per-feature
 * `monitoringConfigOverrides`) and statistics, and the CloudWatch metrics Model Monitor emits.
 *
 * How each check decides (SageMaker's guide describes them in words; where it is vague the
 * choice is stated):
 * - data_type_check: share of the feature's values whose type matches the baseline's inferred
 *   type (Integral values also match Fractional; any value matches String) is below
 *   `datatype_check_threshold`.
 * - completeness_check: share of non-null values is below the feature's `completeness`.
 * - baseline_drift_check: numeric features — L∞ distance between the baseline and current
 *   CDFs (deequ's linf_simple, or linf_robust = max(0, simple − 1.8·√((n+m)/(nm))) when
 *   `comparison_method` is Robust) above `comparison_threshold`; String features — with
 *   LInfinity, the same distance between the category frequencies (as deequ's
 *   categoricalDistance) above `categorical_comparison_threshold`; with ChiSquared, the
 *   chi-square homogeneity test's p-value below `categorical_comparison_threshold`.
 * - missing_column_check: a baseline feature whose column no row of the window had.
 * - extra_column_check: a column the baseline does not know.
 * - categorical_values_check: share of a String feature's values inside its
 *   `string_constraints.domains` below `domain_content_threshold`.
 * `num_constraints.is_non_negative` is read and kept but, as in SageMaker, none of the six
 * check types reports it.
 */
import { lInfinity } from '../../stats/cdf.js';
import { chiSquareHomogeneity, lInfinityRobust } from '../../stats/hypothesis.js';
import {
  alignCategories,
  categoricalCounts,
  completenessOf,
  numericDistribution,
  presentOf,
} from './distributions.js';
import {
  type Constraints,
  type ConstraintViolation,
  type FeatureStatistics,
  type InferredType,
  type MonitoringConfig,
  resolveMonitoringConfig,
  type Statistics,
} from './schemas.js';

/** Tolerance for comparing shares with thresholds (floating-point noise, not statistics). */
const EPS = 1e-12;

export interface DriftDistance {
  readonly feature: string;
  readonly kind: 'numeric' | 'categorical';
  /** Which distance `value` is. */
  readonly method: 'Simple' | 'Robust' | 'ChiSquared';
  /** deequ's linf_simple. */
  readonly simple: number;
  /** deequ's linf_robust. */
  readonly robust: number;
  /** The chi-square p-value (categorical features with ChiSquared only). */
  readonly pValue?: number;
  /** The value compared with the threshold (a distance, or the p-value for ChiSquared). */
  readonly value: number;
  readonly threshold: number;
  readonly exceeded: boolean;
  readonly baselineCount: number;
  readonly currentCount: number;
}

export type CheckOutcome = 'NoData' | 'Completed' | 'CompletedWithViolations';

export interface ConstraintCheckResult {
  readonly outcome: CheckOutcome;
  /** Why there was nothing to check (NoData), for the execution's status message. */
  readonly message?: string;
  readonly violations: ConstraintViolation[];
  /** The baseline drift distance of every feature that could be compared. */
  readonly distances: DriftDistance[];
}

export interface CheckInput {
  readonly constraints: Constraints;
  /** The baseline statistics (drift needs their sketches and categories). */
  readonly baseline: Statistics;
  /** The window's statistics. */
  readonly current: Statistics;
  /**
   * The coefficient c of linf_robust = max(0, simple − c·√((n+m)/(nm))). deequ fixes 1.8, the
   * two-sample KS critical value at α ≈ 0.003; `ksCriticalCoefficient(α)` gives it for another
   * confidence. @default 1.8
   */
  readonly robustCoefficient?: number;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

function num(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(4).replace(/\.?0+$/, '');
}

/** Share of present values that have `type` (null when nothing to judge). */
function typeMatch(expected: InferredType, feature: FeatureStatistics): number | null {
  const present = presentOf(feature);
  if (present === null || present === 0 || expected === 'Unknown') return null;
  const t = feature.understudy?.type_counts;
  if (!t) {
    const observed = feature.inferred_type;
    const ok =
      observed === expected ||
      expected === 'String' ||
      (expected === 'Fractional' && observed === 'Integral') ||
      observed === 'Unknown';
    return ok ? 1 : 0;
  }
  const matching =
    expected === 'Integral' ? t.integral : expected === 'Fractional' ? t.integral + t.fractional : present;
  return matching / present;
}

/** Evaluates the constraints on a window. Never throws for data problems. */
export function checkConstraints(input: CheckInput): ConstraintCheckResult {
  const { constraints, baseline, current } = input;
  const global = resolveMonitoringConfig(constraints);
  if (current.dataset.item_count === 0) {
    return {
      outcome: 'NoData',
      message: 'The window holds no rows to check: no capture records, or none that could be parsed.',
      violations: [],
      distances: [],
    };
  }
  const violations: ConstraintViolation[] = [];
  const currentByName = new Map(current.features.map((f) => [f.name, f]));
  const baselineByName = new Map(baseline.features.map((f) => [f.name, f]));
  // A feature the baseline knows is not "extra" even if a hand edit removed its constraints.
  const known = new Set([...constraints.features.map((f) => f.name), ...baselineByName.keys()]);
  const distances: DriftDistance[] = [];

  const missing = constraints.features.filter((f) => !currentByName.has(f.name));
  for (const f of missing) {
    violations.push({
      feature_name: f.name,
      constraint_check_type: 'missing_column_check',
      description: `There are missing columns in current dataset: '${f.name}' is absent. Number of columns in current dataset: ${current.features.length}, Number of columns in baseline constraints: ${constraints.features.length}`,
    });
  }
  for (const f of current.features) {
    if (known.has(f.name)) continue;
    violations.push({
      feature_name: f.name,
      constraint_check_type: 'extra_column_check',
      description: `There are extra columns in current dataset: '${f.name}' is not in the baseline. Number of columns in current dataset: ${current.features.length}, Number of columns in baseline constraints: ${constraints.features.length}`,
    });
  }

  for (const constraint of constraints.features) {
    const feature = currentByName.get(constraint.name);
    if (!feature) continue;
    const config = resolveMonitoringConfig(constraints, constraint.name);
    const found: ConstraintViolation[] = [];

    const match = typeMatch(constraint.inferred_type, feature);
    if (match !== null && match < config.datatypeCheckThreshold - EPS) {
      found.push({
        feature_name: constraint.name,
        constraint_check_type: 'data_type_check',
        description: `Data type match requirement is not met. Expected data type: ${constraint.inferred_type}, Expected match: ${pct(config.datatypeCheckThreshold)}. Observed: Only ${pct(match)} of data is ${constraint.inferred_type}.`,
      });
    }

    const completeness = completenessOf(feature);
    if (
      constraint.completeness !== undefined &&
      completeness !== null &&
      completeness < constraint.completeness - EPS
    ) {
      found.push({
        feature_name: constraint.name,
        constraint_check_type: 'completeness_check',
        description: `Data completeness requirement is not met. Expected: ${pct(constraint.completeness)} of data is non-null. Observed: Only ${pct(completeness)} of data is non-null.`,
      });
    }

    const domains = constraint.string_constraints?.domains;
    const categories = categoricalCounts(feature);
    if (domains && domains.length > 0 && categories && categories.total > 0) {
      const domain = new Set(domains);
      let inside = 0;
      for (const [value, count] of categories.counts) if (domain.has(value)) inside += count;
      const share = inside / categories.total;
      if (share < config.domainContentThreshold - EPS) {
        const outside = [...categories.counts.keys()].filter((v) => !domain.has(v)).slice(0, 5);
        found.push({
          feature_name: constraint.name,
          constraint_check_type: 'categorical_values_check',
          description: `Value set requirement is not met. Expected: ${pct(config.domainContentThreshold)} of values in the baseline domain. Observed: Only ${pct(share)} of values are in the baseline domain${outside.length ? ` (e.g. ${outside.map((v) => JSON.stringify(v)).join(', ')})` : ''}.`,
        });
      }
    }

    const base = baselineByName.get(constraint.name);
    const distance =
      config.performComparison && base
        ? driftDistance(constraint.inferred_type, base, feature, config, input.robustCoefficient)
        : null;
    if (distance) distances.push(distance);
    if (distance?.exceeded) {
      found.push({
        feature_name: constraint.name,
        constraint_check_type: 'baseline_drift_check',
        description:
          distance.method === 'ChiSquared'
            ? `Baseline drift chi-squared test p-value: ${num(distance.value)} is below threshold: ${num(distance.threshold)}`
            : `Baseline drift distance: ${num(distance.value)} exceeds threshold: ${num(distance.threshold)}`,
      });
    }
    if (config.evaluateConstraints) violations.push(...found);
  }

  const reported = global.evaluateConstraints ? violations : [];
  return {
    outcome: reported.length > 0 ? 'CompletedWithViolations' : 'Completed',
    violations: reported,
    distances,
  };
}

/** deequ's distance between a baseline feature and the window's, as configured. */
export function driftDistance(
  type: InferredType,
  base: FeatureStatistics,
  current: FeatureStatistics,
  config: MonitoringConfig,
  robustCoefficient = 1.8,
): DriftDistance | null {
  if (type === 'Integral' || type === 'Fractional') {
    const a = numericDistribution(base);
    const b = numericDistribution(current);
    if (!a || !b) return null;
    const simple = lInfinity(a.cdf, b.cdf);
    const robust = lInfinityRobust(simple, a.cdf.total, b.cdf.total, robustCoefficient);
    const value = config.comparisonMethod === 'Robust' ? robust : simple;
    return {
      feature: current.name,
      kind: 'numeric',
      method: config.comparisonMethod,
      simple,
      robust,
      value,
      threshold: config.comparisonThreshold,
      exceeded: value > config.comparisonThreshold,
      baselineCount: a.cdf.total,
      currentCount: b.cdf.total,
    };
  }
  if (type === 'String') {
    const a = categoricalCounts(base);
    const b = categoricalCounts(current);
    if (!a || !b) return null;
    const aligned = alignCategories(a, b);
    let simple = 0;
    aligned.a.forEach((ca, i) => {
      simple = Math.max(simple, Math.abs(ca / a.total - (aligned.b[i] as number) / b.total));
    });
    const robust = lInfinityRobust(simple, a.total, b.total, robustCoefficient);
    const threshold = config.categoricalComparisonThreshold;
    if (config.categoricalDriftMethod === 'ChiSquared') {
      const { pValue } = chiSquareHomogeneity([aligned.a, aligned.b]);
      return {
        feature: current.name,
        kind: 'categorical',
        method: 'ChiSquared',
        simple,
        robust,
        pValue,
        value: pValue,
        threshold,
        exceeded: pValue < threshold,
        baselineCount: a.total,
        currentCount: b.total,
      };
    }
    const value = config.comparisonMethod === 'Robust' ? robust : simple;
    return {
      feature: current.name,
      kind: 'categorical',
      method: config.comparisonMethod,
      simple,
      robust,
      value,
      threshold,
      exceeded: value > threshold,
      baselineCount: a.total,
      currentCount: b.total,
    };
  }
  return null;
}

/** A CloudWatch PutMetricData datum (the SDK's shape, without importing the SDK). */
export interface MetricDatum {
  readonly MetricName: string;
  readonly Value?: number;
  readonly StatisticValues?: {
    readonly SampleCount: number;
    readonly Sum: number;
    readonly Minimum: number;
    readonly Maximum: number;
  };
  readonly Unit: 'None' | 'Count';
}

/**
 * The per-feature metrics Model Monitor emits (namespace `/aws/sagemaker/Endpoints/data-metrics`,
 * dimensions Endpoint and MonitoringSchedule — the caller adds those):
 * `feature_data_<f>` (numeric values as a statistic set: SampleCount, Sum, Minimum, Maximum;
 * CloudWatch derives Average), `feature_non_null_<f>` (completeness), `feature_integral_<f>`,
 * `feature_fractional_<f>`, `feature_string_<f>` (share of present values of each type) and
 * `feature_baseline_drift_<f>` (the drift distance the check compared). Nothing when
 * `emit_metrics` is Disabled.
 */
export function modelMonitorMetrics(
  current: Statistics,
  checks: ConstraintCheckResult,
  constraints?: Constraints,
): MetricDatum[] {
  if (constraints && !resolveMonitoringConfig(constraints).emitMetrics) return [];
  const metrics: MetricDatum[] = [];
  for (const f of current.features) {
    const stats = f.numerical_statistics;
    if (stats && stats.common.num_present > 0) {
      metrics.push({
        MetricName: `feature_data_${f.name}`,
        StatisticValues: {
          SampleCount: stats.common.num_present,
          Sum: stats.sum,
          Minimum: stats.min,
          Maximum: stats.max,
        },
        Unit: 'None',
      });
    }
    const completeness = completenessOf(f);
    if (completeness !== null)
      metrics.push({ MetricName: `feature_non_null_${f.name}`, Value: completeness, Unit: 'None' });
    const t = f.understudy?.type_counts;
    const present = presentOf(f);
    if (t && present) {
      metrics.push(
        { MetricName: `feature_integral_${f.name}`, Value: t.integral / present, Unit: 'None' },
        { MetricName: `feature_fractional_${f.name}`, Value: t.fractional / present, Unit: 'None' },
        { MetricName: `feature_string_${f.name}`, Value: t.string / present, Unit: 'None' },
      );
    }
  }
  for (const d of checks.distances) {
    // Always a distance (for ChiSquared, the L∞ one), so that larger means more drift.
    const value = d.method === 'ChiSquared' ? d.simple : d.value;
    metrics.push({ MetricName: `feature_baseline_drift_${d.feature}`, Value: value, Unit: 'None' });
  }
  return metrics;
}
