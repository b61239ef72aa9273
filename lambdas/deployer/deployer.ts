import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type DeployerContext, runDeploymentStep } from '../domain/deployments/engine.js';
import type { StepMessage } from '../domain/kernel/ports.js';

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

/**
 * The deployer: consumes step messages from the deployments queue and moves each rollout
 * on (bake, shift, complete or roll back). Messages are handled one by one; a failure is
 * reported for that message only, so SQS delivers it again (and, after the queue's
 * maxReceiveCount, moves it to the dead-letter queue).
 */
export function createDeployerHandler(ctx: DeployerContext) {
  return middy<SQSEvent, SQSBatchResponse>().handler(async (event) => {
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records) {
      const step = parseStep(record.body);
      if (!step) {
        console.error(
          JSON.stringify({ level: 'error', msg: 'not a step message; dropped', messageId: record.messageId }),
        );
        continue;
      }
      try {
        const outcome = await runDeploymentStep(ctx, step);
        console.log(JSON.stringify({ level: 'info', msg: 'deployment step', ...step, outcome }));
      } catch (error) {
        console.error(
          JSON.stringify({
            level: 'error',
            msg: 'deployment step failed',
            ...step,
            error: (error as Error).message,
          }),
        );
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures };
  });
}
