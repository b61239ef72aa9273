import { ENV } from '../../infra/functions.js';
import { CloudWatchAlarmSource } from '../adapters/cloudwatch-alarm-source.js';
import { DynamoDbRegistryStore } from '../adapters/dynamodb-registry-store.js';
import { SqsStepScheduler } from '../adapters/sqs-step-scheduler.js';
import { clients } from '../shared/clients.js';
import { requireEnv } from '../shared/config.js';
import { createDeployerHandler } from './deployer.js';

export const handler = createDeployerHandler({
  store: new DynamoDbRegistryStore(clients.dynamo(), requireEnv(ENV.registryTable)),
  alarms: new CloudWatchAlarmSource(clients.cloudwatch()),
  scheduler: new SqsStepScheduler(clients.sqs(), requireEnv(ENV.deploymentQueueUrl)),
  now: () => new Date(),
});
