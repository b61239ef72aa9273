import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { MAX_DELAY_SECONDS } from '../domain/deployments/engine.js';
import type { StepMessage, StepScheduler } from '../domain/kernel/ports.js';

/**
 * Schedules deployment steps as messages on the deployments queue with DelaySeconds (SQS
 * holds them back up to 15 minutes; longer waits are chained by the deployer).
 */
export class SqsStepScheduler implements StepScheduler {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async schedule(message: StepMessage, delaySeconds: number): Promise<void> {
    const delay = Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil(delaySeconds)));
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(message),
        DelaySeconds: delay,
      }),
    );
  }
}
