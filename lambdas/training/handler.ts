import { DynamoDbRegistryStore } from '../adapters/dynamodb-registry-store.js';
import { EventBridgePublisher } from '../adapters/eventbridge-publisher.js';
import { S3ArtifactSource } from '../adapters/s3-artifact-source.js';
import { S3ObjectStore } from '../adapters/s3-object-store.js';
import { ENV, FUNCTIONS } from '../functions.js';
import { clients } from '../shared/clients.js';
import { requireEnv } from '../shared/config.js';
import { functionLogger } from '../shared/logger.js';
import { onnxModelProbe } from '../shared/model-probe.js';
import { createTrainingHandler } from './training.js';

const logging = functionLogger('understudy-training');
const store = new DynamoDbRegistryStore(clients.dynamo(), requireEnv(ENV.registryTable));
const objects = new S3ObjectStore(clients.s3());
const artifacts = new S3ArtifactSource(clients.s3());
const events = new EventBridgePublisher({ events: clients.events(), log: logging.log });

export const handler = createTrainingHandler({
  logging,
  store,
  objects,
  limits: {
    memoryMb: Number(process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? FUNCTIONS.training.memorySizeMb),
    timeoutSeconds: FUNCTIONS.training.timeoutSeconds,
  },
  now: () => new Date(),
  // The registration of a finished job is its creator's CreateModelPackage, in the job's region and account.
  registrar: (job) => {
    const [, , , region = '', accountId = ''] = job.TrainingJobArn.split(':');
    return {
      store,
      objects,
      artifacts,
      events,
      models: onnxModelProbe,
      region,
      accountId,
      caller: job.internal.caller,
      log: logging.log,
      now: () => new Date(),
    };
  },
});
