import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

export interface DeadLetter {
  readonly messageId: string;
  readonly reason: string;
  readonly receiveCount: number;
  readonly eventId?: string;
}

function describe(message: Message): DeadLetter {
  let eventId: string | undefined;
  try {
    eventId = (JSON.parse(message.Body ?? '') as { eventId?: string }).eventId;
  } catch {
    eventId = undefined;
  }
  return {
    messageId: message.MessageId ?? '',
    reason:
      message.MessageAttributes?.reason?.StringValue ??
      'redriven by SQS after maxReceiveCount failed deliveries (see the shadow function logs)',
    receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 0),
    eventId,
  };
}

/** Lists dead letters without consuming them (each is received with a zero visibility timeout). */
export async function listDeadLetters(sqs: SQSClient, dlqUrl: string, max = 100): Promise<DeadLetter[]> {
  const seen = new Map<string, DeadLetter>();
  for (let round = 0; round < Math.ceil(max / 10) + 2 && seen.size < max; round++) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 0,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    if (Messages.length === 0) break;
    for (const m of Messages) seen.set(m.MessageId ?? '', describe(m));
  }
  return [...seen.values()].slice(0, max);
}

/**
 * Moves dead letters back to the mirror queue for another attempt: each batch is sent first
 * and deleted from the DLQ only once sent, so a failure midway duplicates rather than loses
 * (the shadow function drops duplicate events).
 */
export async function redriveDeadLetters(
  sqs: SQSClient,
  dlqUrl: string,
  queueUrl: string,
  max = Number.POSITIVE_INFINITY,
): Promise<number> {
  let moved = 0;
  while (moved < max) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: Math.min(10, max - moved),
        VisibilityTimeout: 60,
        WaitTimeSeconds: 1,
      }),
    );
    if (Messages.length === 0) break;
    const sent = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((m, i) => ({ Id: String(i), MessageBody: m.Body ?? '' })),
      }),
    );
    const ok = new Set((sent.Successful ?? []).map((s) => s.Id));
    const done = Messages.filter((_, i) => ok.has(String(i)));
    if (done.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: dlqUrl,
          Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
        }),
      );
    }
    moved += done.length;
    if (done.length < Messages.length) {
      throw new Error(
        `${Messages.length - done.length} message(s) could not be sent back; they stay in the DLQ`,
      );
    }
  }
  return moved;
}
