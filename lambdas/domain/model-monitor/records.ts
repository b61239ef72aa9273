/**
 * Model Monitor's stored records: data-quality job definitions, monitoring schedules and their
 * executions, in SageMaker's shapes as the registry keeps them (the `internal` part is
 * Understudy's own), and the job a schedule runs. The operations (job-definitions.ts,
 * schedules.ts, executions.ts) and the runner all read and write these.
 */
import type { StoredResource, Timestamp } from '../kernel/records.js';
import type { SuggestBaselineRequest } from './baseline-job.js';

export interface EndpointInput {
  EndpointName: string;
  LocalPath: string;
  S3InputMode?: 'Pipe' | 'File';
  S3DataDistributionType?: 'FullyReplicated' | 'ShardedByS3Key';
  FeaturesAttribute?: string;
  InferenceAttribute?: string;
  ProbabilityAttribute?: string;
  ProbabilityThresholdAttribute?: number;
  StartTimeOffset?: string;
  EndTimeOffset?: string;
  ExcludeFeaturesAttribute?: string;
}

export interface BaselineConfig {
  BaseliningJobName?: string;
  ConstraintsResource?: { S3Uri?: string };
  StatisticsResource?: { S3Uri?: string };
}

export interface MonitoringOutputConfig {
  MonitoringOutputs: { S3Output: { S3Uri: string; LocalPath: string; S3UploadMode?: string } }[];
  KmsKeyId?: string;
}

export interface ClusterConfig {
  InstanceCount: number;
  InstanceType: string;
  VolumeSizeInGB: number;
  VolumeKmsKeyId?: string;
}

export interface AppSpecification {
  ImageUri: string;
  ContainerEntrypoint?: string[];
  ContainerArguments?: string[];
  RecordPreprocessorSourceUri?: string;
  PostAnalyticsProcessorSourceUri?: string;
}

export interface MonitoringInput {
  EndpointInput?: EndpointInput;
  BatchTransformInput?: unknown;
}

/** An inline MonitoringScheduleConfig.MonitoringJobDefinition. */
export interface InlineJobDefinition {
  BaselineConfig?: BaselineConfig;
  MonitoringInputs: MonitoringInput[];
  MonitoringOutputConfig: MonitoringOutputConfig;
  MonitoringResources: { ClusterConfig: ClusterConfig };
  MonitoringAppSpecification: AppSpecification;
  StoppingCondition?: { MaxRuntimeInSeconds: number };
  Environment?: Record<string, string>;
  NetworkConfig?: unknown;
  RoleArn: string;
}

export type MonitoringType = 'DataQuality' | 'ModelQuality' | 'ModelBias' | 'ModelExplainability';

export interface ScheduleConfig {
  ScheduleExpression: string;
  DataAnalysisStartTime?: string;
  DataAnalysisEndTime?: string;
}

export interface MonitoringScheduleConfig {
  ScheduleConfig?: ScheduleConfig;
  MonitoringJobDefinition?: InlineJobDefinition;
  MonitoringJobDefinitionName?: string;
  MonitoringType?: MonitoringType;
}

export interface JobDefinitionView {
  JobDefinitionArn: string;
  JobDefinitionName: string;
  CreationTime: Timestamp;
  DataQualityBaselineConfig?: BaselineConfig;
  DataQualityAppSpecification: AppSpecification & { Environment?: Record<string, string> };
  DataQualityJobInput: { EndpointInput?: EndpointInput; BatchTransformInput?: unknown };
  DataQualityJobOutputConfig: MonitoringOutputConfig;
  JobResources: { ClusterConfig: ClusterConfig };
  NetworkConfig?: unknown;
  RoleArn: string;
  StoppingCondition?: { MaxRuntimeInSeconds: number };
}
export type JobDefinitionRecord = StoredResource<JobDefinitionView, undefined>;

/** DescribeModelQualityJobDefinition's view. */
export interface ModelQualityJobDefinitionView {
  JobDefinitionArn: string;
  JobDefinitionName: string;
  CreationTime: Timestamp;
  ModelQualityBaselineConfig?: { BaseliningJobName?: string; ConstraintsResource?: { S3Uri?: string } };
  ModelQualityAppSpecification: AppSpecification & {
    ProblemType?: 'BinaryClassification' | 'MulticlassClassification' | 'Regression';
    Environment?: Record<string, string>;
  };
  ModelQualityJobInput: {
    EndpointInput?: EndpointInput;
    BatchTransformInput?: unknown;
    GroundTruthS3Input: { S3Uri?: string };
  };
  ModelQualityJobOutputConfig: MonitoringOutputConfig;
  JobResources: { ClusterConfig: ClusterConfig };
  NetworkConfig?: unknown;
  RoleArn: string;
  StoppingCondition?: { MaxRuntimeInSeconds: number };
}
export type ModelQualityJobDefinitionRecord = StoredResource<ModelQualityJobDefinitionView, undefined>;

