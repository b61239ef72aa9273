/**
 * An SQS event source mapping: long-polls the queue, gathers up to BatchSize messages within
 * the batching window, invokes the function with an SQS event and deletes what succeeded.
 * Failed messages are left alone, so they come back after the queue's visibility timeout
 * and the queue's redrive policy moves them to the dead-letter queue after maxReceiveCount
 * (moto applies the redrive when a message is received).
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';

export interface BatchOutcome {
  /** Message ids to delete (processed). */
  readonly succeeded: string[];
  /** Message ids to leave on the queue (retried after the visibility timeout). */
  readonly failed: string[];
  /** Why the whole batch counts as failed, when it does. */
  readonly reason?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Lambda's rules for the result of an SQS batch. If the function threw, every message is
 * retried. Without ReportBatchItemFailures the result is ignored. With it, a null/empty
 * response or empty `batchItemFailures` means full success; the listed messages are retried;
 * a malformed response or an itemIdentifier that is empty or not in the batch fails all.
 */
export function settleBatch(
  messageIds: readonly string[],
  outcome: { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly error: unknown },
  reportBatchItemFailures: boolean,
): BatchOutcome {
  const all = [...messageIds];
  if (!outcome.ok) return { succeeded: [], failed: all, reason: 'the function failed' };
  if (!reportBatchItemFailures) return { succeeded: all, failed: [] };
  const { result } = outcome;
  if (result === undefined || result === null) return { succeeded: all, failed: [] };
  if (!isRecord(result)) return { succeeded: [], failed: all, reason: 'invalid batch response' };
  const failures = result.batchItemFailures;
  if (failures === undefined || failures === null) return { succeeded: all, failed: [] };
  if (!Array.isArray(failures))
    return { succeeded: [], failed: all, reason: 'batchItemFailures is not a list' };
  const inBatch = new Set(all);
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = isRecord(failure) ? failure.itemIdentifier : undefined;
    if (typeof id !== 'string' || id === '' || !inBatch.has(id)) {
      return { succeeded: [], failed: all, reason: `invalid itemIdentifier ${JSON.stringify(id)}` };
    }
    failed.add(id);
  }
  return { succeeded: all.filter((id) => !failed.has(id)), failed: all.filter((id) => failed.has(id)) };
}

/** One received message as a record of Lambda's SQS event. */
export function toSqsRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const messageAttributes: SQSMessageAttributes = {};
  for (const [name, attribute] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[name] = {
      ...(attribute.StringValue !== undefined ? { stringValue: attribute.StringValue } : {}),
      ...(attribute.BinaryValue !== undefined
        ? { binaryValue: Buffer.from(attribute.BinaryValue).toString('base64') }
        : {}),
      stringListValues: attribute.StringListValues ?? [],
      binaryListValues: (attribute.BinaryListValues ?? []).map((value) =>
        Buffer.from(value).toString('base64'),
      ),
      dataType: attribute.DataType ?? 'String',
    };
  }
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? '',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      ...(attributes.SequenceNumber ? { SequenceNumber: attributes.SequenceNumber } : {}),
      ...(attributes.MessageGroupId ? { MessageGroupId: attributes.MessageGroupId } : {}),
      ...(attributes.MessageDeduplicationId
        ? { MessageDeduplicationId: attributes.MessageDeduplicationId }
        : {}),
      ...(attributes.AWSTraceHeader ? { AWSTraceHeader: attributes.AWSTraceHeader } : {}),
    },
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? '',
    ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

export interface PollerOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly region: string;
  readonly batchSize: number;
  readonly maximumBatchingWindowInSeconds: number;
  readonly reportBatchItemFailures: boolean;
  /** Runs the function; resolves with its result or rejects with its error. */
  readonly invoke: (event: SQSEvent) => Promise<unknown>;
  /**
   * Not Lambda behaviour, a local convenience: make failed messages visible again after this
   * many seconds instead of the queue's visibility timeout (which is 6 minutes here).
   */
  readonly retryDelaySeconds?: number;
  readonly log?: (message: string) => void;
  readonly name?: string;
  /**
   * Batches handled at once. Lambda starts with five concurrent invocations per queue (or the
   * mapping's ScalingConfig.MaximumConcurrency). @default 1
   */
  readonly concurrency?: number;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

export class SqsPoller {
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  /** Batches handled so far (for tests and logs). */
  batches = 0;

  constructor(private readonly options: PollerOptions) {}

  /** Starts `concurrency` poll loops, each receiving and handling its own batches. */
  start(): void {
    const loops = Math.max(1, Math.floor(this.options.concurrency ?? 1));
    this.loop ??= Promise.all(Array.from({ length: loops }, () => this.run())).then(() => undefined);
  }

