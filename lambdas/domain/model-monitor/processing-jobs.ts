/**
 * Processing jobs: CreateProcessingJob, DescribeProcessingJob, ListProcessingJobs,
 * StopProcessingJob. SageMaker runs any container as a processing job; Understudy runs the one
 * Model Monitor's users start, the analyzer, as its baseline suggestion (analyzer-job.ts maps
 * the request). The control plane checks the request, records the job InProgress and sends it
 * to the monitor's jobs queue, so it answers at once; the monitor Lambda runs it
 * (runProcessingJob) to Completed or Failed, or Stopped after StopProcessingJob.
 *
 * Monitoring executions are processing jobs too (SageMaker's `ProcessingJobArn`): their names
 * share one collection with these jobs, and Describe and List show both.
 */

import { arn, type ControlContext, epochSeconds, page, view } from '../kernel/context.js';
import { ResourceInUse, ResourceNotFound, ValidationException } from '../kernel/errors.js';
import { checkKmsKey } from '../kernel/kms-keys.js';
import type { Log } from '../kernel/log.js';
import type { ObjectStore } from '../kernel/ports.js';
import { COLLECTIONS, type Timestamp } from '../kernel/records.js';
import {
  RecordExistsError,
  type RegistryStore,
  retryOnConflict,
  type StoredRecord,
} from '../kernel/store.js';
import { checkNewTags, forgetTags, recordTags } from '../tags/tags.js';
import { analyzerJob } from './analyzer-job.js';
import { suggestBaselineJob } from './baseline-job.js';
import { executionAsProcessingJob, processingStatusOf } from './executions.js';
import { timeFilter } from './list-filters.js';
import { suggestModelQualityBaselineJob } from './model-quality-baseline.js';
import type {
  ExecutionRecord,
  ProcessingJobEntry,
  ProcessingJobRecord,
  ProcessingJobRequest,
  ProcessingJobStatus,
} from './records.js';
import { MonitoringError } from './statistics/index.js';

const isJob = (entry: ProcessingJobEntry): entry is ProcessingJobRecord => !('executionId' in entry);

function bucketOf(uri: string): string {
  return /^s3:\/\/([^/]+)/.exec(uri)?.[1] ?? '';
}

function alreadyExists(ctx: ControlContext, name: string): ResourceInUse {
  return new ResourceInUse(
    `Job name must be unique within an AWS account and region, and a job with this name already exists (${arn(ctx, 'processing-job', name)}).`,
  );
}

/**
 * Checks the request (image, inputs, outputs, environment, buckets), records the job
 * InProgress and sends it to the jobs queue. Bad input is a typed error with nothing recorded
 * or sent; a send that fails removes the record again.
 */
export async function createProcessingJob(ctx: ControlContext, input: ProcessingJobRequest) {
  const name = input.ProcessingJobName;
  if (await ctx.store.get(COLLECTIONS.processingJob, name)) throw alreadyExists(ctx, name);
  const analysis = analyzerJob(input);
  const baseline = 'baseline' in analysis ? analysis.baseline : analysis.modelQualityBaseline;
  checkKmsKey(ctx, input.ProcessingOutputConfig?.KmsKeyId, 'ProcessingOutputConfig.KmsKeyId');
  const tags = checkNewTags(input.Tags);
  const { objects, jobs } = ctx;
  if (!objects || !jobs) {
    throw new Error('This deployment cannot run processing jobs (no object store or jobs queue).');
  }
  for (const [uri, what] of [
    [baseline.DatasetS3Uri, 'dataset input'],
    [baseline.OutputS3Uri, 'output'],
  ] as const) {
    if (!(await objects.bucketExists(uri))) {
      throw new ValidationException(`The bucket ${bucketOf(uri)} of the ${what} ${uri} does not exist.`);
    }
  }
  const now = epochSeconds(ctx.now());
  const { Tags: _tags, ...fields } = input;
  const jobArn = arn(ctx, 'processing-job', name);
  const record: ProcessingJobRecord = {
    ...fields,
    ProcessingJobArn: jobArn,
    ProcessingJobStatus: 'InProgress',
    CreationTime: now,
    LastModifiedTime: now,
    internal: analysis,
  };
  try {
    await ctx.store.create(COLLECTIONS.processingJob, name, record);
  } catch (error) {
    if (error instanceof RecordExistsError) throw alreadyExists(ctx, name);
    throw error;
  }
  await recordTags(ctx, jobArn, tags);
  try {
    await jobs.send({ kind: 'ProcessingJob', ProcessingJobName: name });
  } catch (error) {
    await ctx.store.delete(COLLECTIONS.processingJob, name);
    await forgetTags(ctx, jobArn);
    throw error;
  }
  return { ProcessingJobArn: jobArn };
}

