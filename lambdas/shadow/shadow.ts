import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import sqsPartialBatchFailure from '@middy/sqs-partial-batch-failure';
import type { SQSEvent } from 'aws-lambda';
import { processShadowBatch, type ShadowBatchDeps } from '../domain/mirroring/mirror-batch.js';
import { mirrorBatchEmfLine } from '../domain/mirroring/mirror-batch-emf.js';
import { type RetryScheduler, retryDelaySeconds } from '../domain/mirroring/retry-backoff.js';
import { type FunctionLogging, functionLogger } from '../shared/logger.js';

export interface ShadowHandlerDeps extends Omit<ShadowBatchDeps, 'log'> {
  /** @default functionLogger('understudy-shadow') */
  readonly logging?: FunctionLogging;
  /** Where the batch's EMF metrics line goes. @default stdout, which CloudWatch Logs reads */
  readonly metrics?: (line: string) => void;
  /** Brings retried messages back after a backoff (retry-backoff.ts) instead of the visibility timeout. */
  readonly retries?: RetryScheduler;
}

/**
 * The shadow function: consumes mirrored requests, writes captures, runs shadow models and
 * records comparisons (processShadowBatch). Each message settles on its own, and
 * @middy/sqs-partial-batch-failure turns the rejected ones into batchItemFailures, so SQS
 * retries only those.
 */
export function createShadowHandler(deps: ShadowHandlerDeps) {
  const metrics = deps.metrics ?? ((line: string) => console.log(line));
  const { logger, log } = deps.logging ?? functionLogger('understudy-shadow');
  const batchDeps: ShadowBatchDeps = { ...deps, log };
  return middy<SQSEvent, PromiseSettledResult<void>[]>()
    .use(injectLambdaContext(logger))
    .use(
      // The batch already logged every retried event with its id; the middleware's own log
      // would print the whole record, body included.
      sqsPartialBatchFailure({ logger: undefined }),
    )
    .handler(async (event) => {
      const started = performance.now();
      const { retry, tally } = await processShadowBatch(
        event.Records.map((record) => ({ messageId: record.messageId, body: record.body })),
        batchDeps,
      );
      const fields = {
        messages: event.Records.length,
        ...tally,
        ms: Math.round(performance.now() - started),
      };
      if (retry.length > 0) log.warn('mirror batch processed; some messages retried', fields);
      else log.info('mirror batch processed', fields);
      metrics(mirrorBatchEmfLine(tally, Date.now()));
      const retried = new Set(retry);
      if (deps.retries && retried.size > 0) {
        const messages = event.Records.filter((record) => retried.has(record.messageId)).map((record) => ({
          receiptHandle: record.receiptHandle,
          delaySeconds: retryDelaySeconds(Number(record.attributes.ApproximateReceiveCount)),
        }));
        const unscheduled = await deps.retries.schedule(messages);
        // Not a loss: those come back after the queue's visibility timeout instead.
        if (unscheduled > 0) log.warn('retry backoff not set; visibility timeout applies', { unscheduled });
      }
      return event.Records.map(
        (record): PromiseSettledResult<void> =>
          retried.has(record.messageId)
            ? { status: 'rejected', reason: new Error('part of its work failed or was deferred') }
            : { status: 'fulfilled', value: undefined },
      );
    });
}
