import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';

/**
 * Consumer of mirrored requests. Shadow runs and capture writing are not built yet (see the
 * shadow/capture issue); until they are, every message is reported as failed so SQS keeps
 * it and, after maxReceiveCount, moves it to the dead-letter queue: nothing is dropped.
 */
export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  console.warn(
    JSON.stringify({
      level: 'warn',
      msg: 'shadow processing is not implemented yet; messages are left for redrive to the DLQ',
      messages: event.Records.length,
    }),
  );
  return { batchItemFailures: event.Records.map((record) => ({ itemIdentifier: record.messageId })) };
};