async function getEntry(ctx: ControlContext, name: string): Promise<StoredRecord<ProcessingJobEntry>> {
  const stored = await ctx.store.get<ProcessingJobEntry>(COLLECTIONS.processingJob, name);
  if (!stored) {
    throw new ResourceNotFound(`Processing job ${arn(ctx, 'processing-job', name)} does not exist.`);
  }
  return stored;
}

/** A processing job created by CreateProcessingJob, or a monitoring execution as one. */
export async function describeProcessingJob(ctx: ControlContext, input: { ProcessingJobName: string }) {
  const { data } = await getEntry(ctx, input.ProcessingJobName);
  if (isJob(data)) return view(data);
  const execution = (await ctx.store.get<ExecutionRecord>(COLLECTIONS.monitoringExecution, data.executionId))
    ?.data;
  if (!execution) {
    throw new ResourceNotFound(
      `Processing job ${arn(ctx, 'processing-job', input.ProcessingJobName)} does not exist.`,
    );
  }
  return executionAsProcessingJob(execution);
}

/** ListProcessingJobs' summary, in SageMaker's field order. */
interface ProcessingJobSummary {
  ProcessingJobName: string;
  ProcessingJobArn: string;
  CreationTime: Timestamp;
  ProcessingEndTime?: Timestamp;
  LastModifiedTime: Timestamp;
  ProcessingJobStatus: ProcessingJobStatus;
  FailureReason?: string;
  ExitMessage?: string;
}

function summaryOf(job: ProcessingJobRecord): ProcessingJobSummary {
  return {
    ProcessingJobName: job.ProcessingJobName,
    ProcessingJobArn: job.ProcessingJobArn,
    CreationTime: job.CreationTime,
    ...(job.ProcessingEndTime !== undefined ? { ProcessingEndTime: job.ProcessingEndTime } : {}),
    LastModifiedTime: job.LastModifiedTime,
    ProcessingJobStatus: job.ProcessingJobStatus,
    ...(job.FailureReason ? { FailureReason: job.FailureReason } : {}),
    ...(job.ExitMessage ? { ExitMessage: job.ExitMessage } : {}),
  };
}

function executionSummaryOf(e: ExecutionRecord): ProcessingJobSummary {
  return {
    ProcessingJobName: e.internal.processingJobName,
    ProcessingJobArn: e.ProcessingJobArn,
    CreationTime: e.CreationTime,
    ...(e.internal.endTime !== undefined ? { ProcessingEndTime: e.internal.endTime } : {}),
    LastModifiedTime: e.LastModifiedTime,
    ProcessingJobStatus: processingStatusOf(e.MonitoringExecutionStatus),
    ...(e.FailureReason ? { FailureReason: e.FailureReason } : {}),
    ...(e.internal.exitMessage ? { ExitMessage: e.internal.exitMessage.slice(0, 1024) } : {}),
  };
}

