import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { ENV } from '../../infra/functions.js';
import { DynamoDbEventClaims } from '../adapters/dynamodb-event-claims.js';
import { DynamoDbRegistryStore } from '../adapters/dynamodb-registry-store.js';
import { S3ArtifactSource } from '../adapters/s3-artifact-source.js';
import { S3CaptureSink, S3ReportSink } from '../adapters/s3-capture-sink.js';
import { SqsDeadLetters } from '../adapters/sqs-dead-letters.js';
import { RegistryComparisonRecorder } from '../domain/capture/comparison-recorder.js';
import { RegistryProgressStore } from '../domain/capture/progress.js';
import { processShadowBatch } from '../domain/capture/shadow-batch.js';
import { ModelCache } from '../domain/inference/model-cache.js';
import { clients } from '../shared/clients.js';
import { requireEnv } from '../shared/config.js';

const store = new DynamoDbRegistryStore(clients.dynamo(), requireEnv(ENV.registryTable));
const deps = {
  models: new ModelCache(new S3ArtifactSource(clients.s3())),
  sink: new S3CaptureSink(clients.s3()),
  deadLetters: new SqsDeadLetters(clients.sqs(), requireEnv(ENV.deadLetterQueueUrl)),
  comparisons: new RegistryComparisonRecorder(store, {
    reports: new S3ReportSink(clients.s3(), requireEnv(ENV.bucket)),
  }),
  progress: new RegistryProgressStore(store),
  claims: new DynamoDbEventClaims(clients.dynamo(), requireEnv(ENV.registryTable)),
};

/**
 * Consumes mirrored requests: writes captures, runs shadow models, updates comparisons.
 * Messages whose work failed are reported one by one so SQS retries only those.
 */
export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const started = performance.now();
  const retry = await processShadowBatch(
    event.Records.map((record) => ({
      messageId: record.messageId,
      body: record.body,
      receiveCount: Number(record.attributes.ApproximateReceiveCount ?? '1'),
    })),
    deps,
  );
  console.log(
    JSON.stringify({
      level: retry.length > 0 ? 'warn' : 'info',
      msg: 'mirror batch processed',
      messages: event.Records.length,
      retried: retry.length,
      ms: Math.round(performance.now() - started),
    }),
  );
  return { batchItemFailures: retry.map((itemIdentifier) => ({ itemIdentifier })) };
};
