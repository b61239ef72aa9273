import type { EventBridgeEvent } from 'aws-lambda';
import { ENV } from '../../infra/functions.js';
import { CloudWatchMetricsPublisher } from '../adapters/cloudwatch-metrics-publisher.js';
import { DynamoDbRegistryStore } from '../adapters/dynamodb-registry-store.js';
import { EventBridgeSnsAlerts } from '../adapters/monitoring-alerts.js';
import { S3ObjectStore } from '../adapters/s3-object-store.js';
import { type MonitorDeps, runDueSchedules } from '../domain/model-monitor/runner.js';
import { clients } from '../shared/clients.js';
import { requireEnv } from '../shared/config.js';

const deps: MonitorDeps = {
  store: new DynamoDbRegistryStore(clients.dynamo(), requireEnv(ENV.registryTable)),
  objects: new S3ObjectStore(clients.s3()),
  metrics: new CloudWatchMetricsPublisher(clients.cloudwatch()),
  alerts: new EventBridgeSnsAlerts({
    events: clients.events(),
    sns: clients.sns(),
    topicArn: requireEnv(ENV.alertsTopicArn),
  }),
  now: () => new Date(),
  log: (entry) => console.log(JSON.stringify(entry)),
};

/**
 * The monitor's EventBridge tick (every 5 minutes): runs the monitoring schedules that are
 * due at the event's `time` — the time the rule fired, kept by retries, so a retried tick
 * runs nothing twice. Schedules live in the registry: creating one needs no redeploy.
 */
export const handler = async (event: EventBridgeEvent<'Scheduled Event', unknown>) => {
  const at = Date.parse(event.time ?? '');
  const tick = Number.isFinite(at) ? new Date(at) : new Date();
  const result = await runDueSchedules(deps, tick);
  console.log(
    JSON.stringify({
      level: 'info',
      msg: 'monitor tick',
      time: tick.toISOString(),
      executions: result.executions.length,
      failedSchedules: result.failedSchedules,
    }),
  );
  return { schedulesRun: result.executions.length, ...result };
};
