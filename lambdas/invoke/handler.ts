import { DynamoDbRegistryStore } from '../adapters/dynamodb-registry-store.js';
import { S3ArtifactSource } from '../adapters/s3-artifact-source.js';
import { SqsMirrorQueue } from '../adapters/sqs-mirror-queue.js';
import { EndpointCache } from '../domain/inference/endpoint-cache.js';
import { ModelCache } from '../domain/inference/model-cache.js';
import { ENV } from '../functions.js';
import { accessKeysFromEnv } from '../shared/access-keys.js';
import { clients } from '../shared/clients.js';
import { requireEnv } from '../shared/config.js';
import { createInvokeHandler } from './data-plane.js';

const tableName = requireEnv(ENV.registryTable);

export const handler = createInvokeHandler({
  endpoints: new EndpointCache(new DynamoDbRegistryStore(clients.dynamo(), tableName)),
  models: new ModelCache(new S3ArtifactSource(clients.s3())),
  mirror: new SqsMirrorQueue(
    clients.sqs(),
    requireEnv(ENV.mirrorQueueUrl),
    clients.s3(),
    requireEnv(ENV.bucket),
  ),
  keys: accessKeysFromEnv(),
});
