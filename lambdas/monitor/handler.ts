import { CloudWatchMetricsPublisher } from '../adapters/cloudwatch-metrics-publisher.js';
import { DynamoDbRegistryStore } from '../adapters/dynamodb-registry-store.js';
import { EventBridgeSnsAlerts } from '../adapters/monitoring-alerts.js';
import { S3ObjectStore } from '../adapters/s3-object-store.js';
import { ENV, FUNCTIONS } from '../functions.js';
import { clients } from '../shared/clients.js';
import { requireEnv } from '../shared/config.js';
import { functionLogger } from '../shared/logger.js';
import { createMonitorHandler } from './monitor.js';

export const handler = createMonitorHandler({
  logging: functionLogger('understudy-monitor'),
  store: new DynamoDbRegistryStore(clients.dynamo(), requireEnv(ENV.registryTable)),
  objects: new S3ObjectStore(clients.s3()),
  metrics: new CloudWatchMetricsPublisher(clients.cloudwatch()),
  alerts: new EventBridgeSnsAlerts({
    events: clients.events(),
    sns: clients.sns(),
    topicArn: requireEnv(ENV.alertsTopicArn),
  }),
  now: () => new Date(),
  endpointRecovery: { controlTimeoutSeconds: FUNCTIONS.control.timeoutSeconds },
});
