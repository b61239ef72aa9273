import { z } from 'zod';
import type { UnderstudyOperation } from '../kernel/understudy-operation.js';
import * as deployments from './operations.js';

/** SageMaker's EndpointName shape: 63 characters, letters, digits and inner hyphens. */
const EndpointName = z
  .string()
  .max(63)
  .regex(
    /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/,
    'Member must satisfy regular expression pattern: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}',
  );

const rollbackEndpoint = z.strictObject({ EndpointName });

const listDeploymentHistory = z.strictObject({
  EndpointName,
  SortOrder: z.enum(['Ascending', 'Descending']).optional(),
  MaxResults: z.int().min(1).max(100).optional(),
  NextToken: z.string().max(8192).optional(),
});

/**
 * Understudy's deployment operations (`X-Amz-Target: Understudy.<Operation>`):
 * - `RollbackEndpoint {EndpointName}`: back to the previous endpoint config in one call (or
 *   stop a rollout in progress), recorded in the history;
 * - `ListDeploymentHistory {EndpointName, SortOrder?, MaxResults?, NextToken?}`: weights
 *   updates, rollouts (with their steps) and rollbacks, newest first.
 */
export const DEPLOYMENT_OPERATIONS = {
  RollbackEndpoint: {
    input: rollbackEndpoint,
    run: (ctx, input) => deployments.rollbackEndpoint(ctx, input),
  } satisfies UnderstudyOperation<typeof rollbackEndpoint>,
  ListDeploymentHistory: {
    input: listDeploymentHistory,
    run: (ctx, input) => deployments.listDeploymentHistory(ctx, input),
  } satisfies UnderstudyOperation<typeof listDeploymentHistory>,
};
