import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { runTrainingJob, type TrainingRunDeps } from '../domain/training/training-jobs.js';
import { type FunctionLogging, functionLogger } from '../shared/logger.js';

export interface TrainingHandlerDeps extends Omit<TrainingRunDeps, 'log'> {
  /** @default functionLogger('understudy-training') */
  readonly logging?: FunctionLogging;
}

function jobName(body: string): string | undefined {
  try {
    const value = JSON.parse(body) as Record<string, unknown>;
    if (value.kind === 'TrainingJob' && typeof value.TrainingJobName === 'string')
      return value.TrainingJobName;
  } catch {
    // fall through
  }
  return undefined;
}

/**
 * The training function consumes the training queue, one job per batch (a job can take the
 * whole 15 minutes): runTrainingJob settles the job itself (Completed, Failed or Stopped), so
 * only an error it could not record is reported in `batchItemFailures`, for SQS to deliver again.
 */
export function createTrainingHandler(deps: TrainingHandlerDeps) {
  const { logging, ...run } = deps;
  const { logger, log } = logging ?? functionLogger('understudy-training');
  return middy<SQSEvent, SQSBatchResponse>()
    .use(injectLambdaContext(logger))
    .handler(async (event) => {
      const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
      for (const record of event.Records) {
        const name = jobName(record.body);
        if (!name) {
          log.error('not a training job message; dropped', { messageId: record.messageId });
          continue;
        }
        try {
          const outcome = await runTrainingJob({ ...run, log }, name);
          log.info('training job', { TrainingJobName: name, outcome });
        } catch (error) {
          log.error('training job failed', { TrainingJobName: name, error: (error as Error).message });
          batchItemFailures.push({ itemIdentifier: record.messageId });
        }
      }
      return { batchItemFailures };
    });
}
