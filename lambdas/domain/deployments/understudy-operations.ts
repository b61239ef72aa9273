import { z } from 'zod';
import { EndpointName } from '../kernel/names.js';
import type { UnderstudyOperation } from '../kernel/understudy-operation.js';
import * as deployments from './operations.js';

const rollbackEndpoint = z.strictObject({ EndpointName });

const listDeploymentHistory = z.strictObject({
  EndpointName,
  SortOrder: z.enum(['Ascending', 'Descending']).optional(),
  MaxResults: z.int().min(1).max(100).optional(),
  NextToken: z.string().max(8192).optional(),
});

const describeEndpointAt = z.strictObject({
  EndpointName,
  /** Epoch seconds, or an ISO 8601 time. */
  At: z.union([
    z.number().nonnegative(),
    z.iso.datetime({ offset: true }).transform((t) => Date.parse(t) / 1000),
  ]),
});

/**
 * Understudy's deployment operations (`X-Amz-Target: Understudy.<Operation>`):
 * - `RollbackEndpoint {EndpointName}`: back to the previous endpoint config in one call (or
 *   stop a rollout in progress), recorded in the history;
 * - `ListDeploymentHistory {EndpointName, SortOrder?, MaxResults?, NextToken?}`: weights
 *   updates, rollouts (with their steps) and rollbacks, newest first.
 * - `DescribeEndpointAt {EndpointName, At}`: which model versions served the endpoint at
 *   `At`, each variant's share of traffic, and the change in force then.
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
  DescribeEndpointAt: {
    input: describeEndpointAt,
    run: (ctx, input) => deployments.describeEndpointAt(ctx, input),
  } satisfies UnderstudyOperation<typeof describeEndpointAt>,
};
