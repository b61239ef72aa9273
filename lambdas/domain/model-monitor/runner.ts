/**
 * Running monitoring schedules: on each tick of the monitor Lambda, find the due schedules,
 * record a Pending execution for each (once per fire time, whatever retries or overlapping
 * ticks do), and run it:
 *
 * 1. read the baseline (statistics.json, constraints.json — hand-edited ones included; a file
 *    that is not valid JSON, or breaks the schema, fails the execution with the reason);
 * 2. list the endpoint's capture files of the window, for every production variant, under
 *    `{destination}/{endpoint}/{variant}/yyyy/mm/dd/hh/`. A file belongs to the window its
 *    first record falls in (the `mm-ss-SSS` of its name, as the capture writer and SageMaker
 *    name them): files hold one batch of a few seconds, so each record is counted once across
 *    consecutive windows without parsing timestamps line by line;
 * 3. parse them with bounded concurrency, a few lanes each folding files into its own
 *    accumulator (sketches centred on the baseline's means), and merge the lanes: CSV columns take the baseline's feature names by
 *    position, JSON features are picked by the job's path (see job-options.ts); unparseable
 *    records are counted, never fatal;
 * 4. check SageMaker's constraints and the calibrated drift tests, write
 *    `constraint_violations.json`, `statistics.json` and `report.html` under the execution's
 *    folder, emit the per-feature metrics (namespace `aws/sagemaker/Endpoints/data-metrics`,
 *    dimensions Endpoint and MonitoringSchedule), and on violations publish an alert;
 * 5. finish as Completed, CompletedWithViolations or Failed (with a FailureReason).
 *
 * An empty window fails the execution with SageMaker's reason, "Job inputs had no data", and
 * the window named: a migrating user's alarms on Failed executions keep working, and an idle
 * endpoint is told apart from a quiet one. So does a window whose records all fail to parse.
 */

import type { EndpointRecord } from '../hosting/endpoints.js';
import { ValidationException } from '../kernel/errors.js';
import type { ObjectStore } from '../kernel/ports.js';
import { COLLECTIONS } from '../kernel/records.js';
import {
  type AnalysisResult,
  captureFiles,
  ExecutionFailure,
  type MonitorDeps,
  mapLimited,
  publishing,
} from './execution-support.js';
import { createPendingExecution, updateExecution } from './executions.js';
import { resolveScheduleJob } from './job-definitions.js';
import { type JobOptions, jobOptions } from './job-options.js';
import { modelQualityOffsets } from './model-quality-job-definitions.js';
import { analyseModelQuality } from './model-quality-run.js';
import type { DimensionedDatum } from './ports.js';
import { type ExecutionRecord, executionId, type ScheduleRecord } from './records.js';
import { renderMonitoringReport } from './report/index.js';
import { analysisWindow, dueFireTime, periodOf } from './schedule-expression.js';
import { markFireTaken, scheduleTiming } from './schedules.js';
import {
  CaptureReader,
  type CaptureTarget,
  type ConstraintCheckResult,
  type Constraints,
  type ConstraintViolation,
  checkConstraints,
  DatasetAccumulator,
  type DriftReport,
  detectDrift,
  driftFindings,
  formatMonitoringFile,
  InvalidMonitoringFileError,
  loadLineKernel,
  MonitoringError,
  modelMonitorMetrics,
  type ParseSummary,
  parseConstraints,
  parseStatistics,
  type Statistics,
} from './statistics/index.js';

/** Model Monitor's namespace for real-time endpoints (as its example notebooks and alarms use it). */
export const DATA_METRICS_NAMESPACE = 'aws/sagemaker/Endpoints/data-metrics';

export type { AnalysisResult, MonitorDeps };
export { ExecutionFailure, mapLimited };

export interface TickResult {
  /** Executions run, with their final status. */
  readonly executions: { schedule: string; scheduledTime: string; status: string; failureReason?: string }[];
  /** Schedules that could not run (their status is now Failed). */
  readonly failedSchedules: string[];
}

