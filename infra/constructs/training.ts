import { Duration } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface TrainingProps {
  /** The training function: it consumes the training queue. */
  readonly trainingFunction: lambda.Function;
  /**
   * Deliveries of a job message before it moves to the dead-letter queue.
   * @default 2
   */
  readonly maxReceiveCount?: number;
}

/**
 * Training jobs: CreateTrainingJob sends a message to the training queue and answers; the
 * training function (10 GB, 15 minutes) consumes it, one job per batch. Its own queue rather
 * than the monitor's jobs queue with routing: a queue feeds one event source mapping, and a job
 * that may run 15 minutes needs its own visibility timeout. The same template runs locally,
 * where the local runtime polls the queue like any event source mapping.
 */
export class Training extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: TrainingProps) {
    super(scope, id);
    const maxReceiveCount = props.maxReceiveCount ?? 2;
    if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1) {
      throw new Error(`maxReceiveCount must be a positive integer, got ${maxReceiveCount}`);
    }
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    const timeout = props.trainingFunction.timeout ?? Duration.seconds(900);
    this.queue = new sqs.Queue(this, 'TrainingQueue', {
      // Six times the consumer's timeout, as Lambda's event source mappings advise (SQS allows 12 h).
      visibilityTimeout: Duration.seconds(Math.min(6 * timeout.toSeconds(), 43_200)),
      retentionPeriod: Duration.days(4),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount },
    });
    props.trainingFunction.addEventSource(
      new sources.SqsEventSource(this.queue, { batchSize: 1, reportBatchItemFailures: true }),
    );
  }

  /** Lets `grantee` send training job messages (and nothing else on the queue). */
  grantSendJobs(grantee: iam.IGrantable): void {
    this.queue.grantSendMessages(grantee);
  }
}
