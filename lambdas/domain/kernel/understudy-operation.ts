import type { z } from 'zod';
import type { ControlContext } from './context.js';

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
