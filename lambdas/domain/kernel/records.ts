import type { ArtifactRef } from './artifact.js';

/** Collections of the registry store. */
export const COLLECTIONS = {
  modelPackageGroup: 'ModelPackageGroup',
  modelPackage: 'ModelPackage',
  /**
   * Before the group record kept its latest version: per group, the last version number.
   * Read only for a group whose record has no `latestVersion` yet (state saved before).
   */
  packageVersionCounter: 'ModelPackageVersionCounter',
  /**
   * A model package's audit history, append-only: id `{group, lower case}/{version, 10 digits}#{sequence, 6 digits}`,
   * so it outlives the package and its group.
   */
  modelPackageHistory: 'ModelPackageHistory',
  model: 'Model',
  endpointConfig: 'EndpointConfig',
  endpoint: 'Endpoint',
  /** One record per deployment, id `{EndpointName}#{sequence number, 12 digits}`. */
  deploymentHistory: 'DeploymentHistory',
  /** Per endpoint, the last deployment sequence number. */
  deploymentCounter: 'DeploymentHistoryCounter',
  inferenceExperiment: 'InferenceExperiment',
  /** Comparison aggregate of one shadow variant, id `{comparisonId}/{ShadowVariant}`. */
  shadowComparison: 'ShadowComparison',
  /**
   * Marker of an event merged into a comparison, id `{comparisonId}/{ShadowVariant}#{eventId}`,
   * written in the merge's transaction (exactly-once comparisons); expires after 5 days.
   */
  shadowCompared: 'ShadowCompared',
  dataQualityJobDefinition: 'DataQualityJobDefinition',
  modelQualityJobDefinition: 'ModelQualityJobDefinition',
  monitoringSchedule: 'MonitoringSchedule',
  /** One record per execution, id `{MonitoringScheduleName}#{ScheduledTime, ISO 8601}`. */
  monitoringExecution: 'MonitoringExecution',
  /** A monitoring execution's processing job name → its execution id (DescribeProcessingJob). */
  processingJob: 'ProcessingJob',
  /** Training jobs by name (CreateTrainingJob). */
  trainingJob: 'TrainingJob',
  /** Counter: an endpoint's captured copies not known to reach the mirror queue, id `{EndpointName}`. */
  capturesDropped: 'CapturesDropped',
  /** Counter: a shadow variant's copies not known to reach the mirror queue, id `{comparisonId}/{ShadowVariant}`. */
  mirrorsDropped: 'MirrorsDropped',
  /** A resource's tags, id its ARN (as the resource's record holds it). */
  tags: 'Tags',
  /** A create's idempotency token and its answer, id `{Operation}#{ClientToken}` (kernel/idempotency.ts). */
  clientToken: 'ClientToken',
} as const;

/** A registered artifact: where, its digest and size. */
export interface RegisteredArtifact extends ArtifactRef {
  readonly sizeBytes: number;
}

/** Stored records hold the SageMaker Describe view plus Understudy's own fields under `internal`. */
export type StoredResource<View, Internal = undefined> = View & { internal: Internal };

export interface ModelPackageInternal {
  readonly artifact: RegisteredArtifact;
  /** Entries in the package's audit history; the next one takes sequence `historyCount + 1`. */
  readonly historyCount?: number;
}

export interface ModelPackageGroupInternal {
  /** The last version registered in the group; the next registration takes the one after. */
  readonly latestVersion?: number;
}

export interface ModelInternal {
  readonly artifact: RegisteredArtifact;
  /** The package the model was created from, whose approval gates deployment. */
  readonly modelPackageArn?: string;
}

/** What the data plane needs of one variant, resolved when the endpoint is deployed. */
export interface RuntimeVariant {
  readonly VariantName: string;
  readonly weight: number;
  readonly ModelName: string;
  readonly artifact: RegisteredArtifact;
}

/** Data capture as resolved from the endpoint config's DataCaptureConfig. */
export interface RuntimeCapture {
  readonly enabled: boolean;
  readonly samplingPercentage: number;
  /** `s3://bucket/prefix` under which `{endpoint}/{variant}/yyyy/mm/dd/hh/` files go. */
  readonly destination: string;
  readonly captureInput: boolean;
  readonly captureOutput: boolean;
  readonly csvContentTypes: readonly string[];
  readonly jsonContentTypes: readonly string[];
  readonly kmsKeyId?: string;
}

