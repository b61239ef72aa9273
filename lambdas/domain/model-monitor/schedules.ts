/**
 * Model Monitor's control plane: data-quality job definitions, monitoring schedules, their
 * executions, and DescribeProcessingJob for an execution's processing job — SageMaker's
 * operations and shapes. Schedules live in the registry; the monitor Lambda, on its
 * EventBridge tick, runs the due ones (see model-monitor/runner.ts), so creating a
 * schedule needs no redeploy.
 *
 * Understudy runs `DataQuality` monitoring of real-time endpoints (`EndpointInput`) against a
 * baseline (`StatisticsResource` and `ConstraintsResource` are required). Container fields
 * (`ImageUri`, `ClusterConfig`, `RoleArn`, `NetworkConfig`, ...) are accepted, recorded and
 * shown again by DescribeProcessingJob, not used.
 */
import { createHash } from 'node:crypto';
import type { EndpointRecord } from '../hosting/endpoints.js';
import { parseS3Uri } from '../kernel/artifact.js';
import {
  arn,
  type ControlContext,
  epochSeconds,
  type ListRequest,
  page,
  toEpoch,
  view,
} from '../kernel/context.js';
import { ApiError, ResourceInUse, ValidationException } from '../kernel/errors.js';
import { COLLECTIONS, type StoredResource, type Timestamp } from '../kernel/records.js';
import { RecordExistsError, type RegistryStore, VersionConflictError } from '../kernel/store.js';
import { type JobOptions, jobOptions } from './job-options.js';
import {
  type AnalysisOffsets,
  type ParsedSchedule,
  parseAnalysisOffsets,
  parseScheduleExpression,
} from './schedule-expression.js';

// ---------------------------------------------------------------------------------------
// Shapes (SageMaker's, as stored)

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

interface BaselineConfig {
  BaseliningJobName?: string;
  ConstraintsResource?: { S3Uri?: string };
  StatisticsResource?: { S3Uri?: string };
}

interface MonitoringOutputConfig {
  MonitoringOutputs: { S3Output: { S3Uri: string; LocalPath: string; S3UploadMode?: string } }[];
  KmsKeyId?: string;
}

interface ClusterConfig {
  InstanceCount: number;
  InstanceType: string;
  VolumeSizeInGB: number;
  VolumeKmsKeyId?: string;
}

interface AppSpecification {
  ImageUri: string;
  ContainerEntrypoint?: string[];
  ContainerArguments?: string[];
  RecordPreprocessorSourceUri?: string;
  PostAnalyticsProcessorSourceUri?: string;
}

interface MonitoringInput {
  EndpointInput?: EndpointInput;
  BatchTransformInput?: unknown;
}

