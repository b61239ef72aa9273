import { z } from 'zod';
import type { UnderstudyOperation } from '../kernel/understudy-operation.js';
import { describeModelEvaluation } from './model-evaluation.js';

const describeModelEvaluationInput = z
  .strictObject({
    ModelPackageArn: z
      .string()
      .max(2048)
      .regex(/^arn:aws[a-z-]*:sagemaker:[a-z0-9-]{9,16}:[0-9]{12}:model-package\/[a-z0-9-]{1,63}\/\d+$/, {
        message: 'must be a versioned model package ARN',
      })
      .optional(),
    EndpointName: z
      .string()
      .max(63)
      .regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/)
      .optional(),
    /** The shadow comparison's window, epoch seconds (default: the 24 hours before now). */
    ShadowWindowStart: z.number().nonnegative().optional(),
    ShadowWindowEnd: z.number().nonnegative().optional(),
    /** The most recent monitoring windows shown per endpoint (default 100). */
    MaxWindows: z.int().min(1).max(1000).optional(),
  })
  .refine((i) => (i.ModelPackageArn === undefined) !== (i.EndpointName === undefined), {
    message: 'give ModelPackageArn or EndpointName, one of them',
  });

/**
 * Understudy's evaluation operations (`X-Amz-Target: Understudy.<Operation>`):
 * - `DescribeModelEvaluation {ModelPackageArn} | {EndpointName}`: a package version's offline
 *   metrics (its ValidationSpecification's evaluation) next to its online metrics per endpoint
 *   and monitoring window, with intervals, labelled counts and a flag when online is
 *   significantly worse; and its shadows against it on the same labelled events, paired.
 */
export const EVALUATION_OPERATIONS = {
  DescribeModelEvaluation: {
    input: describeModelEvaluationInput,
    run: (ctx, input) => describeModelEvaluation(ctx, input),
  } satisfies UnderstudyOperation<typeof describeModelEvaluationInput>,
};
