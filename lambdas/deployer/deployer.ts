import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import sqsPartialBatchFailure from '@middy/sqs-partial-batch-failure';
import type { SQSEvent } from 'aws-lambda';
import { type DeployerContext, runDeploymentStep } from '../domain/deployments/engine.js';
import type { StepMessage } from '../domain/kernel/ports.js';
import { type FunctionLogging, functionLogger } from '../shared/logger.js';

function parseStep(body: string): StepMessage | undefined {
  try {
    const value = JSON.parse(body) as Partial<StepMessage>;
    if (
      typeof value.EndpointName === 'string' &&
      typeof value.DeploymentId === 'string' &&
      typeof value.Tick === 'number'
    ) {
      return { EndpointName: value.EndpointName, DeploymentId: value.DeploymentId, Tick: value.Tick };
    }
  } catch {
    // fall through
  }
  return undefined;
}

export interface DeployerHandlerDeps extends DeployerContext {
  /** @default functionLogger('understudy-deployer') */
  readonly logging?: FunctionLogging;
}

/**
 * The deployer: consumes step messages from the deployments queue and moves each rollout
 * on (bake, shift, complete or roll back). Messages are handled one by one and settle on
 * their own; @middy/sqs-partial-batch-failure reports the failed ones, so SQS delivers only
 * those again (and, after the queue's maxReceiveCount, moves them to the dead-letter queue).
 */
export function createDeployerHandler(deps: DeployerHandlerDeps) {
  const { logging, ...ctx } = deps;
  const { logger, log } = logging ?? functionLogger('understudy-deployer');
  return (
    middy<SQSEvent, PromiseSettledResult<void>[]>()
      .use(injectLambdaContext(logger))
      // Each failure is logged below with its step; the middleware's log would print the body.
      .use(sqsPartialBatchFailure({ logger: undefined }))
      .handler(async (event) => {
        const settled: PromiseSettledResult<void>[] = [];
        for (const record of event.Records) {
          const step = parseStep(record.body);
          if (!step) {
            log.error('not a step message; dropped', { messageId: record.messageId });
            settled.push({ status: 'fulfilled', value: undefined });
            continue;
          }
          try {
            const outcome = await runDeploymentStep(ctx, step);
            log.info('deployment step', { ...step, outcome });
            settled.push({ status: 'fulfilled', value: undefined });
          } catch (error) {
            log.error('deployment step failed', { ...step, error: (error as Error).message });
            settled.push({ status: 'rejected', reason: error });
          }
        }
        return settled;
      })
  );
}
