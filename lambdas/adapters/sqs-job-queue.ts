import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { JobMessage, JobQueue, TrainingJobMessage, TrainingQueue } from '../domain/kernel/ports.js';

/** Sends job messages: processing jobs and NOW schedules to the monitor's jobs queue, training jobs to the training queue. */
export class SqsJobQueue implements JobQueue, TrainingQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(message: JobMessage | TrainingJobMessage): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(message) }),
    );
  }
}
