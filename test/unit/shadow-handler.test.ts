import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { newEventId } from '../../lambdas/domain/data-capture/capture-record.js';
import { ModelCache } from '../../lambdas/domain/inference/model-cache.js';
import type { Log } from '../../lambdas/domain/kernel/log.js';
import { buildMirrorMessage } from '../../lambdas/domain/mirroring/mirror.js';
import { createShadowHandler } from '../../lambdas/shadow/shadow.js';
import { InMemoryDeliveryLedger } from '../support/delivery-ledger.js';
import { MemoryArtifactSource } from '../support/models.js';

/** The shadow function's middy handler on fakes: no environment, no AWS. */
const source = new MemoryArtifactSource();
const rules = { csvContentTypes: ['text/csv'], jsonContentTypes: ['application/json'] };

function record(destination: string): SQSRecord {
  const body = buildMirrorMessage(
    {
      eventId: newEventId(),
      inferenceTime: new Date('2026-11-25T10:00:00Z'),
      endpointName: 'ep',
      variantName: 'main',
      requestBody: new TextEncoder().encode('1,2,3,4\n'),
      requestContentType: 'text/csv',
      responseBody: JSON.stringify({ predictions: [1], outputs: { score: [[1]] } }),
      responseContentType: 'application/json',
      predictions: [1],
      modelLatencyUs: 10,
    },
    {
      capture: {
        enabled: true,
        samplingPercentage: 100,
        destination,
        captureInput: true,
        captureOutput: true,
        ...rules,
      },
      shadows: [],
    },
  );
  return { messageId: newEventId(), body: JSON.stringify(body) } as SQSRecord;
}

const context = {
  functionName: 'shadow',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 60_000,
} as Context;

describe('createShadowHandler', () => {
  it('reports exactly the messages whose work failed as batchItemFailures, logs and counts the batch', async () => {
    const written: string[] = [];
    const logged: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
    const log: Log = {
      info: (message, fields) => void logged.push({ level: 'info', message, fields }),
      warn: (message, fields) => void logged.push({ level: 'warn', message, fields }),
      error: (message, fields) => void logged.push({ level: 'error', message, fields }),
    };
    const metrics: string[] = [];
    const handler = createShadowHandler({
      logging: { logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }), log },
      metrics: (line) => void metrics.push(line),
      models: new ModelCache(source),
      sink: {
        write: async ({ bucket }) => {
          if (bucket === 'refusing') throw new Error('S3 is refusing writes');
          written.push(bucket);
        },
        readSpilled: async () => undefined,
        exists: async () => false,
      },
      deadLetters: { send: async () => undefined },
      comparisons: { record: async () => undefined },
      ledger: new InMemoryDeliveryLedger(),
    });
    const ok = record('s3://captures/prod');
    const failing = record('s3://refusing/prod');
    const event: SQSEvent = { Records: [ok, failing] };
    const response = await handler(event, context);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: failing.messageId }] });
    expect(written).toEqual(['captures']);
    expect(logged.find((l) => l.message.startsWith('mirror batch processed'))?.fields).toMatchObject({
      messages: 2,
      completed: 1,
      failed: 1,
    });
    expect(JSON.parse(metrics[0] ?? '{}')).toMatchObject({
      MirrorEventsCompleted: 1,
      MirrorEventsRetried: 1,
    });
  });
});
