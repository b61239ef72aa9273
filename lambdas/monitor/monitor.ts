import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { type MonitorDeps, runDueSchedules } from '../domain/model-monitor/runner.js';
import { type FunctionLogging, functionLogger } from '../shared/logger.js';

export interface MonitorHandlerDeps extends Omit<MonitorDeps, 'log'> {
  /** @default functionLogger('understudy-monitor') */
  readonly logging?: FunctionLogging;
}

/**
 * The monitor's EventBridge tick (every 5 minutes): runs the monitoring schedules that are
 * due at the event's `time` — the time the rule fired, kept by retries, so a retried tick
 * runs nothing twice. Schedules live in the registry: creating one needs no redeploy.
 */
export function createMonitorHandler(deps: MonitorHandlerDeps) {
  const { logging, ...monitor } = deps;
  const { logger, log } = logging ?? functionLogger('understudy-monitor');
  const runner: MonitorDeps = {
    ...monitor,
    // The runner's entries carry their level and message; the rest are fields.
    log: ({ level, msg, ...fields }) => log[level === 'error' ? 'error' : 'info'](String(msg), fields),
  };
  return middy<EventBridgeEvent<'Scheduled Event', unknown>>()
    .use(injectLambdaContext(logger))
    .handler(async (event) => {
      const at = Date.parse(event.time ?? '');
      const tick = Number.isFinite(at) ? new Date(at) : new Date();
      const result = await runDueSchedules(runner, tick);
      log.info('monitor tick', {
        time: tick.toISOString(),
        executions: result.executions.length,
        failedSchedules: result.failedSchedules,
      });
      return { schedulesRun: result.executions.length, ...result };
    });
}
