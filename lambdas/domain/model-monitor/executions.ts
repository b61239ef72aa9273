/**
 * Monitoring executions: ListMonitoringExecutions, an execution as SageMaker shows its
 * processing job (processing-jobs.ts serves it), and the execution records the runner writes —
 * one Pending record per schedule and fire time, then its status and results.
 */
import { createHash } from 'node:crypto';
import { type ControlContext, page, view } from '../kernel/context.js';
import { COLLECTIONS, type Timestamp } from '../kernel/records.js';
import { RecordExistsError, type RegistryStore } from '../kernel/store.js';
import { type MonitoringListRequest, monitoringListFilter, timeFilter } from './list-filters.js';
import {
  type ExecutionInternal,
  type ExecutionRecord,
  type ExecutionStatus,
  executionId,
  type MonitoringJob,
  type ProcessingJobStatus,
  type ScheduleRecord,
} from './records.js';

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
  input: MonitoringListRequest<ExecutionStatus> & {
    MonitoringScheduleName?: string;
    ScheduledTimeBefore?: number | string;
    ScheduledTimeAfter?: number | string;
  },
) {
  const matches = monitoringListFilter(input);
  const scheduled = timeFilter(input.ScheduledTimeAfter, input.ScheduledTimeBefore);
  const all = input.MonitoringScheduleName
    ? await executionsOf(ctx.store, input.MonitoringScheduleName)
    : await ctx.store.list<ExecutionRecord>(COLLECTIONS.monitoringExecution);
  const executions = all.filter(
    (e) =>
      matches(e, e.MonitoringExecutionStatus, e.MonitoringJobDefinitionName) && scheduled(e.ScheduledTime),
  );
  const { items, NextToken } = page(executions, input, (e) => e.MonitoringScheduleName, {
    sortBy: 'ScheduledTime',
    keys: {
      ScheduledTime: (a, b) => a.ScheduledTime - b.ScheduledTime,
      Status: (a, b) => a.MonitoringExecutionStatus.localeCompare(b.MonitoringExecutionStatus),
    },
  });
  return { MonitoringExecutionSummaries: items.map(executionSummary), NextToken };
}

/** The processing job status SageMaker shows for a monitoring execution's status. */
export function processingStatusOf(status: ExecutionStatus): ProcessingJobStatus {
  switch (status) {
    case 'Completed':
    case 'CompletedWithViolations':
      return 'Completed';
    case 'Failed':
    case 'Stopped':
    case 'Stopping':
      return status;
    case 'Pending':
    case 'InProgress':
      return 'InProgress';
  }
}

/**
 * A monitoring execution as SageMaker shows its processing job (DescribeProcessingJob): status
 * (Pending and InProgress are InProgress; CompletedWithViolations is Completed with an
 * ExitMessage saying so, as SageMaker writes it), times, the analysis Environment, inputs, and
 * the output S3Uri where constraint_violations.json, statistics.json and report.html are.
 */
export function executionAsProcessingJob(execution: ExecutionRecord) {
  const { job, window } = execution.internal;
  return {
    ProcessingJobName: execution.internal.processingJobName,
    ProcessingJobArn: execution.ProcessingJobArn,
    ProcessingJobStatus: processingStatusOf(execution.MonitoringExecutionStatus),
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
      ...baselineInputs(job),
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
      ...(job.monitoringType === 'DataQuality' ? { baseline_statistics: job.statisticsUri } : {}),
      ...(job.constraintsUri ? { baseline_constraints: job.constraintsUri } : {}),
      ...(job.monitoringType === 'ModelQuality'
        ? { problem_type: job.problemType, ground_truth_s3_uri: job.groundTruthS3Uri }
        : {}),
      start_time: new Date(window.start * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      end_time: new Date(window.end * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      analysis_type: job.monitoringType === 'ModelQuality' ? 'MODEL_QUALITY' : 'DATA_QUALITY',
    },
    RoleArn: job.roleArn,
    ...(execution.internal.startTime ? { ProcessingStartTime: execution.internal.startTime } : {}),
    ...(execution.internal.endTime ? { ProcessingEndTime: execution.internal.endTime } : {}),
    LastModifiedTime: execution.LastModifiedTime,
    CreationTime: execution.CreationTime,
    MonitoringScheduleArn: execution.internal.monitoringScheduleArn,
  };
}

/** The job's baseline files (and, for model quality, its ground truth) as processing inputs. */
function baselineInputs(job: MonitoringJob) {
  const input = (InputName: string, S3Uri: string, LocalPath: string) => ({
    InputName,
    AppManaged: false,
    S3Input: { S3Uri, LocalPath, S3DataType: 'S3Prefix' },
  });
  return [
    ...(job.monitoringType === 'DataQuality'
      ? [input('baseline_statistics', job.statisticsUri, '/opt/ml/processing/baseline/stats')]
      : [input('groundtruth_input', job.groundTruthS3Uri, '/opt/ml/processing/groundtruth')]),
    ...(job.constraintsUri
      ? [input('baseline_constraints', job.constraintsUri, '/opt/ml/processing/baseline/constraints')]
      : []),
  ];
}

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
 * Records a Pending execution for a schedule's fire time. Returns undefined when that
 * execution already exists (a retried or concurrent tick): each fire time runs once.
 */
export async function createPendingExecution(
  store: RegistryStore,
  schedule: ScheduleRecord,
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
    MonitoringType: job.monitoringType,
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
  return record;
}

/** A schedule's executions, oldest first (their ids sort by ScheduledTime). */
export function executionsOf(store: RegistryStore, scheduleName: string): Promise<ExecutionRecord[]> {
  return store.list<ExecutionRecord>(COLLECTIONS.monitoringExecution, `${scheduleName}#`);
}

/** Deletes a schedule's execution records and their processing jobs (the files on S3 stay). */
export async function deleteExecutions(store: RegistryStore, scheduleName: string): Promise<void> {
  for (const e of await executionsOf(store, scheduleName)) {
    await store.delete(
      COLLECTIONS.monitoringExecution,
      executionId(e.MonitoringScheduleName, e.ScheduledTime),
    );
    await store.delete(COLLECTIONS.processingJob, e.internal.processingJobName);
  }
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
