/**
 * Model Monitor's files — statistics.json, constraints.json, constraint_violations.json — as
 * zod schemas (the reading side) and TypeScript types (the writing side), following the
 * schemas in SageMaker's developer guide ("Schema for Statistics", "Schema for Constraints",
 * "Schema for Violations"). Unknown fields are kept (`looseObject`), so files written by
 * SageMaker or edited by hand round-trip.
 *
 * Understudy's additions stay inside objects named `understudy`, which SageMaker ignores:
 * - `features[].understudy.type_counts` — how many values of each type the window had (the
 *   data-type check needs the share, which the standard schema does not carry);
 * - `features[].understudy.distinct_count_exact` / `other_count` — whether `distinct_count`
 *   is exact or a HyperLogLog estimate, and how many values the categorical buckets omit;
 * - `distribution.kll.sketch.understudy` — `{type: "DDSketch", relative_accuracy, center}`:
 *   the sketch under `kll.sketch` is then a DDSketch, not a KLL sketch: `data` is
 *   `[positive bins, negative bins, [zero count]]` with bins as flat `[key, count, …]` lists
 *   (see sketch.ts), and `parameters.c` repeats the relative accuracy; for features with at most
 *   1,000 distinct numbers, `values` adds the exact `[value, count, …]` pairs. Without it, `kll.sketch`
 *   is read as SageMaker's KLL sketch (deequ's QuantileNonSample): `data[h]` holds the items
 *   of compactor level h, each of weight 2^h.
 */
import { z } from 'zod';
import { InvalidMonitoringFileError, type MonitoringFileName } from './errors.js';

export const INFERRED_TYPES = ['Integral', 'Fractional', 'String', 'Unknown'] as const;
export type InferredType = (typeof INFERRED_TYPES)[number];

const count = z.number().nonnegative();
const common = z.looseObject({ num_present: count, num_missing: count });

const ddsketchInfo = z.looseObject({
  type: z.literal('DDSketch'),
  relative_accuracy: z.number().gt(0).lt(1),
  center: z.number(),
  /** Exact `[value, count, …]` pairs, ascending, when the feature has at most 1,000 distinct numbers. */
  values: z.array(z.number()).optional(),
});

const sketch = z
  .looseObject({
    parameters: z.looseObject({ c: z.number(), k: z.number() }).optional(),
    data: z.array(z.array(z.number())),
    understudy: ddsketchInfo.optional(),
  })
  .superRefine((value, ctx) => {
    if (!value.understudy) return;
    const [pos, neg, zero] = value.data;
    if (value.data.length !== 3 || pos === undefined || neg === undefined || zero?.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: 'a DDSketch needs data [positive bins, negative bins, [zero count]]',
      });
      return;
    }
    const values = value.understudy.values;
    if (values && values.length % 2 !== 0) {
      ctx.addIssue({ code: 'custom', message: 'exact values must be [value, count] pairs' });
    }
    for (const bins of [pos, neg]) {
      if (bins.length % 2 !== 0) {
        ctx.addIssue({ code: 'custom', message: 'DDSketch bins must be [key, count] pairs' });
        return;
      }
      for (let i = 0; i < bins.length; i += 2) {
        if (!Number.isInteger(bins[i]) || (bins[i + 1] as number) < 0) {
          ctx.addIssue({
            code: 'custom',
            message: `DDSketch bin ${i / 2}: keys must be integers, counts ≥ 0`,
          });
          return;
        }
      }
    }
  });

const kllBucket = z.looseObject({ lower_bound: z.number(), upper_bound: z.number(), count });

const numericalStatistics = z.looseObject({
  common,
  mean: z.number(),
  sum: z.number(),
  std_dev: z.number().nonnegative(),
  min: z.number(),
  max: z.number(),
  distribution: z
    .looseObject({
      kll: z.looseObject({ buckets: z.array(kllBucket), sketch: sketch.optional() }).optional(),
    })
    .optional(),
});

const categoricalBucket = z.looseObject({
  value: z.union([z.string(), z.number(), z.boolean()]).transform(String),
  count,
});

const stringStatistics = z.looseObject({
  common,
  distinct_count: count,
  distribution: z
    .looseObject({ categorical: z.looseObject({ buckets: z.array(categoricalBucket) }).optional() })
    .optional(),
});

const featureExtensions = z.looseObject({
  type_counts: z.looseObject({ integral: count, fractional: count, string: count }).optional(),
  distinct_count_exact: z.boolean().optional(),
  other_count: count.optional(),
});

