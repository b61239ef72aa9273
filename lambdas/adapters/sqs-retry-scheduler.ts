import { ChangeMessageVisibilityBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { RetriedMessage, RetryScheduler } from '../domain/mirroring/retry-backoff.js';

/** SQS's batch call takes ten entries at most. */
const BATCH = 10;

/** Sets each retried message's visibility timeout on its queue, ten at a time. */
export class SqsRetryScheduler implements RetryScheduler {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async schedule(messages: readonly RetriedMessage[]): Promise<number> {
    const chunks: RetriedMessage[][] = [];
    for (let i = 0; i < messages.length; i += BATCH) chunks.push(messages.slice(i, i + BATCH));
    const unscheduled = await Promise.all(
      chunks.map(async (chunk) => {
        try {
          const { Failed = [] } = await this.sqs.send(
            new ChangeMessageVisibilityBatchCommand({
              QueueUrl: this.queueUrl,
              Entries: chunk.map((message, index) => ({
                Id: String(index),
                ReceiptHandle: message.receiptHandle,
                VisibilityTimeout: message.delaySeconds,
              })),
            }),
          );
          return Failed.length;
        } catch {
          return chunk.length;
        }
      }),
    );
    return unscheduled.reduce((sum, count) => sum + count, 0);
  }
}