/** A shadow variant: receives a sampled copy of its source variant's traffic, never answers. */
export interface RuntimeShadow extends RuntimeVariant {
  readonly samplingPercentage: number;
  /** The production variant whose requests are mirrored. */
  readonly sourceVariant: string;
  /** Where its captures go (`s3://bucket/prefix`); without one, it is compared but not captured. */
  readonly destination?: string;
  /** The customer KMS key its captures are written under (SSE-KMS); absent, the bucket's default. */
  readonly kmsKeyId?: string;
  readonly csvContentTypes: readonly string[];
  readonly jsonContentTypes: readonly string[];
  /** Set when the shadow belongs to an inference experiment. */
  readonly experimentName?: string;
  /** Epoch seconds after which mirroring stops (the experiment's schedule end). */
  readonly endsAt?: number;
  /** How its predictions are compared with production's; inferred from the data when absent. */
  readonly comparison?: ComparisonConfig;
}

/**
 * Which request fields never leave the request path as sent (Understudy.ConfigureCaptureRedaction):
 * a field of a JSON payload by JSONPath, or a column of a CSV payload by its 0-based index.
 * See data-capture/redaction.ts.
 */
export interface CaptureRedaction {
  readonly Drop: readonly RedactionSelector[];
  readonly Hash: readonly RedactionSelector[];
}

export type RedactionSelector = { readonly JsonPath: string } | { readonly CsvColumn: number };

/** An endpoint config's Understudy-only settings, stored beside SageMaker's fields. */
export interface EndpointConfigInternal {
  readonly captureRedaction?: CaptureRedaction;
}

export interface EndpointInternal {
  readonly variants: readonly RuntimeVariant[];
  readonly capture?: RuntimeCapture;
  /**
   * From the endpoint config: applied to the request body before the mirror message is built,
   * so captures, shadow captures, spilled bodies and dead letters never hold the fields.
   */
  readonly redaction?: CaptureRedaction;
  readonly shadows?: readonly RuntimeShadow[];
  /** An UpdateEndpoint rolling out: the new fleet and its share of traffic. */
  readonly rollout?: RolloutState;
  /** What served before the last change, for a rollback by hand. */
  readonly previous?: PreviousDeployment;
}

/** Fields of a view that hold timestamps (epoch seconds on the wire). */
export type Timestamp = number;

// The endpoint record's deployment state (UpdateEndpoint rollouts, rollbacks).

// SageMaker's DeploymentConfig, as UpdateEndpoint receives it (validated against the service model).

export type TrafficRoutingConfigType = 'ALL_AT_ONCE' | 'CANARY' | 'LINEAR';

export interface CapacitySize {
  Type: 'INSTANCE_COUNT' | 'CAPACITY_PERCENT';
  Value: number;
}

export interface TrafficRoutingConfig {
  Type: TrafficRoutingConfigType;
  WaitIntervalInSeconds: number;
  CanarySize?: CapacitySize;
  LinearStepSize?: CapacitySize;
}

export interface BlueGreenUpdatePolicy {
  TrafficRoutingConfiguration: TrafficRoutingConfig;
  TerminationWaitInSeconds?: number;
  MaximumExecutionTimeoutInSeconds?: number;
}

export interface DeploymentConfig {
  BlueGreenUpdatePolicy?: BlueGreenUpdatePolicy;
  RollingUpdatePolicy?: Record<string, unknown>;
  AutoRollbackConfiguration?: { Alarms?: { AlarmName?: string }[] };
}

/**
 * How a new endpoint config takes over, derived from a DeploymentConfig: the percentage of
 * traffic on the new fleet after each step (the last is always 100), each step followed by a
 * bake of `waitSeconds` during which the alarms are watched.
 */
export interface RolloutPlan {
  readonly type: TrafficRoutingConfigType;
  readonly steps: readonly number[];
  readonly waitSeconds: number;
  readonly maxExecutionSeconds: number;
  readonly alarms: readonly string[];
}