/** Jobs created by CreateProcessingJob and monitoring executions, filtered, sorted and paged. */
export async function listProcessingJobs(
  ctx: ControlContext,
  input: {
    CreationTimeAfter?: number | string;
    CreationTimeBefore?: number | string;
    LastModifiedTimeAfter?: number | string;
    LastModifiedTimeBefore?: number | string;
    NameContains?: string;
    StatusEquals?: ProcessingJobStatus;
    SortBy?: 'Name' | 'CreationTime' | 'Status';
    SortOrder?: 'Ascending' | 'Descending';
    NextToken?: string;
    MaxResults?: number;
  },
) {
  const [entries, executions] = await Promise.all([
    ctx.store.list<ProcessingJobEntry>(COLLECTIONS.processingJob),
    ctx.store.list<ExecutionRecord>(COLLECTIONS.monitoringExecution),
  ]);
  const modified = timeFilter(input.LastModifiedTimeAfter, input.LastModifiedTimeBefore);
  const summaries = [...entries.filter(isJob).map(summaryOf), ...executions.map(executionSummaryOf)].filter(
    (s) =>
      (!input.StatusEquals || s.ProcessingJobStatus === input.StatusEquals) && modified(s.LastModifiedTime),
  );
  const { items, NextToken } = page(summaries, input, (s) => s.ProcessingJobName, {
    keys: { Status: (a, b) => a.ProcessingJobStatus.localeCompare(b.ProcessingJobStatus) },
  });
  return NextToken ? { ProcessingJobSummaries: items, NextToken } : { ProcessingJobSummaries: items };
}

/**
 * Stops an InProgress job: it is Stopping until the monitor settles it as Stopped (a message
 * is sent so that happens within seconds, also for a job whose run is still going: that run's
 * result is then not recorded). A job that already ended cannot be stopped.
 */
export async function stopProcessingJob(ctx: ControlContext, input: { ProcessingJobName: string }) {
  const name = input.ProcessingJobName;
  let stopping = false;
  await retryOnConflict(async () => {
    const stored = await getEntry(ctx, name);
    const job = stored.data;
    if (!isJob(job)) {
      throw new ValidationException(
        `Processing job ${name} is an execution of monitoring schedule; stop the schedule with StopMonitoringSchedule.`,
      );
    }
    if (job.ProcessingJobStatus === 'Stopping') return;
    if (job.ProcessingJobStatus !== 'InProgress') {
      throw new ValidationException(
        `The request was rejected because the processing job is in status ${job.ProcessingJobStatus}.`,
      );
    }
    const changed: ProcessingJobRecord = {
      ...job,
      ProcessingJobStatus: 'Stopping',
      LastModifiedTime: epochSeconds(ctx.now()),
    };
    await ctx.store.replace(COLLECTIONS.processingJob, name, changed, stored.version);
    stopping = true;
  });
  if (stopping && ctx.jobs) await ctx.jobs.send({ kind: 'ProcessingJob', ProcessingJobName: name });
  return {};
}

export interface ProcessingJobDeps {
  readonly store: RegistryStore;
  readonly objects: ObjectStore;
  now(): Date;
  /**
   * How long a started run holds the job: a redelivered message within it is dropped (the
   * run is still going); after it the run is taken to have died and the job runs again.
   * @default 330 s (the monitor's 300 s timeout and a margin)
   */
  readonly runHoldSeconds?: number;
  readonly log?: Log;
}

export type ProcessingJobOutcome = 'Completed' | 'Failed' | 'Stopped' | 'skipped';

/**
 * Runs a processing job the jobs queue delivered: claims it (ProcessingStartTime), runs the
 * analyzer's baseline suggestion and records Completed with an ExitMessage, or Failed with a
 * FailureReason (`ClientError:` for what the dataset or request is to blame for). A job that is
 * Stopping becomes Stopped, and a run's result never overwrites a stop. Deliveries of an ended
 * job, or of one another live run holds, are skipped: each job runs once.
 */
