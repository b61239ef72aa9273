import { DynamoDbRegistryStore } from '../adapters/dynamodb-registry-store.js';
import { S3ArtifactSource } from '../adapters/s3-artifact-source.js';
import { secretsManagerKey } from '../adapters/secrets-manager-key.js';
import { SqsMirrorQueue } from '../adapters/sqs-mirror-queue.js';
import { EndpointCache } from '../domain/inference/endpoint-cache.js';
import { ModelCache } from '../domain/inference/model-cache.js';
import { DEFAULT_MAX_ROWS } from '../domain/inference/payload.js';
import { DEFAULT_MIRROR_BUDGET_MS } from '../domain/mirroring/mirror-delivery.js';
import { RegistryMirrorDropCounter } from '../domain/mirroring/mirror-drops.js';
import { ENV } from '../functions.js';
import { accessKeysFromEnv } from '../shared/access-keys.js';
import { millisecondsEnv, positiveIntegerEnv, requireEnv } from '../shared/config.js';
// Not shared/clients.ts: the invoke function loads only the SDK clients it calls.
import { dataPlaneClients as clients } from '../shared/data-plane-clients.js';
import { functionLogger } from '../shared/logger.js';
import { createInvokeHandler } from './data-plane.js';

const logging = functionLogger('understudy-invoke');
const registry = new DynamoDbRegistryStore(clients.dynamo(), requireEnv(ENV.registryTable));
const mirrorBudgetMs = millisecondsEnv(ENV.mirrorBudgetMs, DEFAULT_MIRROR_BUDGET_MS);
const mirrorClients = clients.mirror(mirrorBudgetMs);

export const handler = createInvokeHandler({
  logging,
  endpoints: new EndpointCache(registry, { log: logging.log }),
  models: new ModelCache(new S3ArtifactSource(clients.s3())),
  mirror: new SqsMirrorQueue(
    mirrorClients.sqs,
    requireEnv(ENV.mirrorQueueUrl),
    mirrorClients.s3,
    requireEnv(ENV.bucket),
  ),
  mirrorBudgetMs,
  maxRows: positiveIntegerEnv(ENV.maxRows, DEFAULT_MAX_ROWS, 'rows'),
  drops: new RegistryMirrorDropCounter(registry),
  redactionKey: secretsManagerKey(clients.secrets(), requireEnv(ENV.captureRedactionKeySecretId)),
  keys: accessKeysFromEnv(),
});
