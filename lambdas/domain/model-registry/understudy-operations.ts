import { z } from 'zod';
import type { UnderstudyOperation } from '../kernel/understudy-operation.js';
import { listModelPackageHistory } from './history.js';
import { deleteModelPackage, updateModelPackage } from './model-packages.js';

const ModelPackageArn = z
  .string()
  .max(2048)
  .regex(/^arn:aws[a-z-]*:sagemaker:[a-z0-9-]{9,16}:[0-9]{12}:model-package\/[a-z0-9-]{1,63}\/\d+$/, {
    message:
      'must be a versioned model package ARN (arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>)',
  });
/** Forcing is a decision someone answers for: the reason is required and kept in the history. */
const Reason = z.string().min(1).max(1024);

const listModelPackageHistoryInput = z.strictObject({
  ModelPackageArn,
  SortOrder: z.enum(['Ascending', 'Descending']).optional(),
  MaxResults: z.int().min(1).max(100).optional(),
  NextToken: z.string().max(8192).optional(),
});
const forceRejectInput = z.strictObject({ ModelPackageArn, Reason });
const forceDeleteInput = z.strictObject({ ModelPackageName: ModelPackageArn, Reason });

/**
 * Understudy's registry operations (`X-Amz-Target: Understudy.<Operation>`):
 * - `ListModelPackageHistory {ModelPackageArn, SortOrder?, MaxResults?, NextToken?}`: the
 *   package's audit history (who, when, from, to, why), oldest first; it outlives the package;
 * - `ForceRejectModelPackage {ModelPackageArn, Reason}` and `ForceDeleteModelPackage
 *   {ModelPackageName, Reason}`: reject or delete a package although live endpoints use it
 *   (UpdateModelPackage and DeleteModelPackage refuse that with a ConflictException naming
 *   them); the endpoints and the reason go into the history. Separate operations rather than
 *   a flag on SageMaker's: SDKs send only the members their model names, and an operation of
 *   its own can be granted to fewer roles.
 */
export const REGISTRY_OPERATIONS = {
  ListModelPackageHistory: {
    input: listModelPackageHistoryInput,
    run: (ctx, input) => listModelPackageHistory(ctx, input),
  } satisfies UnderstudyOperation<typeof listModelPackageHistoryInput>,
  ForceRejectModelPackage: {
    input: forceRejectInput,
    run: (ctx, input) =>
      updateModelPackage(
        ctx,
        {
          ModelPackageArn: input.ModelPackageArn,
          ModelApprovalStatus: 'Rejected',
          ApprovalDescription: input.Reason,
        },
        { reason: input.Reason },
      ),
  } satisfies UnderstudyOperation<typeof forceRejectInput>,
  ForceDeleteModelPackage: {
    input: forceDeleteInput,
    run: (ctx, input) =>
      deleteModelPackage(ctx, { ModelPackageName: input.ModelPackageName }, { reason: input.Reason }),
  } satisfies UnderstudyOperation<typeof forceDeleteInput>,
};