const toSeconds = (ms: number) => ms / 1000;
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

/**
 * One tick: records a Pending execution for every due schedule, then runs them. `tick` is
 * the time the tick stands for (the EventBridge event's `time`), against which schedules are
 * due; a tick replayed with the same time runs nothing twice.
 */
export async function runDueSchedules(deps: MonitorDeps, tick: Date): Promise<TickResult> {
  const schedules = await deps.store.list<ScheduleRecord>(COLLECTIONS.monitoringSchedule);
  const pending: ExecutionRecord[] = [];
  const failedSchedules: string[] = [];
  for (const listed of schedules) {
    await settleAbandoned(deps, listed);
    if (listed.MonitoringScheduleStatus !== 'Scheduled') continue;
    const taken = await takeDueFire(deps, listed.MonitoringScheduleName, tick);
    if (taken === 'failed') failedSchedules.push(listed.MonitoringScheduleName);
    else if (taken) pending.push(taken);
  }
  const finished = await mapLimited(pending, deps.executionConcurrency ?? 2, (e) => runExecution(deps, e));
  return { executions: finished.map(executionResult), failedSchedules };
}

/**
 * Runs one schedule now if it is due (a `NOW` schedule just created or started, sent by the
 * control plane through the jobs queue): the same steps as a tick, for that schedule only, at
 * the current time. The tick and this share the fire bookkeeping, so whichever comes second
 * finds the fire taken and runs nothing.
 */
export async function runScheduleNow(deps: MonitorDeps, scheduleName: string): Promise<TickResult> {
  const taken = await takeDueFire(deps, scheduleName, deps.now());
  if (taken === 'failed') return { executions: [], failedSchedules: [scheduleName] };
  if (!taken) return { executions: [], failedSchedules: [] };
  return { executions: [executionResult(await runExecution(deps, taken))], failedSchedules: [] };
}

function executionResult(e: ExecutionRecord): TickResult['executions'][number] {
  return {
    schedule: e.MonitoringScheduleName,
    scheduledTime: iso(e.ScheduledTime),
    status: e.MonitoringExecutionStatus,
    ...(e.FailureReason ? { failureReason: e.FailureReason } : {}),
  };
}

/**
 * Records the Pending execution of the schedule's due fire at `tick`, once per fire time:
 * undefined when nothing is due (or another caller took the fire), 'failed' when the schedule
 * can no longer run (its status is then Failed, with the reason).
 */
async function takeDueFire(
  deps: MonitorDeps,
  scheduleName: string,
  tick: Date,
): Promise<ExecutionRecord | 'failed' | undefined> {
  const log = deps.log ?? (() => undefined);
  const stored = await deps.store.get<ScheduleRecord>(COLLECTIONS.monitoringSchedule, scheduleName);
  if (stored?.data.MonitoringScheduleStatus !== 'Scheduled') return undefined;
  const schedule = stored.data;
  try {
    const { schedule: parsed, offsets } = scheduleTiming(schedule.MonitoringScheduleConfig);
    const lastScheduled = schedule.internal.lastScheduledTime;
    const fire = dueFireTime(
      parsed,
      schedule.internal.anchor * 1000,
      lastScheduled === undefined ? undefined : lastScheduled * 1000,
      tick.getTime(),
    );
    if (fire === undefined) return undefined;
    const { job } = await resolveScheduleJob(deps.store, schedule.MonitoringScheduleConfig);
    // A model-quality job looks back by its EndpointInput offsets (labels come late).
    const lookBack =
      job.monitoringType === 'ModelQuality' ? modelQualityOffsets(job.endpointInput) : undefined;
    const window = lookBack
      ? { start: fire + lookBack.startMs, end: fire + lookBack.endMs }
      : analysisWindow(parsed, fire, offsets);
    const period = periodOf(parsed, fire);
    const execution = await createPendingExecution(
      deps.store,
      schedule,
      job,
      {
        scheduledTime: toSeconds(fire),
        window: { start: toSeconds(window.start), end: toSeconds(window.end) },
        subHourly: period !== undefined && period < 3_600_000,
      },
      toSeconds(deps.now().getTime()),
    );
    if (!execution) return undefined;
    await markFireTaken(deps.store, stored, execution.ScheduledTime);
    return execution;
  } catch (error) {
    if (!(error instanceof ValidationException)) throw error;
    // The schedule can no longer run (its job definition was deleted, ...): say so on it.
    log({
      level: 'warn',
      msg: 'monitoring schedule cannot run',
      schedule: schedule.MonitoringScheduleName,
      error: error.message,
    });
    await deps.store
      .replace<ScheduleRecord>(
        COLLECTIONS.monitoringSchedule,
        schedule.MonitoringScheduleName,
        {
          ...schedule,
          MonitoringScheduleStatus: 'Failed',
          FailureReason: error.message.slice(0, 1024),
          LastModifiedTime: toSeconds(deps.now().getTime()),
        },
        stored.version,
      )
      .catch(() => undefined);
    return 'failed';
  }
}

