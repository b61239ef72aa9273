import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

export interface WorkerQueueProps {
  /** The queue's construct id (kept per capability, so the template's logical ids stay put). */
  readonly queueId: string;
  /** The function that consumes the queue through an event source mapping. */
  readonly worker: lambda.Function;
  /** The worker's timeout when the function does not say (the queue's visibility follows it). */
  readonly defaultTimeout: Duration;
  /** Deliveries of a message before it moves to the dead-letter queue. */
  readonly maxReceiveCount: number;
  /** Messages per invocation: 1 for jobs that take minutes (a batch shares one timeout). */
  readonly batchSize: number;
}

export interface WorkerQueue {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
}

/**
 * A queue of work for one function, as the deployments, processing jobs and training
 * capabilities each have: encrypted, TLS-only, a dead-letter queue after `maxReceiveCount`
 * deliveries, a visibility timeout of six times the worker's timeout (as Lambda's event source
 * mappings advise; SQS allows 12 h), and an event source mapping that reports failed messages
 * one by one. Created in `scope` itself, so the capabilities' templates are unchanged.
 */
export function workerQueue(scope: Construct, props: WorkerQueueProps): WorkerQueue {
  const { maxReceiveCount } = props;
  if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1) {
    throw new Error(`maxReceiveCount must be a positive integer, got ${maxReceiveCount}`);
  }
  const deadLetterQueue = new sqs.Queue(scope, 'DeadLetterQueue', {
    retentionPeriod: Duration.days(14),
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
  });
  const timeout = props.worker.timeout ?? props.defaultTimeout;
  const queue = new sqs.Queue(scope, props.queueId, {
    visibilityTimeout: Duration.seconds(Math.min(6 * timeout.toSeconds(), 43_200)),
    retentionPeriod: Duration.days(4),
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount },
  });
  props.worker.addEventSource(
    new sources.SqsEventSource(queue, { batchSize: props.batchSize, reportBatchItemFailures: true }),
  );
  return { queue, deadLetterQueue };
}