const featureStatistics = z.looseObject({
  name: z.string().min(1),
  inferred_type: z.enum(INFERRED_TYPES),
  numerical_statistics: numericalStatistics.optional(),
  string_statistics: stringStatistics.optional(),
  understudy: featureExtensions.optional(),
});

function uniqueNames(features: readonly { name: string }[], ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  features.forEach((f, i) => {
    if (seen.has(f.name)) {
      ctx.addIssue({
        code: 'custom',
        path: ['features', i, 'name'],
        message: `feature '${f.name}' appears twice`,
      });
    }
    seen.add(f.name);
  });
}

export const statisticsSchema = z
  .looseObject({
    version: z.number(),
    dataset: z.looseObject({ item_count: count }),
    features: z.array(featureStatistics),
  })
  .superRefine((value, ctx) => uniqueNames(value.features, ctx));

export type Statistics = z.output<typeof statisticsSchema>;
export type FeatureStatistics = z.output<typeof featureStatistics>;
export type NumericalStatistics = z.output<typeof numericalStatistics>;
export type StringStatistics = z.output<typeof stringStatistics>;

const enabled = z.enum(['Enabled', 'Disabled']);
/** The guide shows `Simple`/`Robust` in the schema and `linf_simple`/`linf_robust` in the table: both are read. */
const comparisonMethod = z
  .enum(['Simple', 'Robust', 'linf_simple', 'linf_robust'])
  .transform((v) => (v === 'linf_simple' ? 'Simple' : v === 'linf_robust' ? 'Robust' : v));
const threshold = z.number().min(0).max(1);

const distributionConstraints = z.looseObject({
  perform_comparison: enabled.optional(),
  comparison_threshold: z.number().nonnegative().optional(),
  comparison_method: comparisonMethod.optional(),
  categorical_comparison_threshold: z.number().nonnegative().optional(),
  categorical_drift_method: z.enum(['LInfinity', 'ChiSquared']).optional(),
});

const monitoringConfig = z.looseObject({
  evaluate_constraints: enabled.optional(),
  emit_metrics: enabled.optional(),
  datatype_check_threshold: threshold.optional(),
  domain_content_threshold: threshold.optional(),
  distribution_constraints: distributionConstraints.optional(),
});

const constraintFeature = z.looseObject({
  name: z.string().min(1),
  inferred_type: z.enum(INFERRED_TYPES),
  completeness: threshold.optional(),
  num_constraints: z.looseObject({ is_non_negative: z.boolean().optional() }).optional(),
  string_constraints: z
    .looseObject({
      domains: z.array(z.union([z.string(), z.number(), z.boolean()]).transform(String)).optional(),
    })
    .optional(),
  /** Per-feature overrides of `monitoring_config` (same keys, also flat distribution keys). */
  monitoringConfigOverrides: monitoringConfig.extend(distributionConstraints.shape).optional(),
});

export const constraintsSchema = z
  .looseObject({
    version: z.number().optional(),
    features: z.array(constraintFeature),
    monitoring_config: monitoringConfig.optional(),
  })
  .superRefine((value, ctx) => uniqueNames(value.features, ctx));

export type Constraints = z.output<typeof constraintsSchema>;
export type FeatureConstraints = z.output<typeof constraintFeature>;

export const CONSTRAINT_CHECK_TYPES = [
  'data_type_check',
  'completeness_check',
  'baseline_drift_check',
  'missing_column_check',
  'extra_column_check',
  'categorical_values_check',
] as const;
export type ConstraintCheckType = (typeof CONSTRAINT_CHECK_TYPES)[number];

export const violationsSchema = z.looseObject({
  violations: z.array(
    z.looseObject({
      feature_name: z.string(),
      constraint_check_type: z.enum(CONSTRAINT_CHECK_TYPES),
      description: z.string(),
    }),
  ),
});

export type ConstraintViolations = z.output<typeof violationsSchema>;
export type ConstraintViolation = ConstraintViolations['violations'][number];

/** monitoring_config with every default applied (for one feature, overrides included). */
export interface MonitoringConfig {
  readonly evaluateConstraints: boolean;
  readonly emitMetrics: boolean;
  /** Share of values that must have the baseline's type (data_type_check). @default 1.0 */
  readonly datatypeCheckThreshold: number;
  /** Share of String values that must lie in the baseline's domain (categorical_values_check). @default 1.0 */
  readonly domainContentThreshold: number;
  readonly performComparison: boolean;
  /** Numeric drift threshold on the L∞ distance. @default 0.1 */
  readonly comparisonThreshold: number;
  /** @default 'Robust' (SageMaker's SDK default) */
  readonly comparisonMethod: 'Simple' | 'Robust';
  /** @default comparison_threshold */
  readonly categoricalComparisonThreshold: number;
  /** @default 'LInfinity' */
  readonly categoricalDriftMethod: 'LInfinity' | 'ChiSquared';
}