  /** Stops receiving and waits for the batch in hand to finish. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  private log(message: string): void {
    (this.options.log ?? console.log)(`${this.options.name ?? 'sqs'}: ${message}`);
  }

  private async receive(max: number, waitSeconds: number): Promise<Message[]> {
    const response = await this.options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.options.queueUrl,
        MaxNumberOfMessages: Math.min(10, max),
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: this.abort.signal },
    );
    return response.Messages ?? [];
  }

  /** Up to batchSize messages: the first long poll waits for any, then the window fills the batch. */
  private async gather(): Promise<Message[]> {
    const { batchSize, maximumBatchingWindowInSeconds } = this.options;
    const messages: Message[] = [];
    let windowEnds: number | undefined;
    while (!this.abort.signal.aborted && messages.length < batchSize) {
      let wait = 20;
      if (windowEnds !== undefined) {
        const remainingMs = windowEnds - Date.now();
        if (remainingMs <= 0) break;
        wait = Math.min(20, Math.ceil(remainingMs / 1000));
      }
      let received: Message[];
      try {
        received = await this.receive(batchSize - messages.length, wait);
      } catch (error) {
        if (messages.length === 0) throw error;
        break; // keep the messages in hand
      }
      messages.push(...received);
      if (messages.length > 0 && windowEnds === undefined) {
        if (maximumBatchingWindowInSeconds <= 0) break;
        windowEnds = Date.now() + maximumBatchingWindowInSeconds * 1000;
      }
    }
    return messages;
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      let messages: Message[];
      try {
        messages = await this.gather();
      } catch (error) {
        if (signal.aborted) break;
        this.log(`receive failed: ${(error as Error).message}; retrying in 1 s`);
        await sleep(1000, signal);
        continue;
      }
      if (messages.length === 0) continue;
      if (signal.aborted) {
        await this.release(messages);
        break;
      }
      await this.handle(messages);
    }
  }

  /** Makes messages received while stopping visible again at once. */
  private async release(messages: Message[]): Promise<void> {
    const entries = messages.map((message, index) => ({
      Id: String(index),
      ReceiptHandle: message.ReceiptHandle ?? '',
      VisibilityTimeout: 0,
    }));
    for (let i = 0; i < entries.length; i += 10) {
      await this.options.sqs
        .send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: this.options.queueUrl,
            Entries: entries.slice(i, i + 10),
          }),
        )
        .catch(() => undefined);
    }
  }

  private async handle(messages: Message[]): Promise<void> {
    const { queueArn, region, reportBatchItemFailures } = this.options;
    const event: SQSEvent = { Records: messages.map((message) => toSqsRecord(message, queueArn, region)) };
    let outcome: Parameters<typeof settleBatch>[1];
    try {
      outcome = { ok: true, result: await this.options.invoke(event) };
    } catch (error) {
      outcome = { ok: false, error };
      this.log(`function failed for a batch of ${messages.length}: ${(error as Error)?.message ?? error}`);
    }
    this.batches++;
    const ids = messages.map((message) => message.MessageId ?? '');
    const settled = settleBatch(ids, outcome, reportBatchItemFailures);
    if (settled.reason && outcome.ok) this.log(`whole batch of ${ids.length} failed: ${settled.reason}`);
    const byId = new Map(messages.map((message) => [message.MessageId ?? '', message]));
    const entries = (list: string[]) =>
      list.map((id, index) => ({ Id: String(index), ReceiptHandle: byId.get(id)?.ReceiptHandle ?? '' }));
    for (let i = 0; i < settled.succeeded.length; i += 10) {
      const chunk = entries(settled.succeeded.slice(i, i + 10));
      try {
        const result = await this.options.sqs.send(
          new DeleteMessageBatchCommand({ QueueUrl: this.options.queueUrl, Entries: chunk }),
        );
        for (const failure of result.Failed ?? [])
          this.log(`delete failed: ${failure.Message ?? failure.Code}`);
      } catch (error) {
        this.log(`delete failed: ${(error as Error).message}`);
      }
    }
    if (settled.failed.length > 0 && this.options.retryDelaySeconds !== undefined) {
      for (let i = 0; i < settled.failed.length; i += 10) {
        const chunk = entries(settled.failed.slice(i, i + 10)).map((entry) => ({
          ...entry,
          VisibilityTimeout: this.options.retryDelaySeconds ?? 0,
        }));
        await this.options.sqs
          .send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: this.options.queueUrl, Entries: chunk }))
          .catch((error: Error) => this.log(`change visibility failed: ${error.message}`));
      }
    }
  }
}
