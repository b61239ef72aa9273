import { CloudWatchAlarmSource } from '../adapters/cloudwatch-alarm-source.js';
import { DynamoDbRegistryStore } from '../adapters/dynamodb-registry-store.js';
import { SqsStepScheduler } from '../adapters/sqs-step-scheduler.js';
import { ENV } from '../functions.js';
import { clients } from '../shared/clients.js';
import { requireEnv } from '../shared/config.js';
import { functionLogger } from '../shared/logger.js';
import { createDeployerHandler } from './deployer.js';

export const handler = createDeployerHandler({
  logging: functionLogger('understudy-deployer'),
  store: new DynamoDbRegistryStore(clients.dynamo(), requireEnv(ENV.registryTable)),
  alarms: new CloudWatchAlarmSource(clients.cloudwatch()),
  scheduler: new SqsStepScheduler(clients.sqs(), requireEnv(ENV.deploymentQueueUrl)),
  now: () => new Date(),
});
