import type { ControlContext } from '../kernel/context.js';

/**
 * Understudy's events use source `understudy.sagemaker`: EventBridge reserves `aws.*` sources
 * for AWS services, so a rule written for SageMaker changes only its `source`.
 */
export const REGISTRY_EVENT_SOURCE = 'understudy.sagemaker';
export const PACKAGE_STATE_CHANGE = 'SageMaker Model Package State Change';

const TIMESTAMPS = ['CreationTime', 'LastModifiedTime'] as const;

/**
 * Publishes a package's state as SageMaker's "SageMaker Model Package State Change" does: the
 * resource is the package ARN and the detail is its Describe view, timestamps in ISO 8601.
 */
export async function publishPackageState(
  ctx: ControlContext,
  pkg: { ModelPackageArn: string; [field: string]: unknown },
): Promise<void> {
  if (!ctx.events) return;
  const detail: Record<string, unknown> = { ...pkg };
  for (const field of TIMESTAMPS) {
    const value = detail[field];
    if (typeof value === 'number') detail[field] = new Date(value * 1000).toISOString().replace('.000Z', 'Z');
  }
  await ctx.events.publish({
    source: REGISTRY_EVENT_SOURCE,
    detailType: PACKAGE_STATE_CHANGE,
    detail,
    resources: [pkg.ModelPackageArn],
  });
}
