/**
 * Monitoring schedules (Create/Describe/List/Update/Start/Stop/DeleteMonitoringSchedule).
 * Schedules live in the registry; the monitor Lambda, on its EventBridge tick, runs the due
 * ones (see runner.ts), so creating a schedule needs no redeploy.
 */

import type { EndpointRecord } from '../hosting/endpoints.js';
import { arn, type ControlContext, epochSeconds, page, view } from '../kernel/context.js';
import { ResourceInUse, ResourceNotFound, ValidationException } from '../kernel/errors.js';
import { checkKmsKey } from '../kernel/kms-keys.js';
import { COLLECTIONS, type Timestamp } from '../kernel/records.js';
import {
  RecordExistsError,
  type RegistryStore,
  retryOnConflict,
  type StoredRecord,
  VersionConflictError,
} from '../kernel/store.js';
import { checkNewTags, forgetTags, recordTags, type Tag } from '../tags/tags.js';
import { deleteExecutions, executionSummary, executionsOf } from './executions.js';
import { resolveScheduleJob } from './job-definitions.js';
import type { JobOptions } from './job-options.js';
import { type MonitoringListRequest, monitoringListFilter } from './list-filters.js';
import type { MonitoringScheduleConfig, ScheduleRecord, ScheduleStatus } from './records.js';
import {
  type AnalysisOffsets,
  type ParsedSchedule,
  parseAnalysisOffsets,
  parseScheduleExpression,
} from './schedule-expression.js';

