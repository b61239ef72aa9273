import type { z } from 'zod';
import { DEPLOYMENT_OPERATIONS } from '../domain/deployments/understudy-operations.js';
import type { ControlContext } from '../domain/kernel/context.js';
import { MONITORING_OPERATIONS } from '../domain/model-monitor/understudy-operations.js';
import { SHADOW_OPERATIONS } from '../domain/shadow-tests/understudy-operations.js';

/**
 * Understudy's own operations (`X-Amz-Target: Understudy.<Operation>`), for what SageMaker's
 * API has no word for. Each declares a zod schema for its input; SageMaker operations are
 * validated against the service model instead.
 */
export interface UnderstudyOperation<S extends z.ZodType = z.ZodType> {
  readonly input: S;
  run(ctx: ControlContext, input: z.infer<S>): Promise<unknown>;
}

export function operation<S extends z.ZodType>(
  input: S,
  run: (ctx: ControlContext, input: z.infer<S>) => Promise<unknown>,
): UnderstudyOperation<S> {
  return { input, run };
}

/** Registered by name without the `Understudy.` prefix. */
export const UNDERSTUDY_OPERATIONS: Record<string, UnderstudyOperation> = {
  ...DEPLOYMENT_OPERATIONS,
  ...SHADOW_OPERATIONS,
  ...MONITORING_OPERATIONS,
};
