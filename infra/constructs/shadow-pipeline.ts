import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface ShadowPipelineProps {
  readonly shadowFunction: lambda.IFunction;
  /**
   * Deliveries before a message moves to the dead-letter queue. The shadow function backs each
   * retry off exponentially (lambdas/domain/mirroring/retry-backoff.ts): 8 deliveries span 7.6 to
   * 15 minutes of retries.
   * @default 8
   */
  readonly maxReceiveCount?: number;
  /** @default 50 */
  readonly batchSize?: number;
  /** @default 2 seconds */
  readonly maxBatchingWindow?: Duration;
}

/**
 * Mirrored requests: the API Lambda puts one message per sampled request on the queue;
 * the shadow Lambda consumes batches and reports failures per message; poison messages
 * land in the dead-letter queue.
 */
export class ShadowPipeline extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: ShadowPipelineProps) {
    super(scope, id);
    const maxReceiveCount = props.maxReceiveCount ?? 8;
    const batchSize = props.batchSize ?? 50;
    if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1) {
      throw new Error(`maxReceiveCount must be a positive integer, got ${maxReceiveCount}`);
    }
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
      throw new Error(`batchSize must be an integer in 1..10000, got ${batchSize}`);
    }
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.queue = new sqs.Queue(this, 'MirrorQueue', {
      // Six times the consumer's timeout, as Lambda's event source mappings advise.
      visibilityTimeout: Duration.seconds(6 * 60),
      retentionPeriod: Duration.days(4),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount },
    });
    props.shadowFunction.addEventSource(
      new sources.SqsEventSource(this.queue, {
        batchSize,
        maxBatchingWindow: props.maxBatchingWindow ?? Duration.seconds(2),
        reportBatchItemFailures: true,
      }),
    );
  }
}
