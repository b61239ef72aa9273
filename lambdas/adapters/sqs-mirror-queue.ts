import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { MirrorMessage, MirrorQueue, MirrorSendOptions } from '../domain/mirroring/mirror.js';

/** SQS's message size limit (256 KiB), less room for attributes. */
const MAX_INLINE_BYTES = 250 * 1024;
export const SPILL_PREFIX = 'mirror-spill/';

/**
 * Sends mirror messages to the mirror queue. A message too large for SQS (bodies can reach
 * 6 MB) is written to S3 and the queue carries a pointer; the two writes run side by side,
 * not one after the other, and the consumer retries a pointer whose object is not there yet.
 */
export class SqsMirrorQueue implements MirrorQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly s3: S3Client,
    private readonly spillBucket: string,
  ) {}

  /**
   * `abortSignal` goes to every SDK call, which then destroys its connection and rejects at
   * once when the signal fires (the S3 spill and the pointer alike).
   */
  async send(message: MirrorMessage, options: MirrorSendOptions = {}): Promise<void> {
    const call = { abortSignal: options.abortSignal };
    const body = JSON.stringify(message);
    if (Buffer.byteLength(body) <= MAX_INLINE_BYTES) {
      await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: body }), call);
      return;
    }
    const key = `${SPILL_PREFIX}${message.eventId}.json`;
    const pointer = { v: 1, eventId: message.eventId, spilledTo: `s3://${this.spillBucket}/${key}` };
    await Promise.all([
      this.s3.send(new PutObjectCommand({ Bucket: this.spillBucket, Key: key, Body: body }), call),
      this.sqs.send(
        new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(pointer) }),
        call,
      ),
    ]);
  }
}
