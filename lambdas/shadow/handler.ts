import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { ENV, FUNCTIONS } from '../../infra/functions.js';
import { DynamoDbDeliveryLedger } from '../adapters/dynamodb-delivery-ledger.js';
import { DynamoDbRegistryStore } from '../adapters/dynamodb-registry-store.js';
import { S3ArtifactSource } from '../adapters/s3-artifact-source.js';
import { S3CaptureSink, S3ReportSink } from '../adapters/s3-capture-sink.js';
import { SqsDeadLetters } from '../adapters/sqs-dead-letters.js';
import { ModelCache } from '../domain/inference/model-cache.js';
import { processShadowBatch } from '../domain/mirroring/mirror-batch.js';
import { mirrorBatchEmfLine } from '../domain/mirroring/mirror-batch-emf.js';
import { RegistryComparisonRecorder } from '../domain/shadow-tests/comparison-recorder.js';
import { clients } from '../shared/clients.js';
import { requireEnv } from '../shared/config.js';

const tableName = requireEnv(ENV.registryTable);
const store = new DynamoDbRegistryStore(clients.dynamo(), tableName);
const deps = {
  models: new ModelCache(new S3ArtifactSource(clients.s3())),
  sink: new S3CaptureSink(clients.s3()),
  deadLetters: new SqsDeadLetters(clients.sqs(), requireEnv(ENV.deadLetterQueueUrl)),
  comparisons: new RegistryComparisonRecorder(store, {
    reports: new S3ReportSink(clients.s3(), requireEnv(ENV.bucket)),
  }),
  // A hold outlives this function's timeout by a margin: past it, Lambda has stopped its holder.
  ledger: new DynamoDbDeliveryLedger(clients.dynamo(), tableName, {
    staleAfterMs: (FUNCTIONS.shadow.timeoutSeconds + 30) * 1000,
  }),
};

/**
 * Consumes mirrored requests: writes captures, runs shadow models, updates comparisons.
 * Messages whose work failed are reported one by one so SQS retries only those.
 */
export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const started = performance.now();
  const { retry, tally } = await processShadowBatch(
    event.Records.map((record) => ({ messageId: record.messageId, body: record.body })),
    deps,
  );
  console.log(
    JSON.stringify({
      level: retry.length > 0 ? 'warn' : 'info',
      msg: 'mirror batch processed',
      messages: event.Records.length,
      ...tally,
      retried: retry.length,
      ms: Math.round(performance.now() - started),
    }),
  );
  console.log(mirrorBatchEmfLine(tally, Date.now()));
  return { batchItemFailures: retry.map((itemIdentifier) => ({ itemIdentifier })) };
};