export type ScheduleStatus = 'Pending' | 'Failed' | 'Scheduled' | 'Stopped';

export interface ScheduleView {
  MonitoringScheduleArn: string;
  MonitoringScheduleName: string;
  MonitoringScheduleStatus: ScheduleStatus;
  MonitoringType: MonitoringType;
  FailureReason?: string;
  CreationTime: Timestamp;
  LastModifiedTime: Timestamp;
  MonitoringScheduleConfig: MonitoringScheduleConfig;
  EndpointName: string;
}
export interface ScheduleInternal {
  /** Epoch seconds from which fire times count: creation, last update or last start. */
  readonly anchor: Timestamp;
  /** ScheduledTime of the last execution created. */
  readonly lastScheduledTime?: Timestamp;
}
export type ScheduleRecord = StoredResource<ScheduleView, ScheduleInternal>;

export type ExecutionStatus =
  | 'Pending'
  | 'Completed'
  | 'CompletedWithViolations'
  | 'InProgress'
  | 'Failed'
  | 'Stopping'
  | 'Stopped';

export interface ExecutionView {
  MonitoringScheduleName: string;
  ScheduledTime: Timestamp;
  CreationTime: Timestamp;
  LastModifiedTime: Timestamp;
  MonitoringExecutionStatus: ExecutionStatus;
  ProcessingJobArn: string;
  EndpointName: string;
  FailureReason?: string;
  MonitoringJobDefinitionName?: string;
  MonitoringType: MonitoringType;
}

/** Where an execution's results are. */
export interface ExecutionReports {
  readonly statistics: string;
  readonly constraintViolations: string;
  readonly report: string;
}

export interface ExecutionInternal {
  readonly processingJobName: string;
  readonly monitoringScheduleArn: string;
  readonly job: MonitoringJob;
  /** The data analysis window, epoch seconds, [start, end). */
  readonly window: { readonly start: Timestamp; readonly end: Timestamp };
  /** The folder the execution writes to: `{S3Uri}/{endpoint}/{schedule}/{yyyy}/{mm}/{dd}/{hh}[/{MM}]`. */
  readonly outputUri: string;
  /** The endpoint's capture prefix read (`{destination}/{endpoint}`), once the execution started. */
  readonly inputUri?: string;
  readonly reports?: ExecutionReports;
  readonly exitMessage?: string;
  readonly startTime?: Timestamp;
  readonly endTime?: Timestamp;
  readonly counts?: {
    readonly records: number;
    readonly rows: number;
    readonly unparseable: number;
    readonly violations: number;
    /** Model quality: what the join of captures and ground truth saw. */
    readonly labelled?: number;
    readonly unlabelled?: number;
    readonly labelsWithoutCapture?: number;
    readonly replacedLabels?: number;
    readonly malformedLabels?: number;
    /** Labels joined to a capture that the problem type cannot read, left out of the metrics. */
    readonly wrongTypeLabels?: number;
  };
  readonly violatedFeatures?: readonly string[];
}
export type ExecutionRecord = StoredResource<ExecutionView, ExecutionInternal>;

/** What every monitoring job has, whatever it monitors. */
interface MonitoringJobBase {
  readonly jobDefinitionName?: string;
  readonly endpointInput: EndpointInput;
  readonly baseliningJobName?: string;
  readonly outputS3Uri: string;
  readonly outputLocalPath: string;
  readonly kmsKeyId?: string;
  readonly environment: Record<string, string>;
  readonly appSpecification: AppSpecification;
  readonly clusterConfig: ClusterConfig;
  readonly roleArn: string;
  readonly maxRuntimeInSeconds?: number;
}

/** A data-quality job: captures against a baseline's statistics and constraints. */
export interface DataQualityJob extends MonitoringJobBase {
  readonly monitoringType: 'DataQuality';
  readonly statisticsUri: string;
  readonly constraintsUri: string;
}