/** An execution still Pending or InProgress this long after its last change was abandoned. */
export const ABANDONED_AFTER_SECONDS = 15 * 60;

/**
 * A schedule's last execution left Pending or InProgress by a monitor that died (a Lambda
 * timeout, a crash) is failed with a reason, so it does not look like it is running forever.
 */
async function settleAbandoned(deps: MonitorDeps, schedule: ScheduleRecord): Promise<void> {
  const last = schedule.internal.lastScheduledTime;
  if (last === undefined) return;
  const stored = await deps.store.get<ExecutionRecord>(
    COLLECTIONS.monitoringExecution,
    executionId(schedule.MonitoringScheduleName, last),
  );
  const execution = stored?.data;
  if (!execution) return;
  const status = execution.MonitoringExecutionStatus;
  const now = toSeconds(deps.now().getTime());
  if (
    (status !== 'Pending' && status !== 'InProgress') ||
    now - execution.LastModifiedTime < ABANDONED_AFTER_SECONDS
  ) {
    return;
  }
  const reason = `The execution stopped ${status === 'Pending' ? 'before it started' : 'while in progress'} (the monitor did not finish it within ${ABANDONED_AFTER_SECONDS / 60} minutes).`;
  await updateExecution(deps.store, execution, {
    MonitoringExecutionStatus: 'Failed',
    FailureReason: reason,
    LastModifiedTime: now,
    internal: { endTime: now, exitMessage: reason },
  });
}

/** Runs one Pending execution to its end; never throws for data or baseline problems. */
export async function runExecution(deps: MonitorDeps, pending: ExecutionRecord): Promise<ExecutionRecord> {
  const log = deps.log ?? (() => undefined);
  const started = toSeconds(deps.now().getTime());
  let execution = await updateExecution(deps.store, pending, {
    MonitoringExecutionStatus: 'InProgress',
    LastModifiedTime: started,
    internal: { startTime: started },
  });
  try {
    const result = await analyse(deps, execution, (inputUri) =>
      updateExecution(deps.store, execution, { internal: { inputUri } }).then((e) => {
        execution = e;
      }),
    );
    const ended = toSeconds(deps.now().getTime());
    execution = await updateExecution(deps.store, execution, {
      MonitoringExecutionStatus: result.status,
      LastModifiedTime: ended,
      internal: {
        endTime: ended,
        reports: result.reports,
        exitMessage: result.exitMessage,
        counts: result.counts,
        violatedFeatures: result.violatedFeatures,
      },
    });
  } catch (error) {
    const reason =
      error instanceof MonitoringError || error instanceof ValidationException
        ? error.message
        : `Internal error while monitoring: ${(error as Error).message}`;
    if (!(error instanceof MonitoringError || error instanceof ValidationException)) {
      log({ level: 'error', msg: 'monitoring execution failed', error: (error as Error).stack });
    }
    const ended = toSeconds(deps.now().getTime());
    execution = await updateExecution(deps.store, execution, {
      MonitoringExecutionStatus: 'Failed',
      FailureReason: reason.slice(0, 1024),
      LastModifiedTime: ended,
      internal: { endTime: ended, exitMessage: reason.slice(0, 1024) },
    });
  }
  log({
    level: 'info',
    msg: 'monitoring execution finished',
    schedule: execution.MonitoringScheduleName,
    scheduledTime: iso(execution.ScheduledTime),
    status: execution.MonitoringExecutionStatus,
    ...(execution.FailureReason ? { failureReason: execution.FailureReason } : {}),
    ...(execution.internal.counts ?? {}),
    seconds: (execution.internal.endTime ?? started) - started,
  });
  return execution;
}