/** A serverless variant's sizing, as SageMaker's ProductionVariantServerlessConfig. */
export interface ServerlessConfig {
  MemorySizeInMB: number;
  MaxConcurrency: number;
  ProvisionedConcurrency?: number;
}

/** A variant as DescribeEndpoint lists it. */
export interface VariantSummaryView {
  VariantName: string;
  CurrentWeight: number;
  DesiredWeight: number;
  CurrentServerlessConfig?: ServerlessConfig;
  DesiredServerlessConfig?: ServerlessConfig;
}

/** DescribeEndpoint's PendingDeploymentSummary while a new config is rolled out. */
export interface PendingDeploymentSummary {
  EndpointConfigName: string;
  StartTime: Timestamp;
  ProductionVariants: (VariantSummaryView & {
    VariantStatus: {
      Status: 'Creating' | 'ActivatingTraffic' | 'Baking';
      StatusMessage: string;
      StartTime: Timestamp;
    }[];
  })[];
}

/** What serves traffic for one endpoint config: its variants, capture and shadows. */
export type FleetRuntime = Omit<EndpointInternal, 'rollout' | 'previous'>;

/**
 * An UpdateEndpoint in progress, kept on the endpoint record (`internal.rollout`) so that the
 * data plane reads the old fleet, the new fleet and the share between them in one record:
 * a request never sees a half-written rollout.
 */
export interface RolloutState {
  readonly deploymentId: string;
  /** Id of the DeploymentHistory record of this deployment. */
  readonly historyId: string;
  readonly EndpointConfigName: string;
  readonly runtime: FleetRuntime;
  /** The new config's variants as DescribeEndpoint will list them once it takes over. */
  readonly productionVariants: VariantSummaryView[];
  readonly plan: RolloutPlan;
  /** Index in `plan.steps` of the step in force. */
  readonly step: number;
  /** Fraction of untargeted traffic routed to the new fleet (plan.steps[step] / 100). */
  readonly share: number;
  readonly startedAt: Timestamp;
  readonly stepStartedAt: Timestamp;
  /** When the current step's bake is over (epoch seconds). */
  readonly bakeEndsAt: Timestamp;
  /**
   * Sequence number of the one step message that may act on this rollout. Each scheduled
   * message carries the value it expects; older duplicates (SQS delivers at least once) are
   * dropped, so exactly one chain of messages drives a rollout.
   */
  readonly tick: number;
}

/** The config an endpoint served before its last change, for `Understudy.RollbackEndpoint`. */
export interface PreviousDeployment {
  readonly EndpointConfigName: string;
  readonly productionVariants: VariantSummaryView[];
  readonly runtime: FleetRuntime;
}

// How a shadow's predictions are compared with production's (stored on RuntimeShadow).

/**
 * How production and shadow answers are compared.
 * - `classification`: a row's answer is a label (an integer or string), or a score vector
 *   (e.g. class probabilities) whose argmax is the label; rows agree when labels are equal.
 * - `regression`: a row's answer is a real value (or a vector of them, compared element by
 *   element); rows agree when every |production − shadow| ≤ absolute + relative·|production|.
 */
export type TaskKind = 'classification' | 'regression';

/** Breakdown by one request feature. */
export interface SegmentConfig {
  /** The feature's name, as shown in the report. */
  readonly feature: string;
  /** Its position in a row (after flattening nested rows). */
  readonly column: number;
  /**
   * Ascending cut points for a numeric feature: segments are (−∞, e₀), [e₀, e₁), …, [eₙ, ∞).
   * Without edges each distinct value is its own segment (for categorical codes).
   */
  readonly edges?: readonly number[];
}

export interface ComparisonConfig {
  readonly kind: TaskKind;
  /**
   * Regression: largest |production − shadow| that still counts as agreement.
   * @default 1e-6 (absorbs float32 rounding between batched and single-row runs)
   */
  readonly absoluteTolerance?: number;
  /**
   * Regression: additional tolerance as a fraction of |production| (numpy.isclose style,
   * production being the reference). @default 0
   */
  readonly relativeTolerance?: number;
  readonly segment?: SegmentConfig;
  /** Relative accuracy of the quantile sketches. @default 0.01 */
  readonly relativeAccuracy?: number;
}
