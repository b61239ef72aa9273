import { z } from 'zod';
import { EndpointName } from '../kernel/names.js';
import type { UnderstudyOperation } from '../kernel/understudy-operation.js';
import { traceInference } from './trace.js';

const traceInferenceInput = z
  .strictObject({
    EndpointName,
    EventId: z.string().min(1).max(128).optional(),
    // SageMaker Runtime's InferenceId shape: up to 64 printable characters.
    InferenceId: z.string().min(1).max(64).optional(),
  })
  .refine((input) => (input.EventId === undefined) !== (input.InferenceId === undefined), {
    message: 'give exactly one of EventId and InferenceId',
  });

/**
 * Understudy's lineage operations (`X-Amz-Target: Understudy.<Operation>`):
 * - `TraceInference {EndpointName, EventId | InferenceId}`: the variant, endpoint config,
 *   model package version, artifact digest, approval and training data behind one captured
 *   prediction.
 */
export const LINEAGE_OPERATIONS = {
  TraceInference: {
    input: traceInferenceInput,
    run: (ctx, input) => traceInference(ctx, input),
  } satisfies UnderstudyOperation<typeof traceInferenceInput>,
};
