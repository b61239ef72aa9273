import { CloudWatchAlarmSource } from '../adapters/cloudwatch-alarm-source.js';
import { DynamoDbRegistryStore } from '../adapters/dynamodb-registry-store.js';
import { S3ArtifactSource } from '../adapters/s3-artifact-source.js';
import { S3ObjectStore } from '../adapters/s3-object-store.js';
import { SqsStepScheduler } from '../adapters/sqs-step-scheduler.js';
import { ENV } from '../functions.js';
import { accessKeysFromEnv } from '../shared/access-keys.js';
import { clients } from '../shared/clients.js';
import { requireEnv } from '../shared/config.js';
import { functionLogger } from '../shared/logger.js';
import { onnxModelProbe } from '../shared/model-probe.js';
import { createControlHandler } from './control-plane.js';

const tableName = requireEnv(ENV.registryTable);

const keys = accessKeysFromEnv();

export const handler = createControlHandler({
  logging: functionLogger('understudy-control'),
  store: new DynamoDbRegistryStore(clients.dynamo(), tableName),
  artifacts: new S3ArtifactSource(clients.s3()),
  objects: new S3ObjectStore(clients.s3()),
  models: onnxModelProbe,
  keys,
  accessKeys: keys,
  region: requireEnv('AWS_REGION'),
  deployments: {
    alarms: new CloudWatchAlarmSource(clients.cloudwatch()),
    scheduler: new SqsStepScheduler(clients.sqs(), requireEnv(ENV.deploymentQueueUrl)),
  },
});