export async function runProcessingJob(deps: ProcessingJobDeps, name: string): Promise<ProcessingJobOutcome> {
  const seconds = () => epochSeconds(deps.now());
  const hold = deps.runHoldSeconds ?? 330;
  const claimed = await retryOnConflict(async () => {
    const stored = await deps.store.get<ProcessingJobEntry>(COLLECTIONS.processingJob, name);
    if (!stored || !isJob(stored.data)) return undefined;
    const job = stored.data;
    const now = seconds();
    if (job.ProcessingJobStatus === 'Stopping') {
      await deps.store.replace(COLLECTIONS.processingJob, name, stopped(job, now), stored.version);
      return 'Stopped' as const;
    }
    if (job.ProcessingJobStatus !== 'InProgress') return undefined;
    const started = job.internal.runStartedAt;
    if (started !== undefined && now - started < hold) return undefined;
    const running: ProcessingJobRecord = {
      ...job,
      ProcessingStartTime: job.ProcessingStartTime ?? now,
      LastModifiedTime: now,
      internal: { ...job.internal, runStartedAt: now },
    };
    await deps.store.replace(COLLECTIONS.processingJob, name, running, stored.version);
    return running;
  });
  if (claimed === undefined) return 'skipped';
  if (claimed === 'Stopped') return 'Stopped';

  let result: Pick<ProcessingJobRecord, 'ProcessingJobStatus' | 'ExitMessage' | 'FailureReason'>;
  try {
    const { baseline, modelQualityBaseline } = claimed.internal;
    if (modelQualityBaseline) {
      const r = await suggestModelQualityBaselineJob(deps.objects, modelQualityBaseline);
      const out = modelQualityBaseline.OutputS3Uri.replace(/\/+$/, '');
      result = {
        ProcessingJobStatus: 'Completed',
        ExitMessage: `Completed: Job completed successfully: ${r.Rows} labelled predictions (${modelQualityBaseline.ProblemType}); statistics.json and constraints.json written to ${out}.`,
      };
    } else if (baseline) {
      const r = await suggestBaselineJob(deps.objects, baseline);
      const out = baseline.OutputS3Uri.replace(/\/+$/, '');
      result = {
        ProcessingJobStatus: 'Completed',
        ExitMessage: `Completed: Job completed successfully: ${r.Rows} rows, ${r.Features} features${r.UnparseableRecords > 0 ? `, ${r.UnparseableRecords} unparseable records skipped` : ''}; statistics.json and constraints.json written to ${out}.`,
      };
    } else {
      throw new Error(`Processing job ${name} records no analysis to run.`);
    }
  } catch (error) {
    const known = error instanceof ValidationException || error instanceof MonitoringError;
    if (!known) deps.log?.error('processing job failed', { name, error: (error as Error).stack });
    const reason = known
      ? `ClientError: ${(error as Error).message}`
      : `InternalServerError: ${(error as Error).message}`;
    result = {
      ProcessingJobStatus: 'Failed',
      FailureReason: reason.slice(0, 1024),
      ExitMessage: reason.slice(0, 1024),
    };
  }
  return retryOnConflict(async () => {
    const stored = await deps.store.get<ProcessingJobEntry>(COLLECTIONS.processingJob, name);
    if (!stored || !isJob(stored.data)) return 'skipped' as const;
    const job = stored.data;
    const now = seconds();
    if (job.ProcessingJobStatus === 'Stopping') {
      await deps.store.replace(COLLECTIONS.processingJob, name, stopped(job, now), stored.version);
      return 'Stopped' as const;
    }
    if (job.ProcessingJobStatus !== 'InProgress') return 'skipped' as const;
    const ended: ProcessingJobRecord = { ...job, ...result, ProcessingEndTime: now, LastModifiedTime: now };
    await deps.store.replace(COLLECTIONS.processingJob, name, ended, stored.version);
    return result.ProcessingJobStatus as 'Completed' | 'Failed';
  });
}

function stopped(job: ProcessingJobRecord, now: Timestamp): ProcessingJobRecord {
  return {
    ...job,
    ProcessingJobStatus: 'Stopped',
    ExitMessage: 'Stopped: the job was stopped by StopProcessingJob.',
    ProcessingEndTime: now,
    LastModifiedTime: now,
  };
}