/** A model-quality job: captured predictions joined with ground truth, against optional constraints. */
export interface ModelQualityJob extends MonitoringJobBase {
  readonly monitoringType: 'ModelQuality';
  readonly problemType: 'BinaryClassification' | 'MulticlassClassification' | 'Regression';
  /** Where the ground-truth files are (`s3://bucket/prefix`, no trailing slash). */
  readonly groundTruthS3Uri: string;
  readonly constraintsUri?: string;
}

/** A schedule's job, whether defined inline or by a job definition: what the monitor runs. */
export type MonitoringJob = DataQualityJob | ModelQualityJob;

/** The registry id of an execution: schedule name and ScheduledTime (ISO 8601), sortable. */
export function executionId(scheduleName: string, scheduledTime: Timestamp): string {
  return `${scheduleName}#${new Date(scheduledTime * 1000).toISOString()}`;
}

export type ProcessingJobStatus = 'InProgress' | 'Completed' | 'Failed' | 'Stopping' | 'Stopped';

export interface ProcessingS3Input {
  S3Uri: string;
  LocalPath?: string;
  S3DataType: 'ManifestFile' | 'S3Prefix';
  S3InputMode?: 'Pipe' | 'File';
  S3DataDistributionType?: 'FullyReplicated' | 'ShardedByS3Key';
  S3CompressionType?: 'None' | 'Gzip';
}

export interface ProcessingInput {
  InputName: string;
  AppManaged?: boolean;
  S3Input?: ProcessingS3Input;
  DatasetDefinition?: unknown;
}

export interface ProcessingOutput {
  OutputName: string;
  S3Output?: { S3Uri: string; LocalPath?: string; S3UploadMode: 'Continuous' | 'EndOfJob' };
  FeatureStoreOutput?: unknown;
  AppManaged?: boolean;
}

/** A processing job as CreateProcessingJob takes it. */
export interface ProcessingJobRequest {
  ProcessingJobName: string;
  ProcessingInputs?: ProcessingInput[];
  ProcessingOutputConfig?: { Outputs: ProcessingOutput[]; KmsKeyId?: string };
  ProcessingResources: { ClusterConfig: ClusterConfig };
  StoppingCondition?: { MaxRuntimeInSeconds: number };
  AppSpecification: { ImageUri: string; ContainerEntrypoint?: string[]; ContainerArguments?: string[] };
  Environment?: Record<string, string>;
  NetworkConfig?: unknown;
  RoleArn: string;
  Tags?: { Key: string; Value: string }[];
  ExperimentConfig?: unknown;
}

/** DescribeProcessingJob's view of a job created by CreateProcessingJob. */
export interface ProcessingJobView extends Omit<ProcessingJobRequest, 'Tags'> {
  ProcessingJobArn: string;
  ProcessingJobStatus: ProcessingJobStatus;
  ExitMessage?: string;
  FailureReason?: string;
  ProcessingStartTime?: Timestamp;
  ProcessingEndTime?: Timestamp;
  LastModifiedTime: Timestamp;
  CreationTime: Timestamp;
}

/** The model-quality analyzer's baseline (model-quality-baseline.ts), as mapped from CreateProcessingJob. */
export interface ModelQualityBaselineRequest extends SuggestBaselineRequest {
  readonly ProblemType: ModelQualityJob['problemType'];
  readonly InferenceAttribute?: string;
  readonly ProbabilityAttribute?: string;
  readonly ProbabilityThresholdAttribute?: number;
  readonly GroundTruthAttribute: string;
}

/** What Understudy runs for the job: one of the analyzer's baseline suggestions, as mapped at creation. */
export interface ProcessingJobInternal {
  /** A data-quality baseline (the analyzer's default analysis). */
  readonly baseline?: SuggestBaselineRequest;
  /** A model-quality baseline (`analysis_type=MODEL_QUALITY`). */
  readonly modelQualityBaseline?: ModelQualityBaselineRequest;
  /** When a monitor attempt began running the job: a redelivered message finds it taken. */
  readonly runStartedAt?: Timestamp;
}
export type ProcessingJobRecord = StoredResource<ProcessingJobView, ProcessingJobInternal>;

/**
 * What the registry keeps under a processing job's name (COLLECTIONS.processingJob): a job
 * created by CreateProcessingJob, or a pointer to the monitoring execution that is one.
 */
export type ProcessingJobEntry = ProcessingJobRecord | { readonly executionId: string };
