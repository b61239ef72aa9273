/**
 * Shadow-test comparison: pure domain code (no AWS SDK). The shadow Lambda folds each batch
 * of observations into a delta with `createAggregate`, merges it into the stored aggregate
 * with `mergeAggregates` (associative and commutative, so concurrent batches can retry under
 * optimistic concurrency), and `summarize` turns an aggregate into the report that
 * `Understudy.DescribeShadowReport` returns.
 */

export type { ComparisonConfig, SegmentConfig, TaskKind } from '../kernel/records.js';
export {
  DEFAULT_PSI_EPSILON,
  jensenShannonDistance,
  type PsiSmoothing,
  populationStabilityIndex,
} from '../stats/divergence.js';
export { clopperPearsonBounds, type Interval, wilsonInterval } from '../stats/intervals.js';
export {
  type ClassifiedRow,
  type ComparisonAggregate,
  ComparisonError,
  type ComparisonObservation,
  type ComparisonRule,
  createAggregate,
  DEFAULT_ABSOLUTE_TOLERANCE,
  emptyAggregate,
  IncompatibleAggregatesError,
  inferTaskKind,
  type LabelCount,
  MISSING_SEGMENT,
  type ModelDescription,
  mergeAggregates,
  type ResolvedComparisonConfig,
  recordObservations,
  resolveComparisonConfig,
  type SegmentTally,
  SHADOW_ERROR_KINDS,
  type ShadowErrorKind,
  sameComparisonConfig,
  TRACKED_LABELS,
  TRACKED_SEGMENTS,
} from './aggregate.js';
export { comparisonIdFor, comparisonRecordId } from './comparison-ids.js';
export {
  comparableRows,
  decideComparison,
  inferModelTask,
  type ModelTask,
} from './comparison-rule.js';
export { dedupeByEventId } from './dedupe.js';
export { modelTaskSchema } from './model-task-schema.js';
export { InvalidAggregateError, parseAggregate } from './parse.js';
export {
  type AgreementRate,
  type ComparisonRuleReport,
  type LabelsReport,
  type LatencySummary,
  outputHistograms,
  type ProportionInterval,
  type SegmentReport,
  type ShadowReport,
  type SummaryOptions,
  summarize,
  VERDICT_TEST_NAME,
  type Verdict,
  type VerdictTest,
  verdictTest,
} from './report.js';
export { DEFAULT_RELATIVE_ACCURACY, type SketchData } from './sketch.js';