/** The `monitoring_config` Understudy writes when it suggests constraints. */
export const DEFAULT_MONITORING_CONFIG = {
  evaluate_constraints: 'Enabled',
  emit_metrics: 'Enabled',
  datatype_check_threshold: 1.0,
  domain_content_threshold: 1.0,
  distribution_constraints: {
    perform_comparison: 'Enabled',
    comparison_threshold: 0.1,
    comparison_method: 'Robust',
    categorical_comparison_threshold: 0.1,
    categorical_drift_method: 'LInfinity',
  },
} as const;

type RawConfig = z.output<typeof monitoringConfig>;
type DistributionConfig = z.output<typeof distributionConstraints>;
type RawOverrides = NonNullable<FeatureConstraints['monitoringConfigOverrides']>;

/** The effective monitoring config, for the whole file or one feature (applying its overrides). */
export function resolveMonitoringConfig(constraints: Constraints, featureName?: string): MonitoringConfig {
  const base: RawConfig = constraints.monitoring_config ?? {};
  const overrides: RawOverrides =
    (featureName === undefined
      ? undefined
      : constraints.features.find((f) => f.name === featureName)?.monitoringConfigOverrides) ?? {};
  const dist: DistributionConfig = {
    ...base.distribution_constraints,
    ...overrides.distribution_constraints,
  };
  const flat = overrides as Partial<DistributionConfig>;
  const pick = <K extends keyof DistributionConfig>(key: K): DistributionConfig[K] => flat[key] ?? dist[key];
  const comparisonThreshold = pick('comparison_threshold') ?? 0.1;
  return {
    evaluateConstraints:
      (overrides.evaluate_constraints ?? base.evaluate_constraints ?? 'Enabled') === 'Enabled',
    emitMetrics: (overrides.emit_metrics ?? base.emit_metrics ?? 'Enabled') === 'Enabled',
    datatypeCheckThreshold: overrides.datatype_check_threshold ?? base.datatype_check_threshold ?? 1.0,
    domainContentThreshold: overrides.domain_content_threshold ?? base.domain_content_threshold ?? 1.0,
    performComparison: (pick('perform_comparison') ?? 'Enabled') === 'Enabled',
    comparisonThreshold,
    comparisonMethod: pick('comparison_method') ?? 'Robust',
    categoricalComparisonThreshold: pick('categorical_comparison_threshold') ?? comparisonThreshold,
    categoricalDriftMethod: pick('categorical_drift_method') ?? 'LInfinity',
  };
}

function describeIssues(error: z.ZodError): string[] {
  return error.issues.slice(0, 20).map((issue) => {
    const path = issue.path
      .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i > 0 ? '.' : ''}${String(p)}`))
      .join('');
    return `${path || '(root)'}: ${issue.message}`;
  });
}

function parseFile<S extends z.ZodType>(
  schema: S,
  file: MonitoringFileName,
  input: string | unknown,
): z.output<S> {
  let value: unknown = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (error) {
      throw new InvalidMonitoringFileError(file, 'syntax', [(error as Error).message], { cause: error });
    }
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new InvalidMonitoringFileError(file, 'schema', describeIssues(result.error), {
      cause: result.error,
    });
  }
  return result.data;
}

/** Reads statistics.json (text or parsed JSON); throws InvalidMonitoringFileError naming each problem. */
export function parseStatistics(input: string | unknown): Statistics {
  return parseFile(statisticsSchema, 'statistics.json', input);
}

/** Reads constraints.json (text or parsed JSON), hand-edited ones included. */
export function parseConstraints(input: string | unknown): Constraints {
  return parseFile(constraintsSchema, 'constraints.json', input);
}

/** Reads constraint_violations.json. */
export function parseViolations(input: string | unknown): ConstraintViolations {
  return parseFile(violationsSchema, 'constraint_violations.json', input);
}

/**
 * Writes a monitoring file as indented JSON, keeping arrays of numbers on one line (sketch
 * bins would otherwise take a line each).
 */
export function formatMonitoringFile(value: unknown): string {
  return `${format(value, '')}\n`;
}

function format(value: unknown, indent: string): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every((v) => typeof v === 'number')) return JSON.stringify(value);
    const inner = `${indent}  `;
    return `[\n${value.map((v) => inner + format(v, inner)).join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    const inner = `${indent}  `;
    return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${format(v, inner)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
