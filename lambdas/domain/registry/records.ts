import type { PreviousDeployment, RolloutState } from '../deployments/types.js';
import type { ArtifactRef } from '../inference/artifact.js';
import type { ComparisonConfig } from '../shadow/index.js';

/** Collections of the registry store. */
export const COLLECTIONS = {
  modelPackageGroup: 'ModelPackageGroup',
  modelPackage: 'ModelPackage',
  packageVersionCounter: 'ModelPackageVersionCounter',
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
  /** Counter: an endpoint's captured copies not known to reach the mirror queue, id `{EndpointName}`. */
  capturesDropped: 'CapturesDropped',
  /** Counter: a shadow variant's copies not known to reach the mirror queue, id `{comparisonId}/{ShadowVariant}`. */
  mirrorsDropped: 'MirrorsDropped',
  dataQualityJobDefinition: 'DataQualityJobDefinition',
  monitoringSchedule: 'MonitoringSchedule',
  /** One record per execution, id `{MonitoringScheduleName}#{ScheduledTime, ISO 8601}`. */
  monitoringExecution: 'MonitoringExecution',
  /** A monitoring execution's processing job name → its execution id (DescribeProcessingJob). */
  processingJob: 'ProcessingJob',
} as const;

/** A registered artifact: where, its digest and size. */
export interface RegisteredArtifact extends ArtifactRef {
  readonly sizeBytes: number;
}

/** Stored records hold the SageMaker Describe view plus Understudy's own fields under `internal`. */
export type StoredResource<View, Internal = undefined> = View & { internal: Internal };

export interface ModelPackageInternal {
  readonly artifact: RegisteredArtifact;
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
  readonly csvContentTypes: readonly string[];
  readonly jsonContentTypes: readonly string[];
  /** Set when the shadow belongs to an inference experiment. */
  readonly experimentName?: string;
  /** Epoch seconds after which mirroring stops (the experiment's schedule end). */
  readonly endsAt?: number;
  /** How its predictions are compared with production's; inferred from the data when absent. */
  readonly comparison?: ComparisonConfig;
}

export interface EndpointInternal {
  readonly variants: readonly RuntimeVariant[];
  readonly capture?: RuntimeCapture;
  readonly shadows?: readonly RuntimeShadow[];
  /** An UpdateEndpoint rolling out: the new fleet and its share of traffic. */
  readonly rollout?: RolloutState;
  /** What served before the last change, for a rollback by hand. */
  readonly previous?: PreviousDeployment;
}

/** Fields of a view that hold timestamps (epoch seconds on the wire). */
export type Timestamp = number;