async function readBaselineFile<T>(
  objects: ObjectStore,
  uri: string,
  what: string,
  parse: (text: string) => T,
): Promise<T> {
  const text = await objects.getText(uri);
  if (text === undefined) throw new ExecutionFailure(`The baseline ${what} ${uri} does not exist.`);
  try {
    return parse(text);
  } catch (error) {
    if (error instanceof InvalidMonitoringFileError) {
      throw new ExecutionFailure(`The baseline ${what} at ${uri} cannot be used: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
}

/** The features of the baseline a side carries, with sketches centred as the baseline's. */
function accumulatorFor(baseline: Statistics, names: readonly string[]): DatasetAccumulator {
  const wanted = new Set(names);
  return DatasetAccumulator.forBaseline({
    ...baseline,
    features: baseline.features.filter((f) => wanted.has(f.name)),
  });
}

function combine(input: Statistics | undefined, output: Statistics | undefined): Statistics {
  if (input && output) {
    return {
      version: 0,
      dataset: { item_count: Math.max(input.dataset.item_count, output.dataset.item_count) },
      features: [...input.features, ...output.features],
    };
  }
  return (input ?? output) as Statistics;
}

function sumSummaries(a: ParseSummary | undefined, b: ParseSummary | undefined): ParseSummary {
  return {
    records: Math.max(a?.records ?? 0, b?.records ?? 0),
    rows: Math.max(a?.rows ?? 0, b?.rows ?? 0),
    unparseable: (a?.unparseable ?? 0) + (b?.unparseable ?? 0),
    errors: [...(a?.errors ?? []), ...(b?.errors ?? [])].slice(0, 10),
  };
}

/** The violations the job reports: SageMaker's checks, with drift by the configured rule. */
function finalViolations(
  checks: ConstraintCheckResult,
  drift: DriftReport,
  options: JobOptions,
  constraints: Constraints,
): ConstraintViolation[] {
  if (options.driftViolationRule === 'l_infinity') return checks.violations;
  const kept =
    options.driftViolationRule === 'calibrated'
      ? checks.violations.filter((v) => v.constraint_check_type !== 'baseline_drift_check')
      : [...checks.violations];
  const known = new Set(constraints.features.map((f) => f.name));
  for (const f of drift.features) {
    if (!f.drifted || !known.has(f.feature)) continue;
    if (kept.some((v) => v.feature_name === f.feature && v.constraint_check_type === 'baseline_drift_check'))
      continue;
    kept.push({
      feature_name: f.feature,
      constraint_check_type: 'baseline_drift_check',
      description: `Calibrated drift (${f.rule}): ${f.test === 'ks' ? 'KS' : 'chi-square'} p-value ${f.adjustedPValue.toPrecision(3)} after ${drift.correction} correction is below ${drift.alpha}, and the effect (PSI ${f.effect.psi.toPrecision(3)}${f.effect.wassersteinNormalized === undefined ? '' : `, W1/σ ${f.effect.wassersteinNormalized.toPrecision(3)}`}) exceeds its threshold.`,
    });
  }
  return kept;
}

async function analyse(
  deps: MonitorDeps,
  execution: ExecutionRecord,
  recordInput: (inputUri: string) => Promise<void>,
): Promise<AnalysisResult> {
  const { job, window } = execution.internal;
  if (job.monitoringType === 'ModelQuality') return analyseModelQuality(deps, execution, job, recordInput);
  const options = jobOptions(job.environment, job.endpointInput);
  const endpointName = job.endpointInput.EndpointName;
  const endpoint = (await deps.store.get<EndpointRecord>(COLLECTIONS.endpoint, endpointName))?.data;
  if (!endpoint) throw new ExecutionFailure(`Endpoint ${endpointName} does not exist.`);
  const capture = endpoint.internal.capture;
  if (!capture) throw new ExecutionFailure(`Endpoint ${endpointName} has no data capture configured.`);
  await recordInput(`${capture.destination}/${endpointName}`);

  const [baseline, constraints] = await Promise.all([
    readBaselineFile(deps.objects, job.statisticsUri, 'statistics', parseStatistics),
    readBaselineFile(deps.objects, job.constraintsUri, 'constraints', parseConstraints),
  ]);
  const names = baseline.features.map((f) => f.name);
  const unknown = options.outputFeatures.filter((f) => !names.includes(f));
  if (unknown.length > 0) {
    throw new ExecutionFailure(
      `output_features names ${unknown.join(', ')}, which the baseline statistics do not have.`,
    );
  }
  const outputNames = new Set(options.outputFeatures);
  const inputNames = names.filter((n) => !outputNames.has(n));

  const variants = [
    ...new Set([
      ...endpoint.internal.variants.map((v) => v.VariantName),
      ...(endpoint.internal.rollout?.productionVariants.map((v) => v.VariantName) ?? []),
    ]),
  ];
  const files = await captureFiles(deps.objects, capture.destination, endpointName, variants, window);

  // A few lanes read files concurrently; each folds what it reads into its own accumulators
  // (parsing is synchronous, so a lane's accumulator is never touched by two files at once),
  // and the lanes merge at the end: memory stays at lanes × sketches, whatever the file count.
  const lanes = Array.from({ length: Math.max(1, Math.min(deps.fileConcurrency ?? 8, files.length)) }, () => {
    const input = options.analyseInput ? accumulatorFor(baseline, inputNames) : undefined;
    const output = options.analyseOutput ? accumulatorFor(baseline, options.outputFeatures) : undefined;
    const targets: CaptureTarget[] = [];
    if (input)
      targets.push({ accumulator: input, side: 'endpointInput', jsonPath: options.featuresJsonPath });
    if (output)
      targets.push({ accumulator: output, side: 'endpointOutput', jsonPath: options.outputJsonPath });
    return { input, output, targets };
  });
  // The capture reader's WebAssembly kernel (assembled once per process; the reading is the same without it).
  await loadLineKernel();
  let next = 0;
  await Promise.all(
    lanes.map(async (lane) => {
      while (next < files.length) {
        const uri = files[next++] as string;
        // Streamed: a lane holds a chunk of its file, never the whole file.
        const chunks = await deps.objects.getStream(uri);
        if (!chunks) continue;
        const reader = new CaptureReader(lane.targets);
        for await (const chunk of chunks) reader.push(chunk);
        reader.end();
      }
    }),
  );
  const merge = (accs: (DatasetAccumulator | undefined)[]) => {
    const present = accs.filter((a): a is DatasetAccumulator => a !== undefined);
    const [first, ...rest] = present;
    for (const acc of rest) first?.merge(acc);
    return first;
  };
  const input = merge(lanes.map((l) => l.input));
  const output = merge(lanes.map((l) => l.output));
  const parse = sumSummaries(input?.summary, output?.summary);
  const windowText = `${iso(window.start)} to ${iso(window.end)}`;
  if (parse.records === 0) {
    throw new ExecutionFailure(
      `Job inputs had no data: no capture records of endpoint ${endpointName} between ${windowText} (${files.length} capture files in the window).`,
    );
  }
  const current = combine(input?.toStatistics(), output?.toStatistics());
  if (current.dataset.item_count === 0) {
    throw new ExecutionFailure(
      `No capture record between ${windowText} could be parsed: ${parse.unparseable} unparseable (${parse.errors.join('; ')}).`,
    );
  }

  const checks = checkConstraints({ constraints, baseline, current });
  const drift = detectDrift(baseline, current, { alpha: options.alpha, correction: options.correction });
  const violations = finalViolations(checks, drift, options, constraints);
  const status = violations.length > 0 ? 'CompletedWithViolations' : 'Completed';
  const reported: ConstraintCheckResult = { ...checks, outcome: status, violations };

  const folder = execution.internal.outputUri;
  const reports = {
    constraintViolations: `${folder}/constraint_violations.json`,
    statistics: `${folder}/statistics.json`,
    report: `${folder}/report.html`,
  };
  const html = renderMonitoringReport({
    metadata: {
      endpointName,
      scheduleName: execution.MonitoringScheduleName,
      windowStart: iso(window.start),
      windowEnd: iso(window.end),
      executionId: execution.ProcessingJobArn,
      generatedAt: deps.now(),
    },
    baseline,
    current,
    parse,
    checks: reported,
    drift,
  });
  // MonitoringOutputConfig.KmsKeyId, checked against the deployment's keys at creation.
  const encryption = { kmsKeyId: job.kmsKeyId };
  await Promise.all([
    deps.objects.putText(
      reports.constraintViolations,
      formatMonitoringFile({ violations }),
      'application/json',
      encryption,
    ),
    deps.objects.putText(reports.statistics, formatMonitoringFile(current), 'application/json', encryption),
    deps.objects.putText(reports.report, html, 'text/html; charset=utf-8', encryption),
  ]);

  const { notes, tell } = publishing(deps.log);
  if (options.publishMetrics && deps.metrics) {
    const dimensions = [
      { Name: 'Endpoint', Value: endpointName },
      { Name: 'MonitoringSchedule', Value: execution.MonitoringScheduleName },
    ];
    const data: DimensionedDatum[] = modelMonitorMetrics(current, checks, constraints).map((d) => ({
      ...d,
      Dimensions: dimensions,
    }));
    const metrics = deps.metrics;
    if (data.length > 0) await tell('CloudWatch metrics', () => metrics.put(DATA_METRICS_NAMESPACE, data));
  }

  const violatedFeatures = [...new Set(violations.map((v) => v.feature_name))];
  const alerts = deps.alerts;
  if (violations.length > 0 && alerts) {
    const findings = driftFindings(checks.distances, drift);
    const alert = {
      endpointName,
      monitoringScheduleName: execution.MonitoringScheduleName,
      monitoringScheduleArn: execution.internal.monitoringScheduleArn,
      processingJobArn: execution.ProcessingJobArn,
      scheduledTime: iso(execution.ScheduledTime),
      status: 'CompletedWithViolations',
      features: violatedFeatures.map((feature) => ({
        feature,
        checks: [
          ...new Set(
            violations.filter((v) => v.feature_name === feature).map((v) => v.constraint_check_type),
          ),
        ],
        flaggedBy: findings.find((f) => f.feature === feature)?.flaggedBy ?? [],
      })),
      violationCount: violations.length,
      reports,
      dataAnalysisStartTime: iso(window.start),
      dataAnalysisEndTime: iso(window.end),
    } as const;
    await tell('alert', () => alerts.publish(alert));
  }
  const unparseableNote = `${parse.unparseable > 0 ? ` ${parse.unparseable} unparseable records were skipped.` : ''}${notes.join('')}`;
  return {
    status,
    reports,
    exitMessage:
      status === 'CompletedWithViolations'
        ? `CompletedWithViolations: Job completed successfully with ${violations.length} violations.${unparseableNote}`
        : `Completed: Job completed successfully with no violations.${unparseableNote}`,
    counts: {
      records: parse.records,
      rows: current.dataset.item_count,
      unparseable: parse.unparseable,
      violations: violations.length,
    },
    violatedFeatures,
  };
}
