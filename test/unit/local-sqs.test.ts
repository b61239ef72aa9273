import type { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { SqsPoller, settleBatch, toSqsRecord } from '../../scripts/local/sqs-poller.js';

const ids = ['m1', 'm2', 'm3'];
const ok = (result: unknown) => settleBatch(ids, { ok: true, result }, true);

describe('which messages of a batch are deleted', () => {
  it('all of them when the function succeeds without reporting failures', () => {
    for (const result of [undefined, null, {}, { batchItemFailures: [] }, { batchItemFailures: null }]) {
      expect(ok(result), JSON.stringify(result)).toEqual({ succeeded: ids, failed: [] });
    }
  });

  it('all but the reported ones', () => {
    expect(ok({ batchItemFailures: [{ itemIdentifier: 'm2' }] })).toEqual({
      succeeded: ['m1', 'm3'],
      failed: ['m2'],
    });
    expect(ok({ batchItemFailures: [{ itemIdentifier: 'm1' }, { itemIdentifier: 'm3' }] })).toEqual({
      succeeded: ['m2'],
      failed: ['m1', 'm3'],
    });
  });

  it('none when the function throws', () => {
    expect(settleBatch(ids, { ok: false, error: new Error('x') }, true)).toMatchObject({
      succeeded: [],
      failed: ids,
    });
    expect(settleBatch(ids, { ok: false, error: new Error('x') }, false)).toMatchObject({
      succeeded: [],
      failed: ids,
    });
  });

  it('none when the response is malformed or names a message not in the batch', () => {
    for (const result of [
      'ok',
      [1],
      { batchItemFailures: 'm1' },
      { batchItemFailures: [{ itemIdentifier: '' }] },
      { batchItemFailures: [{ itemIdentifier: null }] },
      { batchItemFailures: [{ id: 'm1' }] },
      { batchItemFailures: [{ itemIdentifier: 'm9' }] },
    ]) {
      const settled = ok(result);
      expect(settled.succeeded, JSON.stringify(result)).toEqual([]);
      expect(settled.failed).toEqual(ids);
      expect(settled.reason).toBeDefined();
    }
  });

  it('ignores the response without ReportBatchItemFailures', () => {
    expect(
      settleBatch(ids, { ok: true, result: { batchItemFailures: [{ itemIdentifier: 'm1' }] } }, false),
    ).toEqual({
      succeeded: ids,
      failed: [],
    });
  });
});

describe('SQS event records', () => {
  it('has the shape Lambda delivers', () => {
    const record = toSqsRecord(
      {
        MessageId: 'id-1',
        ReceiptHandle: 'rh',
        Body: '{"a":1}',
        MD5OfBody: 'md5',
        Attributes: {
          ApproximateReceiveCount: '2',
          SentTimestamp: '1700000000000',
          SenderId: 'AID',
          ApproximateFirstReceiveTimestamp: '1700000000001',
        },
        MessageAttributes: {
          kind: { DataType: 'String', StringValue: 'mirror' },
          raw: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2]) },
        },
      },
      'arn:aws:sqs:us-east-1:123456789012:q',
      'us-east-1',
    );
    expect(record).toEqual({
      messageId: 'id-1',
      receiptHandle: 'rh',
      body: '{"a":1}',
      attributes: {
        ApproximateReceiveCount: '2',
        SentTimestamp: '1700000000000',
        SenderId: 'AID',
        ApproximateFirstReceiveTimestamp: '1700000000001',
      },
      messageAttributes: {
        kind: { stringValue: 'mirror', stringListValues: [], binaryListValues: [], dataType: 'String' },
        raw: { binaryValue: 'AQI=', stringListValues: [], binaryListValues: [], dataType: 'Binary' },
      },
      md5OfBody: 'md5',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:q',
      awsRegion: 'us-east-1',
    });
  });
});

