import { DynamoDbCaptureIndex } from '../adapters/dynamodb-capture-index.js';
import { DynamoDbDeliveryLedger } from '../adapters/dynamodb-delivery-ledger.js';
import { DynamoDbRegistryStore } from '../adapters/dynamodb-registry-store.js';
import { S3ArtifactSource } from '../adapters/s3-artifact-source.js';
import { S3CaptureSink, S3ReportSink } from '../adapters/s3-capture-sink.js';
import { SqsDeadLetters } from '../adapters/sqs-dead-letters.js';
import { SqsRetryScheduler } from '../adapters/sqs-retry-scheduler.js';
import { ModelCache } from '../domain/inference/model-cache.js';
import { RegistryComparisonRecorder } from '../domain/shadow-tests/comparison-recorder.js';
import { ENV, FUNCTIONS } from '../functions.js';
import { clients } from '../shared/clients.js';
import { requireEnv } from '../shared/config.js';
import { functionLogger } from '../shared/logger.js';
import { createShadowHandler } from './shadow.js';

const tableName = requireEnv(ENV.registryTable);
const store = new DynamoDbRegistryStore(clients.dynamo(), tableName);
const logging = functionLogger('understudy-shadow');

export const handler = createShadowHandler({
  logging,
  models: new ModelCache(new S3ArtifactSource(clients.s3())),
  sink: new S3CaptureSink(clients.s3()),
  captureIndex: new DynamoDbCaptureIndex(clients.dynamo(), tableName, {
    retentionDays: Number(requireEnv(ENV.captureRetentionDays)),
  }),
  deadLetters: new SqsDeadLetters(clients.sqs(), requireEnv(ENV.deadLetterQueueUrl)),
  retries: new SqsRetryScheduler(clients.sqs(), requireEnv(ENV.mirrorQueueUrl)),
  comparisons: new RegistryComparisonRecorder(store, {
    reports: new S3ReportSink(clients.s3(), requireEnv(ENV.bucket)),
    log: logging.log,
  }),
  // A hold outlives this function's timeout by a margin: past it, Lambda has stopped its holder.
  ledger: new DynamoDbDeliveryLedger(clients.dynamo(), tableName, {
    staleAfterMs: (FUNCTIONS.shadow.timeoutSeconds + 30) * 1000,
  }),
});
