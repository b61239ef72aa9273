import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { EventBridgeEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type RecoveryOptions, recoverStalledEndpoints } from '../domain/deployments/recovery.js';
import type { JobMessage } from '../domain/kernel/ports.js';
import { runProcessingJob } from '../domain/model-monitor/processing-jobs.js';
import { type MonitorDeps, runDueSchedules, runScheduleNow } from '../domain/model-monitor/runner.js';
import { type FunctionLogging, functionLogger } from '../shared/logger.js';

export interface MonitorHandlerDeps extends Omit<MonitorDeps, 'log'> {
  /** @default functionLogger('understudy-monitor') */
  readonly logging?: FunctionLogging;
  /**
   * With it, each tick also settles endpoints left Creating/Updating by a function that died
   * mid-way (deployments/recovery.ts).
   */
  readonly endpointRecovery?: RecoveryOptions;
}

type TickEvent = EventBridgeEvent<'Scheduled Event', unknown>;

function parseJob(body: string): JobMessage | undefined {
  try {
    const value = JSON.parse(body) as Record<string, unknown>;
    if (value.kind === 'ProcessingJob' && typeof value.ProcessingJobName === 'string') {
      return { kind: 'ProcessingJob', ProcessingJobName: value.ProcessingJobName };
    }
    if (value.kind === 'MonitoringSchedule' && typeof value.MonitoringScheduleName === 'string') {
      return { kind: 'MonitoringSchedule', MonitoringScheduleName: value.MonitoringScheduleName };
    }
  } catch {
    // fall through
  }
  return undefined;
}

const isSqsEvent = (event: TickEvent | SQSEvent): event is SQSEvent =>
  Array.isArray((event as SQSEvent).Records);

/**
 * The monitor function has two triggers:
 * - its EventBridge tick (every 5 minutes): runs the monitoring schedules that are due at the
 *   event's `time` — the time the rule fired, kept by retries, so a retried tick runs nothing
 *   twice. Schedules live in the registry: creating one needs no redeploy;
 * - the jobs queue: processing jobs (Model Monitor's analyzer) and NOW schedules, sent by the
 *   control plane to run at once. Messages are run one by one; a failed one is reported in
 *   `batchItemFailures`, so SQS delivers only it again (then to the dead-letter queue).
 *   @middy/sqs-partial-batch-failure is not used: it would break on the tick's events.
 */
export function createMonitorHandler(deps: MonitorHandlerDeps) {
  const { logging, endpointRecovery, ...monitor } = deps;
  const { logger, log } = logging ?? functionLogger('understudy-monitor');
  const runner: MonitorDeps = {
    ...monitor,
    // The runner's entries carry their level and message; the rest are fields.
    log: ({ level, msg, ...fields }) => log[level === 'error' ? 'error' : 'info'](String(msg), fields),
  };

  async function runJobs(event: SQSEvent): Promise<SQSBatchResponse> {
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records) {
      const job = parseJob(record.body);
      if (!job) {
        log.error('not a job message; dropped', { messageId: record.messageId });
        continue;
      }
      try {
        if (job.kind === 'ProcessingJob') {
          const outcome = await runProcessingJob({ ...monitor, log }, job.ProcessingJobName);
          log.info('processing job', { ...job, outcome });
        } else {
          const result = await runScheduleNow(runner, job.MonitoringScheduleName);
          log.info('NOW schedule', { ...job, ...result });
        }
      } catch (error) {
        log.error('job failed', { ...job, messageId: record.messageId, error: (error as Error).message });
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures };
  }

  return middy<TickEvent | SQSEvent>()
    .use(injectLambdaContext(logger))
    .handler(async (event) => {
      if (isSqsEvent(event)) return runJobs(event);
      const at = Date.parse(event.time ?? '');
      const tick = Number.isFinite(at) ? new Date(at) : new Date();
      if (endpointRecovery) {
        // Its own failure must not stop the schedules; the next tick tries again.
        await recoverStalledEndpoints(
          { store: monitor.store, log, now: monitor.now },
          endpointRecovery,
        ).catch((error: unknown) =>
          log.error('endpoint recovery failed', { error: (error as Error).message }),
        );
      }
      const result = await runDueSchedules(runner, tick);
      log.info('monitor tick', {
        time: tick.toISOString(),
        executions: result.executions.length,
        failedSchedules: result.failedSchedules,
      });
      return { schedulesRun: result.executions.length, ...result };
    });
}