/** An inline MonitoringScheduleConfig.MonitoringJobDefinition. */
interface InlineJobDefinition {
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

interface ScheduleConfig {
  ScheduleExpression: string;
  DataAnalysisStartTime?: string;
  DataAnalysisEndTime?: string;
}

interface MonitoringScheduleConfig {
  ScheduleConfig?: ScheduleConfig;
  MonitoringJobDefinition?: InlineJobDefinition;
  MonitoringJobDefinitionName?: string;
  MonitoringType?: MonitoringType;
}

interface JobDefinitionView {
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

export type ScheduleStatus = 'Pending' | 'Failed' | 'Scheduled' | 'Stopped';

interface ScheduleView {
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

interface ExecutionView {
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
  };
  readonly violatedFeatures?: readonly string[];
}
export type ExecutionRecord = StoredResource<ExecutionView, ExecutionInternal>;

/** A schedule's job, whether defined inline or by a job definition: what the monitor runs. */
export interface MonitoringJob {
  readonly jobDefinitionName?: string;
  readonly monitoringType: 'DataQuality';
  readonly endpointInput: EndpointInput;
  readonly statisticsUri: string;
  readonly constraintsUri: string;
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

// ---------------------------------------------------------------------------------------
// Errors and lookups

class NotFound extends ApiError {
  constructor(message: string) {
    super('ResourceNotFound', 400, message);
  }
}

async function getJobDefinition(
  store: RegistryStore,
  name: string,
): Promise<JobDefinitionRecord | undefined> {
  return (await store.get<JobDefinitionRecord>(COLLECTIONS.dataQualityJobDefinition, name))?.data;
}

async function getSchedule(ctx: ControlContext, name: string) {
  const stored = await ctx.store.get<ScheduleRecord>(COLLECTIONS.monitoringSchedule, name);
  if (!stored)
    throw new NotFound(`Monitoring schedule ${arn(ctx, 'monitoring-schedule', name)} does not exist.`);
  return stored;
}

function isS3Uri(uri: string | undefined): uri is string {
  return uri !== undefined && parseS3Uri(`${uri.replace(/\/+$/, '')}/x`) !== undefined;
}

/** Builds the job the monitor runs; ValidationException for what Understudy cannot run. */
function buildJob(
  source: {
    baseline?: BaselineConfig;
    inputs: MonitoringInput;
    outputs: MonitoringOutputConfig;
    environment?: Record<string, string>;
    app: AppSpecification;
    cluster: ClusterConfig;
    roleArn: string;
    stopping?: { MaxRuntimeInSeconds: number };
  },
  jobDefinitionName?: string,
): { job: MonitoringJob; options: JobOptions } {
  const endpointInput = source.inputs.EndpointInput;
  if (!endpointInput) {
    throw new ValidationException(
      'Understudy monitors real-time endpoints: give EndpointInput (BatchTransformInput is not supported).',
    );
  }
  const statisticsUri = source.baseline?.StatisticsResource?.S3Uri;
  const constraintsUri = source.baseline?.ConstraintsResource?.S3Uri;
  if (!isS3Uri(statisticsUri) || !isS3Uri(constraintsUri)) {
    throw new ValidationException(
      'A data-quality job needs a baseline: BaselineConfig StatisticsResource.S3Uri and ConstraintsResource.S3Uri as s3:// URIs (see Understudy.SuggestBaseline).',
    );
  }
  const output = source.outputs.MonitoringOutputs[0]?.S3Output;
  if (!output || !isS3Uri(output.S3Uri)) {
    throw new ValidationException(
      `MonitoringOutputs[0].S3Output.S3Uri '${output?.S3Uri ?? ''}' must be an s3://bucket[/prefix] URI.`,
    );
  }
  const environment = source.environment ?? {};
  const options = jobOptions(environment, endpointInput);
  return {
    job: {
      jobDefinitionName,
      monitoringType: 'DataQuality',
      endpointInput,
      statisticsUri,
      constraintsUri,
      baseliningJobName: source.baseline?.BaseliningJobName,
      outputS3Uri: output.S3Uri.replace(/\/+$/, ''),
      outputLocalPath: output.LocalPath,
      kmsKeyId: source.outputs.KmsKeyId,
      environment,
      appSpecification: source.app,
      clusterConfig: source.cluster,
      roleArn: source.roleArn,
      maxRuntimeInSeconds: source.stopping?.MaxRuntimeInSeconds,
    },
    options,
  };
}

function jobFromDefinition(def: JobDefinitionView) {
  const { Environment, ...app } = def.DataQualityAppSpecification;
  return buildJob(
    {
      baseline: def.DataQualityBaselineConfig,
      inputs: def.DataQualityJobInput,
      outputs: def.DataQualityJobOutputConfig,
      environment: Environment,
      app,
      cluster: def.JobResources.ClusterConfig,
      roleArn: def.RoleArn,
      stopping: def.StoppingCondition,
    },
    def.JobDefinitionName,
  );
}

function jobFromInline(def: InlineJobDefinition) {
  if (def.MonitoringInputs.length !== 1) {
    throw new ValidationException('MonitoringInputs must hold exactly one input.');
  }
  return buildJob({
    baseline: def.BaselineConfig,
    inputs: def.MonitoringInputs[0] as MonitoringInput,
    outputs: def.MonitoringOutputConfig,
    environment: def.Environment,
    app: def.MonitoringAppSpecification,
    cluster: def.MonitoringResources.ClusterConfig,
    roleArn: def.RoleArn,
    stopping: def.StoppingCondition,
  });
}

/**
 * The job a schedule runs, read afresh (a job definition is looked up by name). Throws
 * ValidationException when it cannot be resolved.
 */
export async function resolveScheduleJob(
  store: RegistryStore,
  config: MonitoringScheduleConfig,
): Promise<{ job: MonitoringJob; options: JobOptions }> {
  const inline = config.MonitoringJobDefinition;
  const name = config.MonitoringJobDefinitionName;
  if ((inline === undefined) === (name === undefined)) {
    throw new ValidationException(
      'MonitoringScheduleConfig needs exactly one of MonitoringJobDefinition and MonitoringJobDefinitionName.',
    );
  }
  const type = config.MonitoringType ?? 'DataQuality';
  if (type !== 'DataQuality') {
    throw new ValidationException(
      `MonitoringType ${type} is not supported: Understudy runs DataQuality monitoring.`,
    );
  }
  if (inline) return jobFromInline(inline);
  const def = await getJobDefinition(store, name as string);
  if (!def) throw new ValidationException(`Data quality job definition ${name} does not exist.`);
  return jobFromDefinition(def);
}

/** A schedule's expression and analysis offsets, checked. */
export function scheduleTiming(config: MonitoringScheduleConfig): {
  schedule: ParsedSchedule;
  offsets: AnalysisOffsets | undefined;
} {
  const sc = config.ScheduleConfig;
  if (!sc) {
    throw new ValidationException('MonitoringScheduleConfig.ScheduleConfig.ScheduleExpression is required.');
  }
  const schedule = parseScheduleExpression(sc.ScheduleExpression);
  return {
    schedule,
    offsets: parseAnalysisOffsets(schedule, sc.DataAnalysisStartTime, sc.DataAnalysisEndTime),
  };
}

/** The endpoint must exist and capture what the job analyses. */
async function checkEndpointCapture(ctx: ControlContext, endpointName: string, options: JobOptions) {
  const endpoint = (await ctx.store.get<EndpointRecord>(COLLECTIONS.endpoint, endpointName))?.data;
  if (!endpoint) {
    throw new ValidationException(`Could not find endpoint "${arn(ctx, 'endpoint', endpointName)}".`);
  }
  const capture = endpoint.internal.capture;
  if (!capture?.enabled) {
    throw new ValidationException(
      `Endpoint ${endpointName} does not capture data: a monitoring schedule analyses the endpoint's captured traffic. Create it from an endpoint config with DataCaptureConfig (EnableCapture true).`,
    );
  }
  if (options.analyseInput && !capture.captureInput) {
    throw new ValidationException(
      `Endpoint ${endpointName} captures no inputs (CaptureMode Input), which the job analyses.`,
    );
  }
  if (options.analyseOutput && !capture.captureOutput) {
    throw new ValidationException(
      `Endpoint ${endpointName} captures no outputs (CaptureMode Output), which dataset_format asks for.`,
    );
  }
}

// ---------------------------------------------------------------------------------------
// Data-quality job definitions

export async function createDataQualityJobDefinition(
  ctx: ControlContext,
  input: Omit<JobDefinitionView, 'JobDefinitionArn' | 'CreationTime'> & { Tags?: unknown[] },
) {
  const { Tags: _tags, ...fields } = input;
  const record: JobDefinitionRecord = {
    ...fields,
    JobDefinitionArn: arn(ctx, 'data-quality-job-definition', input.JobDefinitionName),
    CreationTime: epochSeconds(ctx.now()),
    internal: undefined,
  };
  jobFromDefinition(record);
  try {
    await ctx.store.create(COLLECTIONS.dataQualityJobDefinition, input.JobDefinitionName, record);
  } catch (error) {
    if (error instanceof RecordExistsError) {
      throw new ResourceInUse(`Data quality job definition ${input.JobDefinitionName} already exists.`);
    }
    throw error;
  }
  return { JobDefinitionArn: record.JobDefinitionArn };
}

export async function describeDataQualityJobDefinition(
  ctx: ControlContext,
  input: { JobDefinitionName: string },
) {
  const def = await getJobDefinition(ctx.store, input.JobDefinitionName);
  if (!def) throw new NotFound(`Data quality job definition ${input.JobDefinitionName} does not exist.`);
  return view(def);
}

export async function listDataQualityJobDefinitions(
  ctx: ControlContext,
  input: ListRequest & { EndpointName?: string },
) {
  const defs = (await ctx.store.list<JobDefinitionRecord>(COLLECTIONS.dataQualityJobDefinition)).filter(
    (d) => !input.EndpointName || d.DataQualityJobInput.EndpointInput?.EndpointName === input.EndpointName,
  );
  const { items, NextToken } = page(defs, input, (d) => d.JobDefinitionName, {
    sortBy: 'CreationTime',
    sortOrder: 'Descending',
  });
  return {
    JobDefinitionSummaries: items.map((d) => ({
      MonitoringJobDefinitionName: d.JobDefinitionName,
      MonitoringJobDefinitionArn: d.JobDefinitionArn,
      CreationTime: d.CreationTime,
      EndpointName: d.DataQualityJobInput.EndpointInput?.EndpointName ?? '',
    })),
    NextToken,
  };
}

export async function deleteDataQualityJobDefinition(
  ctx: ControlContext,
  input: { JobDefinitionName: string },
) {
  if (!(await getJobDefinition(ctx.store, input.JobDefinitionName))) {
    throw new NotFound(`Data quality job definition ${input.JobDefinitionName} does not exist.`);
  }
  const user = (await ctx.store.list<ScheduleRecord>(COLLECTIONS.monitoringSchedule)).find(
    (s) => s.MonitoringScheduleConfig.MonitoringJobDefinitionName === input.JobDefinitionName,
  );
  if (user) {
    throw new ResourceInUse(
      `Data quality job definition ${input.JobDefinitionName} is used by monitoring schedule ${user.MonitoringScheduleName}; delete the schedule first.`,
    );
  }
  await ctx.store.delete(COLLECTIONS.dataQualityJobDefinition, input.JobDefinitionName);
  return {};
}

// ---------------------------------------------------------------------------------------
// Monitoring schedules

async function checkedScheduleConfig(ctx: ControlContext, config: MonitoringScheduleConfig) {
  scheduleTiming(config);
  const { job, options } = await resolveScheduleJob(ctx.store, config);
  await checkEndpointCapture(ctx, job.endpointInput.EndpointName, options);
  return job;
}

export async function createMonitoringSchedule(
  ctx: ControlContext,
  input: {
    MonitoringScheduleName: string;
    MonitoringScheduleConfig: MonitoringScheduleConfig;
    Tags?: unknown[];
  },
) {
  const name = input.MonitoringScheduleName;
  const scheduleArn = arn(ctx, 'monitoring-schedule', name);
  if (await ctx.store.get(COLLECTIONS.monitoringSchedule, name)) {
    throw new ResourceInUse(`Monitoring schedule ${scheduleArn} already exists.`);
  }
  const job = await checkedScheduleConfig(ctx, input.MonitoringScheduleConfig);
  const now = epochSeconds(ctx.now());
  const config = input.MonitoringScheduleConfig;
  const record: ScheduleRecord = {
    MonitoringScheduleArn: scheduleArn,
    MonitoringScheduleName: name,
    MonitoringScheduleStatus: 'Scheduled',
    MonitoringType: 'DataQuality',
    CreationTime: now,
    LastModifiedTime: now,
    MonitoringScheduleConfig: config.MonitoringJobDefinitionName
      ? { ...config, MonitoringType: config.MonitoringType ?? 'DataQuality' }
      : config,
    EndpointName: job.endpointInput.EndpointName,
    internal: { anchor: now },
  };
  try {
    await ctx.store.create(COLLECTIONS.monitoringSchedule, name, record);
  } catch (error) {
    if (error instanceof RecordExistsError)
      throw new ResourceInUse(`Monitoring schedule ${scheduleArn} already exists.`);
    throw error;
  }
  return { MonitoringScheduleArn: scheduleArn };
}

export async function describeMonitoringSchedule(
  ctx: ControlContext,
  input: { MonitoringScheduleName: string },
) {
  const { data } = await getSchedule(ctx, input.MonitoringScheduleName);
  const executions = await ctx.store.list<ExecutionRecord>(
    COLLECTIONS.monitoringExecution,
    `${input.MonitoringScheduleName}#`,
  );
  const last = executions.at(-1);
  return {
    ...view(data),
    ...(last ? { LastMonitoringExecutionSummary: executionSummary(last) } : {}),
  };
}

export async function listMonitoringSchedules(
  ctx: ControlContext,
  input: ListRequest & {
    EndpointName?: string;
    LastModifiedTimeBefore?: number | string;
    LastModifiedTimeAfter?: number | string;
    StatusEquals?: ScheduleStatus;
    MonitoringJobDefinitionName?: string;
    MonitoringTypeEquals?: MonitoringType;
  },
) {
  const after = toEpoch(input.LastModifiedTimeAfter);
  const before = toEpoch(input.LastModifiedTimeBefore);
  const schedules = (await ctx.store.list<ScheduleRecord>(COLLECTIONS.monitoringSchedule)).filter(
    (s) =>
      (!input.EndpointName || s.EndpointName === input.EndpointName) &&
      (!input.StatusEquals || s.MonitoringScheduleStatus === input.StatusEquals) &&
      (!input.MonitoringJobDefinitionName ||
        s.MonitoringScheduleConfig.MonitoringJobDefinitionName === input.MonitoringJobDefinitionName) &&
      (!input.MonitoringTypeEquals || s.MonitoringType === input.MonitoringTypeEquals) &&
      (after === undefined || s.LastModifiedTime > after) &&
      (before === undefined || s.LastModifiedTime < before),
  );
  const { items, NextToken } = page(schedules, input, (s) => s.MonitoringScheduleName, {
    sortBy: 'CreationTime',
    sortOrder: 'Descending',
    keys: { Status: (a, b) => a.MonitoringScheduleStatus.localeCompare(b.MonitoringScheduleStatus) },
  });
  return {
    MonitoringScheduleSummaries: items.map((s) => ({
      MonitoringScheduleName: s.MonitoringScheduleName,
      MonitoringScheduleArn: s.MonitoringScheduleArn,
      CreationTime: s.CreationTime,
      LastModifiedTime: s.LastModifiedTime,
      MonitoringScheduleStatus: s.MonitoringScheduleStatus,
      EndpointName: s.EndpointName,
      MonitoringJobDefinitionName: s.MonitoringScheduleConfig.MonitoringJobDefinitionName,
      MonitoringType: s.MonitoringType,
    })),
    NextToken,
  };
}

/** Replaces the schedule's config (as SageMaker does); rate schedules count again from now. */
export async function updateMonitoringSchedule(
  ctx: ControlContext,
  input: { MonitoringScheduleName: string; MonitoringScheduleConfig: MonitoringScheduleConfig },
) {
  const stored = await getSchedule(ctx, input.MonitoringScheduleName);
  const job = await checkedScheduleConfig(ctx, input.MonitoringScheduleConfig);
  const now = epochSeconds(ctx.now());
  const config = input.MonitoringScheduleConfig;
  await ctx.store.replace<ScheduleRecord>(
    COLLECTIONS.monitoringSchedule,
    input.MonitoringScheduleName,
    {
      ...stored.data,
      MonitoringScheduleConfig: config.MonitoringJobDefinitionName
        ? { ...config, MonitoringType: config.MonitoringType ?? 'DataQuality' }
        : config,
      EndpointName: job.endpointInput.EndpointName,
      LastModifiedTime: now,
      FailureReason: undefined,
      internal: { ...stored.data.internal, anchor: now },
    },
    stored.version,
  );
  return { MonitoringScheduleArn: stored.data.MonitoringScheduleArn };
}

async function setStatus(ctx: ControlContext, name: string, status: 'Scheduled' | 'Stopped') {
  const stored = await getSchedule(ctx, name);
  if (stored.data.MonitoringScheduleStatus === status) return {};
  const now = epochSeconds(ctx.now());
  await ctx.store.replace<ScheduleRecord>(
    COLLECTIONS.monitoringSchedule,
    name,
    {
      ...stored.data,
      MonitoringScheduleStatus: status,
      LastModifiedTime: now,
      // A restarted schedule counts its fire times from the restart.
      internal: status === 'Scheduled' ? { ...stored.data.internal, anchor: now } : stored.data.internal,
    },
    stored.version,
  );
  return {};
}

export async function startMonitoringSchedule(
  ctx: ControlContext,
  input: { MonitoringScheduleName: string },
) {
  return setStatus(ctx, input.MonitoringScheduleName, 'Scheduled');
}

export async function stopMonitoringSchedule(ctx: ControlContext, input: { MonitoringScheduleName: string }) {
  return setStatus(ctx, input.MonitoringScheduleName, 'Stopped');
}

/** Deletes the schedule and its execution records (the files on S3 stay). */
export async function deleteMonitoringSchedule(
  ctx: ControlContext,
  input: { MonitoringScheduleName: string },
) {
  await getSchedule(ctx, input.MonitoringScheduleName);
  await ctx.store.delete(COLLECTIONS.monitoringSchedule, input.MonitoringScheduleName);
  const executions = await ctx.store.list<ExecutionRecord>(
    COLLECTIONS.monitoringExecution,
    `${input.MonitoringScheduleName}#`,
  );
  for (const e of executions) {
    await ctx.store.delete(
      COLLECTIONS.monitoringExecution,
      executionId(e.MonitoringScheduleName, e.ScheduledTime),
    );
    await ctx.store.delete(COLLECTIONS.processingJob, e.internal.processingJobName);
  }
  return {};
}

// ---------------------------------------------------------------------------------------
// Executions

/** The registry id of an execution: schedule name and ScheduledTime (ISO 8601), sortable. */
export function executionId(scheduleName: string, scheduledTime: Timestamp): string {
  return `${scheduleName}#${new Date(scheduledTime * 1000).toISOString()}`;
}

/**
 * ListMonitoringExecutions' summary, plus Understudy's fields (SDKs ignore them; raw JSON
 * shows them): `StatisticsS3Uri`, `ConstraintViolationsS3Uri`, `ReportS3Uri` once the
 * execution wrote them, `DataAnalysisStartTime` / `DataAnalysisEndTime` and `ExitMessage`.
 */
export function executionSummary(e: ExecutionRecord) {
  const reports = e.internal.reports;
  return {
    ...view(e),
    ...(reports
      ? {
          StatisticsS3Uri: reports.statistics,
          ConstraintViolationsS3Uri: reports.constraintViolations,
          ReportS3Uri: reports.report,
        }
      : {}),
    DataAnalysisStartTime: e.internal.window.start,
    DataAnalysisEndTime: e.internal.window.end,
    ...(e.internal.exitMessage ? { ExitMessage: e.internal.exitMessage } : {}),
  };
}

export async function listMonitoringExecutions(
  ctx: ControlContext,
  input: ListRequest & {
    MonitoringScheduleName?: string;
    EndpointName?: string;
    ScheduledTimeBefore?: number | string;
    ScheduledTimeAfter?: number | string;
    LastModifiedTimeBefore?: number | string;
    LastModifiedTimeAfter?: number | string;
    StatusEquals?: ExecutionStatus;
    MonitoringJobDefinitionName?: string;
    MonitoringTypeEquals?: MonitoringType;
  },
) {
  const scheduledAfter = toEpoch(input.ScheduledTimeAfter);
  const scheduledBefore = toEpoch(input.ScheduledTimeBefore);
  const modifiedAfter = toEpoch(input.LastModifiedTimeAfter);
  const modifiedBefore = toEpoch(input.LastModifiedTimeBefore);
  const all = await ctx.store.list<ExecutionRecord>(
    COLLECTIONS.monitoringExecution,
    input.MonitoringScheduleName ? `${input.MonitoringScheduleName}#` : undefined,
  );
  const executions = all.filter(
    (e) =>
      (!input.EndpointName || e.EndpointName === input.EndpointName) &&
      (!input.StatusEquals || e.MonitoringExecutionStatus === input.StatusEquals) &&
      (!input.MonitoringJobDefinitionName ||
        e.MonitoringJobDefinitionName === input.MonitoringJobDefinitionName) &&
      (!input.MonitoringTypeEquals || e.MonitoringType === input.MonitoringTypeEquals) &&
      (scheduledAfter === undefined || e.ScheduledTime > scheduledAfter) &&
      (scheduledBefore === undefined || e.ScheduledTime < scheduledBefore) &&
      (modifiedAfter === undefined || e.LastModifiedTime > modifiedAfter) &&
      (modifiedBefore === undefined || e.LastModifiedTime < modifiedBefore),
  );
  const { items, NextToken } = page(executions, input, (e) => e.MonitoringScheduleName, {
    sortBy: 'ScheduledTime',
    sortOrder: 'Descending',
    keys: {
      ScheduledTime: (a, b) => a.ScheduledTime - b.ScheduledTime,
      Status: (a, b) => a.MonitoringExecutionStatus.localeCompare(b.MonitoringExecutionStatus),
    },
  });
  return { MonitoringExecutionSummaries: items.map(executionSummary), NextToken };
}

/**
 * A monitoring execution as SageMaker shows its processing job: status (Pending and
 * InProgress are InProgress; CompletedWithViolations is Completed with an ExitMessage saying
 * so, as SageMaker writes it), times, the analysis Environment, inputs, and the output S3Uri
 * where constraint_violations.json, statistics.json and report.html are.
 */
export async function describeProcessingJob(ctx: ControlContext, input: { ProcessingJobName: string }) {
  const pointer = await ctx.store.get<{ executionId: string }>(
    COLLECTIONS.processingJob,
    input.ProcessingJobName,
  );
  const execution = pointer
    ? (await ctx.store.get<ExecutionRecord>(COLLECTIONS.monitoringExecution, pointer.data.executionId))?.data
    : undefined;
  if (!execution) {
    throw new NotFound(
      `Processing job ${arn(ctx, 'processing-job', input.ProcessingJobName)} does not exist.`,
    );
  }
  const { job, window } = execution.internal;
  const status = execution.MonitoringExecutionStatus;
  return {
    ProcessingJobName: execution.internal.processingJobName,
    ProcessingJobArn: execution.ProcessingJobArn,
    ProcessingJobStatus:
      status === 'Completed' || status === 'CompletedWithViolations'
        ? 'Completed'
        : status === 'Failed'
          ? 'Failed'
          : status === 'Stopped'
            ? 'Stopped'
            : status === 'Stopping'
              ? 'Stopping'
              : 'InProgress',
    ...(execution.internal.exitMessage ? { ExitMessage: execution.internal.exitMessage.slice(0, 1024) } : {}),
    ...(execution.FailureReason ? { FailureReason: execution.FailureReason } : {}),
    ProcessingInputs: [
      ...(execution.internal.inputUri
        ? [
            {
              InputName: 'endpoint_input',
              AppManaged: false,
              S3Input: {
                S3Uri: execution.internal.inputUri,
                LocalPath: job.endpointInput.LocalPath,
                S3DataType: 'S3Prefix',
                S3InputMode: job.endpointInput.S3InputMode ?? 'File',
                S3DataDistributionType: job.endpointInput.S3DataDistributionType ?? 'FullyReplicated',
              },
            },
          ]
        : []),
      {
        InputName: 'baseline_statistics',
        AppManaged: false,
        S3Input: {
          S3Uri: job.statisticsUri,
          LocalPath: '/opt/ml/processing/baseline/stats',
          S3DataType: 'S3Prefix',
        },
      },
      {
        InputName: 'baseline_constraints',
        AppManaged: false,
        S3Input: {
          S3Uri: job.constraintsUri,
          LocalPath: '/opt/ml/processing/baseline/constraints',
          S3DataType: 'S3Prefix',
        },
      },
    ],
    ProcessingOutputConfig: {
      Outputs: [
        {
          OutputName: 'result',
          AppManaged: false,
          S3Output: {
            S3Uri: execution.internal.outputUri,
            LocalPath: job.outputLocalPath,
            S3UploadMode: 'EndOfJob',
          },
        },
      ],
      ...(job.kmsKeyId ? { KmsKeyId: job.kmsKeyId } : {}),
    },
    ProcessingResources: { ClusterConfig: job.clusterConfig },
    ...(job.maxRuntimeInSeconds
      ? { StoppingCondition: { MaxRuntimeInSeconds: job.maxRuntimeInSeconds } }
      : {}),
    AppSpecification: {
      ImageUri: job.appSpecification.ImageUri,
      ...(job.appSpecification.ContainerEntrypoint
        ? { ContainerEntrypoint: job.appSpecification.ContainerEntrypoint }
        : {}),
      ...(job.appSpecification.ContainerArguments
        ? { ContainerArguments: job.appSpecification.ContainerArguments }
        : {}),
    },
    Environment: {
      ...job.environment,
      dataset_source: job.endpointInput.LocalPath,
      output_path: job.outputLocalPath,
      sagemaker_endpoint_name: execution.EndpointName,
      sagemaker_monitoring_schedule_name: execution.MonitoringScheduleName,
      baseline_statistics: job.statisticsUri,
      baseline_constraints: job.constraintsUri,
      start_time: new Date(window.start * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      end_time: new Date(window.end * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      analysis_type: 'DATA_QUALITY',
    },
    RoleArn: job.roleArn,
    ...(execution.internal.startTime ? { ProcessingStartTime: execution.internal.startTime } : {}),
    ...(execution.internal.endTime ? { ProcessingEndTime: execution.internal.endTime } : {}),
    LastModifiedTime: execution.LastModifiedTime,
    CreationTime: execution.CreationTime,
    MonitoringScheduleArn: execution.internal.monitoringScheduleArn,
  };
}

// ---------------------------------------------------------------------------------------
// What the monitor Lambda needs

/** `arn:aws:sagemaker:{region}:{account}:` of a schedule's ARN. */
function arnPrefix(scheduleArn: string): string {
  return scheduleArn.slice(0, scheduleArn.indexOf(':monitoring-schedule/') + 1);
}

/** A processing job name for an execution, unique per schedule and fire time (SageMaker's style). */
export function processingJobName(scheduleName: string, scheduledTime: Timestamp): string {
  const at = new Date(scheduledTime * 1000).toISOString().replace(/[-:T]/g, '').slice(0, 12);
  const hash = createHash('sha256').update(`${scheduleName}#${scheduledTime}`).digest('hex').slice(0, 16);
  return `model-monitoring-${at}-${hash}`;
}

/**
 * The folder an execution writes to: `{S3Uri}/{endpoint}/{schedule}/{yyyy}/{mm}/{dd}/{hh}` of
 * its scheduled time, as SageMaker lays them out; schedules firing more than hourly add the
 * minute (`/{MM}`) so that executions within an hour do not overwrite each other.
 */
export function executionOutputUri(
  job: MonitoringJob,
  scheduleName: string,
  scheduledTime: Timestamp,
  subHourly: boolean,
): string {
  const at = new Date(scheduledTime * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  const hour = `${at.getUTCFullYear()}/${p(at.getUTCMonth() + 1)}/${p(at.getUTCDate())}/${p(at.getUTCHours())}`;
  return `${job.outputS3Uri}/${job.endpointInput.EndpointName}/${scheduleName}/${hour}${subHourly ? `/${p(at.getUTCMinutes())}` : ''}`;
}

/**
 * Records a Pending execution for a schedule's fire time and moves the schedule's last
 * scheduled time on. Returns undefined when that execution already exists (a retried or
 * concurrent tick): each fire time runs once.
 */
export async function createPendingExecution(
  store: RegistryStore,
  schedule: ScheduleRecord,
  scheduleVersion: number,
  job: MonitoringJob,
  fire: { scheduledTime: Timestamp; window: { start: Timestamp; end: Timestamp }; subHourly: boolean },
  now: Timestamp,
): Promise<ExecutionRecord | undefined> {
  const name = schedule.MonitoringScheduleName;
  const jobName = processingJobName(name, fire.scheduledTime);
  const id = executionId(name, fire.scheduledTime);
  const record: ExecutionRecord = {
    MonitoringScheduleName: name,
    ScheduledTime: fire.scheduledTime,
    CreationTime: now,
    LastModifiedTime: now,
    MonitoringExecutionStatus: 'Pending',
    ProcessingJobArn: `${arnPrefix(schedule.MonitoringScheduleArn)}processing-job/${jobName}`,
    EndpointName: job.endpointInput.EndpointName,
    MonitoringJobDefinitionName: job.jobDefinitionName,
    MonitoringType: 'DataQuality',
    internal: {
      processingJobName: jobName,
      monitoringScheduleArn: schedule.MonitoringScheduleArn,
      job,
      window: fire.window,
      outputUri: executionOutputUri(job, name, fire.scheduledTime, fire.subHourly),
    },
  };
  try {
    await store.create(COLLECTIONS.monitoringExecution, id, record);
  } catch (error) {
    if (error instanceof RecordExistsError) return undefined;
    throw error;
  }
  await store.create(COLLECTIONS.processingJob, jobName, { executionId: id }).catch((error: unknown) => {
    if (!(error instanceof RecordExistsError)) throw error;
  });
  try {
    await store.replace<ScheduleRecord>(
      COLLECTIONS.monitoringSchedule,
      name,
      { ...schedule, internal: { ...schedule.internal, lastScheduledTime: fire.scheduledTime } },
      scheduleVersion,
    );
  } catch (error) {
    // The schedule changed meanwhile (an update, a stop): the execution record already marks the fire as taken.
    if (!(error instanceof VersionConflictError)) throw error;
  }
  return record;
}

/** Rewrites an execution with changes (status, results); the id never changes. */
export async function updateExecution(
  store: RegistryStore,
  execution: ExecutionRecord,
  changes: Partial<Omit<ExecutionRecord, 'internal'>> & { internal?: Partial<ExecutionInternal> },
): Promise<ExecutionRecord> {
  const updated: ExecutionRecord = {
    ...execution,
    ...changes,
    internal: { ...execution.internal, ...changes.internal },
  };
  await store.replace(
    COLLECTIONS.monitoringExecution,
    executionId(execution.MonitoringScheduleName, execution.ScheduledTime),
    updated,
  );
  return updated;
}
