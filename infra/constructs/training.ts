import { Duration } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { workerQueue } from './worker-queue.js';

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
    const { queue, deadLetterQueue } = workerQueue(this, {
      queueId: 'TrainingQueue',
      worker: props.trainingFunction,
      defaultTimeout: Duration.seconds(900),
      maxReceiveCount: props.maxReceiveCount ?? 2,
      batchSize: 1,
    });
    this.queue = queue;
    this.deadLetterQueue = deadLetterQueue;
  }

  /** Lets `grantee` send training job messages (and nothing else on the queue). */
  grantSendJobs(grantee: iam.IGrantable): void {
    this.queue.grantSendMessages(grantee);
  }
}
