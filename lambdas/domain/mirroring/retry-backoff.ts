/**
 * When a retried mirror message comes back. Left alone, a message the shadow function could not
 * finish reappears after the queue's visibility timeout (six minutes: six times the function's
 * timeout, as Lambda's event source mappings advise), so a blip of a few seconds in S3 or
 * DynamoDB held back its comparison for six minutes. The function instead sets each retried
 * message's visibility itself: exponential in its receive count from BASE_SECONDS, capped at
 * MAX_SECONDS, with "equal jitter" (a uniform draw in the upper half) so a batch that failed
 * together does not come back together. With the queue's maxReceiveCount of 8 a message is
 * retried for 7.6 to 15 minutes before the redrive parks it (it was 12 minutes with 3 receives).
 */
export const RETRY_BACKOFF = { baseSeconds: 10, maxSeconds: 300 } as const;

/** Seconds until a message received `receiveCount` times (1 on its first delivery) is retried. */
export function retryDelaySeconds(receiveCount: number, random: () => number = Math.random): number {
  const attempts = Number.isFinite(receiveCount) && receiveCount >= 1 ? Math.floor(receiveCount) : 1;
  const ceiling = Math.min(RETRY_BACKOFF.maxSeconds, RETRY_BACKOFF.baseSeconds * 2 ** (attempts - 1));
  return Math.ceil(ceiling / 2 + (ceiling / 2) * random());
}

export interface RetriedMessage {
  readonly receiptHandle: string;
  readonly delaySeconds: number;
}

/** Makes retried messages visible again after their delay (SQS ChangeMessageVisibility). */
export interface RetryScheduler {
  /** Resolves with how many could not be rescheduled; those come back after the visibility timeout. */
  schedule(messages: readonly RetriedMessage[]): Promise<number>;
}
