import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { newEventId } from '../../lambdas/domain/data-capture/capture-record.js';
import { ModelCache } from '../../lambdas/domain/inference/model-cache.js';
import type { Log } from '../../lambdas/domain/kernel/log.js';
import { buildMirrorMessage } from '../../lambdas/domain/mirroring/mirror.js';
import { type RetriedMessage, retryDelaySeconds } from '../../lambdas/domain/mirroring/retry-backoff.js';
import { createShadowHandler } from '../../lambdas/shadow/shadow.js';
import { InMemoryDeliveryLedger } from '../support/delivery-ledger.js';
import { MemoryArtifactSource } from '../support/models.js';

/** The shadow function's middy handler on fakes: no environment, no AWS. */
const source = new MemoryArtifactSource();
const rules = { csvContentTypes: ['text/csv'], jsonContentTypes: ['application/json'] };

function record(destination: string, receiveCount = 1): SQSRecord {
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
  return {
    messageId: newEventId(),
    receiptHandle: `handle-${newEventId()}`,
    body: JSON.stringify(body),
    attributes: { ApproximateReceiveCount: String(receiveCount) },
  } as SQSRecord;
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

  it('brings each retried message back after its backoff, not the queue visibility timeout', async () => {
    const scheduled: RetriedMessage[][] = [];
    const logged: string[] = [];
    const log: Log = {
      info: () => undefined,
      warn: (message) => void logged.push(message),
      error: () => undefined,
    };
    let failScheduling = false;
    const handler = createShadowHandler({
      logging: { logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }), log },
      metrics: () => undefined,
      models: new ModelCache(source),
      sink: {
        write: async ({ bucket }) => {
          if (bucket === 'refusing') throw new Error('S3 is refusing writes');
        },
        readSpilled: async () => undefined,
        exists: async () => false,
      },
      deadLetters: { send: async () => undefined },
      comparisons: { record: async () => undefined },
      ledger: new InMemoryDeliveryLedger(),
      retries: {
        schedule: async (messages) => {
          scheduled.push([...messages]);
          return failScheduling ? messages.length : 0;
        },
      },
    });
    const ok = record('s3://captures/prod');
    const first = record('s3://refusing/prod', 1);
    const fourth = record('s3://refusing/prod', 4);
    await handler({ Records: [ok, first, fourth] }, context);
    expect(scheduled).toHaveLength(1);
    const [a, b] = scheduled[0] ?? [];
    expect(a?.receiptHandle).toBe(first.receiptHandle);
    expect(b?.receiptHandle).toBe(fourth.receiptHandle);
    // 10 s doubling per delivery, drawn in the upper half: 5..10 s, then 40..80 s.
    expect(a?.delaySeconds).toBeGreaterThanOrEqual(5);
    expect(a?.delaySeconds).toBeLessThanOrEqual(10);
    expect(b?.delaySeconds).toBeGreaterThanOrEqual(40);
    expect(b?.delaySeconds).toBeLessThanOrEqual(80);
    expect(logged).not.toContain('retry backoff not set; visibility timeout applies');

    // A batch that all succeeds schedules nothing; one whose scheduling fails says so and still answers.
    scheduled.length = 0;
    await handler({ Records: [record('s3://captures/prod')] }, context);
    expect(scheduled).toHaveLength(0);
    failScheduling = true;
    const again = record('s3://refusing/prod', 2);
    const response = await handler({ Records: [again] }, context);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: again.messageId }] });
    expect(logged).toContain('retry backoff not set; visibility timeout applies');
  });
});

describe('retryDelaySeconds', () => {
  it('doubles from 10 s per delivery up to 300 s, with jitter in the upper half', () => {
    const low = () => 0;
    const high = () => 1;
    expect([1, 2, 3, 4, 5, 6, 7, 20].map((n) => retryDelaySeconds(n, high))).toEqual([
      10, 20, 40, 80, 160, 300, 300, 300,
    ]);
    expect([1, 2, 3, 6].map((n) => retryDelaySeconds(n, low))).toEqual([5, 10, 20, 150]);
    // A missing or unreadable receive count counts as a first delivery.
    expect(retryDelaySeconds(Number.NaN, high)).toBe(10);
    expect(retryDelaySeconds(0, high)).toBe(10);
    // Seven retries (maxReceiveCount 8) span 7.6 to 15.2 minutes.
    const span = (random: () => number) =>
      [1, 2, 3, 4, 5, 6, 7].reduce((sum, n) => sum + retryDelaySeconds(n, random), 0);
    expect(span(low)).toBe(455);
    expect(span(high)).toBe(910);
  });
});