/** An SQS client that serves queued messages and records deletions. */
function fakeSqs(messages: { MessageId: string; Body: string }[]) {
  const queue = [...messages];
  const deleted: string[] = [];
  const visibilityChanged: string[] = [];
  const client = {
    send: async (
      command: { constructor: { name: string }; input: Record<string, unknown> },
      options?: { abortSignal?: AbortSignal },
    ) => {
      const name = command.constructor.name;
      if (name === 'ReceiveMessageCommand') {
        const max = Number(command.input.MaxNumberOfMessages);
        const batch = queue.splice(0, max);
        if (batch.length === 0) {
          await new Promise((resolve, reject) => {
            const timer = setTimeout(resolve, 50);
            options?.abortSignal?.addEventListener('abort', () => {
              clearTimeout(timer);
              reject(new Error('aborted'));
            });
          });
        }
        return { Messages: batch.map((m) => ({ ...m, ReceiptHandle: `rh-${m.MessageId}` })) };
      }
      const entries = command.input.Entries as { ReceiptHandle: string }[];
      if (name === 'DeleteMessageBatchCommand') deleted.push(...entries.map((e) => e.ReceiptHandle));
      if (name === 'ChangeMessageVisibilityBatchCommand')
        visibilityChanged.push(...entries.map((e) => e.ReceiptHandle));
      return {};
    },
  };
  return { client: client as unknown as SQSClient, deleted, visibilityChanged };
}

describe('SqsPoller', () => {
  it('batches up to BatchSize, deletes what succeeded, leaves reported failures', async () => {
    const messages = Array.from({ length: 25 }, (_, i) => ({
      MessageId: `m${i}`,
      Body: i === 3 ? 'bad' : 'ok',
    }));
    const sqs = fakeSqs(messages);
    const batches: number[] = [];
    const poller = new SqsPoller({
      sqs: sqs.client,
      queueUrl: 'q',
      queueArn: 'arn:aws:sqs:us-east-1:1:q',
      region: 'us-east-1',
      batchSize: 20,
      maximumBatchingWindowInSeconds: 0.05,
      reportBatchItemFailures: true,
      log: () => {},
      invoke: async (event) => {
        batches.push(event.Records.length);
        return {
          batchItemFailures: event.Records.filter((r) => r.body === 'bad').map((r) => ({
            itemIdentifier: r.messageId,
          })),
        };
      },
    });
    poller.start();
    for (let i = 0; i < 100 && batches.length < 2; i++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    await poller.stop();
    expect(batches).toEqual([20, 5]);
    expect(sqs.deleted).toHaveLength(24);
    expect(sqs.deleted).not.toContain('rh-m3');
    expect(sqs.visibilityChanged).toEqual([]);
  });

  it('keeps the whole batch when the function throws, and can shorten the retry delay', async () => {
    const sqs = fakeSqs([
      { MessageId: 'a', Body: '1' },
      { MessageId: 'b', Body: '2' },
    ]);
    let calls = 0;
    const poller = new SqsPoller({
      sqs: sqs.client,
      queueUrl: 'q',
      queueArn: 'arn',
      region: 'us-east-1',
      batchSize: 10,
      maximumBatchingWindowInSeconds: 0,
      reportBatchItemFailures: true,
      retryDelaySeconds: 1,
      log: () => {},
      invoke: async () => {
        calls++;
        throw new Error('boom');
      },
    });
    poller.start();
    for (let i = 0; i < 100 && calls < 1; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    await poller.stop();
    expect(sqs.deleted).toEqual([]);
    expect(sqs.visibilityChanged).toEqual(['rh-a', 'rh-b']);
  });
});

describe('SqsPoller concurrency', () => {
  it('handles as many batches at once as it has poll loops', async () => {
    const sqs = fakeSqs(Array.from({ length: 6 }, (_, i) => ({ MessageId: `m${i}`, Body: 'x' })));
    let running = 0;
    let peak = 0;
    let handled = 0;
    const poller = new SqsPoller({
      sqs: sqs.client,
      queueUrl: 'q',
      queueArn: 'arn',
      region: 'us-east-1',
      batchSize: 2,
      maximumBatchingWindowInSeconds: 0,
      reportBatchItemFailures: false,
      concurrency: 3,
      log: () => {},
      invoke: async (event) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 50));
        running--;
        handled += event.Records.length;
      },
    });
    poller.start();
    for (let i = 0; i < 100 && handled < 6; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    await poller.stop();
    expect(handled).toBe(6);
    expect(peak).toBe(3);
    expect(sqs.deleted).toHaveLength(6);
  });
});