async function getSchedule(ctx: ControlContext, name: string) {
  const stored = await ctx.store.get<ScheduleRecord>(COLLECTIONS.monitoringSchedule, name);
  if (!stored)
    throw new ResourceNotFound(
      `Monitoring schedule ${arn(ctx, 'monitoring-schedule', name)} does not exist.`,
    );
  return stored;
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

/**
 * A `NOW` schedule runs at once rather than at the monitor's next tick: the monitor gets a
 * message to run it (through the same path as processing jobs). If that send fails the tick
 * still runs it, later; the failure is logged, not the caller's problem.
 */
async function startNowSchedule(ctx: ControlContext, name: string, config: MonitoringScheduleConfig) {
  if (!ctx.jobs || scheduleTiming(config).schedule.kind !== 'now') return;
  try {
    await ctx.jobs.send({ kind: 'MonitoringSchedule', MonitoringScheduleName: name });
  } catch (error) {
    ctx.log?.warn('NOW schedule left to the monitor tick: the jobs queue did not take it', {
      schedule: name,
      error: (error as Error).message,
    });
  }
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

async function checkedScheduleConfig(ctx: ControlContext, config: MonitoringScheduleConfig) {
  scheduleTiming(config);
  const { job, options } = await resolveScheduleJob(ctx.store, config);
  // An inline job definition names its report key here; a named one was checked at creation.
  checkKmsKey(ctx, job.kmsKeyId, 'MonitoringJobDefinition.MonitoringOutputConfig.KmsKeyId');
  await checkEndpointCapture(ctx, job.endpointInput.EndpointName, options);
  return job;
}

export async function createMonitoringSchedule(
  ctx: ControlContext,
  input: {
    MonitoringScheduleName: string;
    MonitoringScheduleConfig: MonitoringScheduleConfig;
    Tags?: readonly Tag[];
  },
) {
  const tags = checkNewTags(input.Tags);
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
    MonitoringType: job.monitoringType,
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
  await recordTags(ctx, scheduleArn, tags);
  await startNowSchedule(ctx, name, config);
  return { MonitoringScheduleArn: scheduleArn };
}

export async function describeMonitoringSchedule(
  ctx: ControlContext,
  input: { MonitoringScheduleName: string },
) {
  const { data } = await getSchedule(ctx, input.MonitoringScheduleName);
  const last = (await executionsOf(ctx.store, input.MonitoringScheduleName)).at(-1);
  return {
    ...view(data),
    ...(last ? { LastMonitoringExecutionSummary: executionSummary(last) } : {}),
  };
}

export async function listMonitoringSchedules(
  ctx: ControlContext,
  input: MonitoringListRequest<ScheduleStatus>,
) {
  const matches = monitoringListFilter(input);
  const schedules = (await ctx.store.list<ScheduleRecord>(COLLECTIONS.monitoringSchedule)).filter((s) =>
    matches(s, s.MonitoringScheduleStatus, s.MonitoringScheduleConfig.MonitoringJobDefinitionName),
  );
  const { items, NextToken } = page(schedules, input, (s) => s.MonitoringScheduleName, {
    keys: { Status: (a, b) => a.MonitoringScheduleStatus.localeCompare(b.MonitoringScheduleStatus) },
  });
  return { MonitoringScheduleSummaries: items.map(scheduleSummary), NextToken };
}

/** ListMonitoringSchedules' summary of a schedule, in SageMaker's field order. */
function scheduleSummary(s: ScheduleRecord) {
  return {
    MonitoringScheduleName: s.MonitoringScheduleName,
    MonitoringScheduleArn: s.MonitoringScheduleArn,
    CreationTime: s.CreationTime,
    LastModifiedTime: s.LastModifiedTime,
    MonitoringScheduleStatus: s.MonitoringScheduleStatus,
    EndpointName: s.EndpointName,
    MonitoringJobDefinitionName: s.MonitoringScheduleConfig.MonitoringJobDefinitionName,
    MonitoringType: s.MonitoringType,
  };
}

/**
 * Rewrites a schedule as `change` makes it from what is stored (undefined: nothing to write).
 * A concurrent write (the monitor recording a fire, another call) makes the conditional write
 * conflict: the schedule is read again with `reread` and changed again, so neither write is
 * lost and the caller does not see the conflict. `reread` finding nothing ends it.
 */
async function changeSchedule(
  store: RegistryStore,
  first: StoredRecord<ScheduleRecord>,
  change: (current: ScheduleRecord) => ScheduleRecord | undefined,
  reread: (name: string) => Promise<StoredRecord<ScheduleRecord> | undefined> = (name) =>
    store.get<ScheduleRecord>(COLLECTIONS.monitoringSchedule, name),
): Promise<void> {
  const name = first.data.MonitoringScheduleName;
  await retryOnConflict(async (attempt) => {
    const stored = attempt === 0 ? first : await reread(name);
    const changed = stored && change(stored.data);
    if (changed) await store.replace(COLLECTIONS.monitoringSchedule, name, changed, stored.version);
  });
}

/**
 * Moves the schedule's last scheduled time on to a fire whose execution the runner recorded
 * (it finds an abandoned execution from it). Left alone: a schedule deleted meanwhile or
 * created again under its name, and one a later fire already moved on.
 */
export async function markFireTaken(
  store: RegistryStore,
  schedule: StoredRecord<ScheduleRecord>,
  scheduledTime: Timestamp,
): Promise<void> {
  await changeSchedule(store, schedule, (current) => {
    const last = current.internal.lastScheduledTime;
    if (
      current.CreationTime !== schedule.data.CreationTime ||
      (last !== undefined && last >= scheduledTime)
    ) {
      return undefined;
    }
    return { ...current, internal: { ...current.internal, lastScheduledTime: scheduledTime } };
  }).catch((error: unknown) => {
    // Still contended after every retry: the execution record marks the fire as taken all the
    // same, so each fire still runs once.
    if (!(error instanceof VersionConflictError)) throw error;
  });
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
  await changeSchedule(
    ctx.store,
    stored,
    (current) => ({
      ...current,
      MonitoringScheduleConfig: config.MonitoringJobDefinitionName
        ? { ...config, MonitoringType: config.MonitoringType ?? 'DataQuality' }
        : config,
      MonitoringType: job.monitoringType,
      EndpointName: job.endpointInput.EndpointName,
      LastModifiedTime: now,
      FailureReason: undefined,
      internal: { ...current.internal, anchor: now },
    }),
    (name) => getSchedule(ctx, name),
  );
  // An update counts fire times from now again, so a NOW schedule runs again, at once.
  if (stored.data.MonitoringScheduleStatus === 'Scheduled') {
    await startNowSchedule(ctx, input.MonitoringScheduleName, config);
  }
  return { MonitoringScheduleArn: stored.data.MonitoringScheduleArn };
}

async function setStatus(ctx: ControlContext, name: string, status: 'Scheduled' | 'Stopped') {
  const stored = await getSchedule(ctx, name);
  const now = epochSeconds(ctx.now());
  let changed: ScheduleRecord | undefined;
  await changeSchedule(
    ctx.store,
    stored,
    (current) => {
      changed =
        current.MonitoringScheduleStatus === status
          ? undefined
          : {
              ...current,
              MonitoringScheduleStatus: status,
              LastModifiedTime: now,
              // A restarted schedule counts its fire times from the restart.
              internal: status === 'Scheduled' ? { ...current.internal, anchor: now } : current.internal,
            };
      return changed;
    },
    (name) => getSchedule(ctx, name),
  );
  // A started schedule counts fire times from now: a NOW schedule runs again, at once.
  if (changed?.MonitoringScheduleStatus === 'Scheduled') {
    await startNowSchedule(ctx, name, changed.MonitoringScheduleConfig);
  }
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
  const schedule = await getSchedule(ctx, input.MonitoringScheduleName);
  await ctx.store.delete(COLLECTIONS.monitoringSchedule, input.MonitoringScheduleName);
  await forgetTags(ctx, schedule.data.MonitoringScheduleArn);
  await deleteExecutions(ctx.store, input.MonitoringScheduleName);
  return {};
}
