import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SPILL_PREFIX, SqsMirrorQueue } from '../../lambdas/adapters/sqs-mirror-queue.js';
import { buildMirrorMessage, type MirrorMessage } from '../../lambdas/domain/mirroring/mirror.js';
import { sendWithinBudget } from '../../lambdas/domain/mirroring/mirror-delivery.js';
import { mirrorClientConfig, mirrorSqsClient } from '../../lambdas/shared/clients.js';
import { type SqsStandIn, standInClientConfig, startSqsStandIn } from '../support/sqs-stand-in.js';

let standIn: SqsStandIn | undefined;
afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
});

function message(bodyBytes: number): MirrorMessage {
  return buildMirrorMessage(
    {
      eventId: `ev-${bodyBytes}`,
      inferenceTime: new Date('2026-11-25T12:00:00Z'),
      endpointName: 'ep',
      variantName: 'main',
      requestBody: new Uint8Array(bodyBytes).fill(0x31),
      requestContentType: 'text/csv',
      responseBody: '{"predictions":[1]}',
      responseContentType: 'application/json',
      predictions: [1],
      modelLatencyUs: 20,
    },
    { shadows: [] },
  );
}

async function queueOver(delayMs: number) {
  standIn = await startSqsStandIn({ delayMs });
  const config = { ...standInClientConfig(standIn), maxAttempts: 1 };
  return new SqsMirrorQueue(
    new SQSClient(config),
    standIn.queueUrl,
    new S3Client({ ...config, forcePathStyle: true }),
    'spill',
  );
}

const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error as Error,
  );

describe('SqsMirrorQueue over a real SQS client', () => {
  it('sends one SendMessage carrying the message', async () => {
    const queue = await queueOver(0);
    await queue.send(message(10));
    expect(standIn?.delivered.map((body) => JSON.parse(body).eventId)).toEqual(['ev-10']);
    expect(standIn?.putKeys).toEqual([]);
  });

  it('spills a message over 250 KB to S3 and sends a pointer', async () => {
    const queue = await queueOver(0);
    await queue.send(message(300_000));
    expect(standIn?.putKeys).toEqual([`/spill/${SPILL_PREFIX}ev-300000.json`]);
    expect(standIn?.delivered.map((body) => JSON.parse(body))).toEqual([
      { v: 1, eventId: 'ev-300000', spilledTo: `s3://spill/${SPILL_PREFIX}ev-300000.json` },
    ]);
  });

  it('rejects as soon as its abort signal fires and closes the connection', async () => {
    const queue = await queueOver(60_000);
    const abort = new AbortController();
    const sent = errorOf(queue.send(message(10), { abortSignal: abort.signal }));
    await vi.waitFor(() => expect(standIn?.counts.received).toBe(1), { timeout: 10_000 });
    abort.abort();
    const error = await sent;
    expect(error?.name).toBe('AbortError');
    await vi.waitFor(() => expect(standIn?.counts.abandoned).toBe(1));
    expect(standIn?.counts.answered).toBe(0);
  });

  it('aborts both the spill and the pointer', async () => {
    const queue = await queueOver(60_000);
    // Abort once both requests are in (not after a fixed delay: a loaded machine may take
    // longer than that to start uploading a 300 KB body).
    const abort = new AbortController();
    const sent = errorOf(queue.send(message(300_000), { abortSignal: abort.signal }));
    await vi.waitFor(() => expect(standIn?.counts.received).toBe(2), { timeout: 10_000 });
    abort.abort();
    const error = await sent;
    expect(error?.name).toBe('AbortError');
    await vi.waitFor(() => expect(standIn?.counts.abandoned).toBe(2));
    expect(standIn?.counts.answered).toBe(0);
  });
});

describe("the mirror's own SQS client", () => {
  const budgetMs = 150;
  async function mirrorQueueOver(delayMs: number) {
    standIn = await startSqsStandIn({ delayMs });
    const s3 = new S3Client({ ...standInClientConfig(standIn), forcePathStyle: true });
    const sqs = mirrorSqsClient(budgetMs, standInClientConfig(standIn));
    return new SqsMirrorQueue(sqs, standIn.queueUrl, s3, 'spill');
  }

  it('gives up within the budget on a queue that answers late, in one attempt, and frees the connection', async () => {
    const queue = await mirrorQueueOver(60_000);
    const delivery = await sendWithinBudget(queue, message(10), budgetMs);
    expect(delivery).toMatchObject({ delivered: false, attempts: 1 });
    await vi.waitFor(() => expect(standIn?.counts.abandoned).toBe(1));
    expect(standIn?.counts.received).toBe(1);
  });

  it('fails an attempt at its request timeout instead of hanging, a backstop for a caller without a budget', async () => {
    const queue = await mirrorQueueOver(60_000);
    const error = await errorOf(queue.send(message(10)));
    expect(error?.name).toBe('TimeoutError');
    expect(error?.message).toContain(`${mirrorClientConfig(budgetMs).requestTimeoutMs} ms requestTimeout`);
    expect(standIn?.counts.received).toBe(1);
  });
});
