import { Duration } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { workerQueue } from './worker-queue.js';

export interface ProcessingJobsProps {
  /** The monitor function: it consumes job messages besides its EventBridge tick. */
  readonly monitorFunction: lambda.Function;
  /**
   * Deliveries of a job message before it moves to the dead-letter queue.
   * @default 3
   */
  readonly maxReceiveCount?: number;
}

/**
 * Work that runs at once rather than on the monitor's tick: CreateProcessingJob (Model
 * Monitor's analyzer) and NOW monitoring schedules. The control function sends a message to
 * the jobs queue and answers; the monitor function, which already reads datasets and captures
 * and writes baselines and reports, consumes it through an event source mapping (one message
 * per batch: a job can take minutes, and a batch shares one timeout). The same template runs
 * locally, where the local runtime polls the queue like any event source mapping.
 */
export class ProcessingJobs extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: ProcessingJobsProps) {
    super(scope, id);
    const { queue, deadLetterQueue } = workerQueue(this, {
      queueId: 'JobQueue',
      worker: props.monitorFunction,
      defaultTimeout: Duration.seconds(300),
      maxReceiveCount: props.maxReceiveCount ?? 3,
      batchSize: 1,
    });
    this.queue = queue;
    this.deadLetterQueue = deadLetterQueue;
  }

  /** Lets `grantee` send job messages (and nothing else on the queue). */
  grantSendJobs(grantee: iam.IGrantable): void {
    this.queue.grantSendMessages(grantee);
  }
}
