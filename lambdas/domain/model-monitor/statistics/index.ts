/**
 * The statistics core of Understudy's Model Monitor: parse capture payloads into features,
 * accumulate mergeable statistics, read and write Model Monitor's files, check SageMaker's
 * constraints and run calibrated drift tests. Pure: no AWS SDK, no I/O.
 */

export { compileJsonPath, InvalidJsonPathError, type JsonPath } from '../../kernel/json-path.js';
export {
  bucketCounts,
  cdfFromSample,
  cdfFromWeighted,
  type EmpiricalCdf,
  lInfinity,
  quantileOf,
  wasserstein1,
} from '../../stats/cdf.js';
export {
  jensenShannonDistance,
  type PsiSmoothing,
  populationStabilityIndex,
} from '../../stats/divergence.js';
export {
  benjaminiHochberg,
  bonferroni,
  type ChiSquareResult,
  chiSquareHomogeneity,
  kolmogorovSf,
  ksCriticalCoefficient,
  ksPValue,
  ksPValueExact,
  lInfinityRobust,
} from '../../stats/hypothesis.js';
export {
  type AccumulatorOptions,
  CaptureReader,
  type CaptureReadOptions,
  type CaptureTarget,
  DatasetAccumulator,
  type DatasetAccumulatorJson,
  type DatasetAccumulatorOptions,
  FeatureAccumulator,
  type FeatureAccumulatorJson,
  type ParseSummary,
  type PayloadOptions,
} from './accumulator.js';
export {
  type BaselineRow,
  featureNamesFromJsonLines,
  readCsvHeader,
  type SuggestedBaseline,
  suggestBaseline,
  suggestBaselineFromPayloads,
  suggestConstraints,
} from './baseline.js';
export {
  type CaptureData,
  type CaptureSide,
  decodeCaptureData,
  type Payload,
  readCaptureLine,
} from './capture.js';
export {
  type CheckInput,
  type CheckOutcome,
  type ConstraintCheckResult,
  checkConstraints,
  type DriftDistance,
  driftDistance,
  type MetricDatum,
  modelMonitorMetrics,
} from './checks.js';
export {
  alignCategories,
  type CategoricalCounts,
  categoricalCounts,
  completenessOf,
  type FeatureHistograms,
  featureHistograms,
  featureSketch,
  type NumericDistribution,
  numericDistribution,
} from './distributions.js';
export {
  type Correction,
  type DriftFinding,
  type DriftOptions,
  type DriftReport,
  type DriftRule,
  detectDrift,
  driftFindings,
  type FeatureDrift,
  poolSparseCategories,
} from './drift.js';
export { IncompatibleStatisticsError, InvalidMonitoringFileError, MonitoringError } from './errors.js';
export { loadLineKernel } from './line-kernel.js';
export {
  CONSTRAINT_CHECK_TYPES,
  type ConstraintCheckType,
  type Constraints,
  type ConstraintViolation,
  type ConstraintViolations,
  DEFAULT_MONITORING_CONFIG,
  type FeatureConstraints,
  type FeatureStatistics,
  formatMonitoringFile,
  type InferredType,
  type MonitoringConfig,
  parseConstraints,
  parseStatistics,
  parseViolations,
  resolveMonitoringConfig,
  type Statistics,
} from './schemas.js';
export { CenteredSketch, DEFAULT_RELATIVE_ACCURACY, type SketchJson } from './sketch.js';
