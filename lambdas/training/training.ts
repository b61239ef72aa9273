import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { COLLECTIONS } from '../domain/kernel/records.js';
import { recordTrainingJobLineage } from '../domain/lineage/automatic.js';
import {
  runTrainingJob,
  type TrainingJobRecord,
  type TrainingRunDeps,
} from '../domain/training/training-jobs.js';
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
 * A completed job's lineage (lineage/automatic.ts) is recorded after the run, as the control
 * plane records a package's after CreateModelPackage; a delivery again records it again
 * (create-if-absent), so a failure there is reported for SQS to retry too.
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
          const job = (await run.store.get<TrainingJobRecord>(COLLECTIONS.trainingJob, name))?.data;
          if (job?.TrainingJobStatus === 'Completed')
            await recordTrainingJobLineage(run.registrar(job), name);
        } catch (error) {
          log.error('training job failed', { TrainingJobName: name, error: (error as Error).message });
          batchItemFailures.push({ itemIdentifier: record.messageId });
        }
      }
      return { batchItemFailures };
    });
}
