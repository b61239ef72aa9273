/**
 * The offline evaluation as the default model-quality baseline: a model-quality job definition
 * created without `ModelQualityBaselineConfig.ConstraintsResource`, on an endpoint whose
 * production variants all serve one model package evaluated for the same problem type, takes
 * that package's ModelMetrics.ModelQuality.Constraints. The definition records the URI it got
 * (DescribeModelQualityJobDefinition shows it), so what each execution checks is stated, and a
 * later change of the endpoint's model does not silently change the definition's constraints.
 *
 * It composes model-monitor's CreateModelQualityJobDefinition from above, as lineage composes
 * the registry's operations, so the monitor needs to know nothing of packages.
 */

import { getEndpoint } from '../hosting/endpoints.js';
import { getModel } from '../hosting/models.js';
import type { ControlContext } from '../kernel/context.js';
import { createModelQualityJobDefinition } from '../model-monitor/model-quality-job-definitions.js';
import { getModelPackage, type PackageRecord } from '../model-registry/model-packages.js';
import { evaluationSpec } from './evaluation-dataset.js';

type CreateInput = Parameters<typeof createModelQualityJobDefinition>[1];

/** The package every production variant of the endpoint serves, if they all serve one. */
export async function servingPackage(
  ctx: ControlContext,
  endpointName: string,
): Promise<PackageRecord | undefined> {
  const endpoint = await getEndpoint(ctx, endpointName);
  const arns = new Set<string | undefined>();
  for (const variant of endpoint.internal.variants) {
    arns.add((await getModel(ctx, variant.ModelName)).internal.modelPackageArn);
  }
  const [only] = [...arns];
  if (arns.size !== 1 || only === undefined) return undefined;
  return getModelPackage(ctx, only).catch(() => undefined);
}

/** The problem type a package was evaluated for offline, and its constraints file. */
export function offlineEvaluationOf(
  pkg: PackageRecord,
): { problemType: string; statisticsUri: string; constraintsUri: string } | undefined {
  const quality = (
    pkg.ModelMetrics as
      | { ModelQuality?: { Statistics?: { S3Uri?: string }; Constraints?: { S3Uri?: string } } }
      | undefined
  )?.ModelQuality;
  if (pkg.ValidationSpecification === undefined || !quality?.Statistics?.S3Uri || !quality.Constraints?.S3Uri)
    return undefined;
  return {
    problemType: evaluationSpec(pkg.ValidationSpecification).problemType,
    statisticsUri: quality.Statistics.S3Uri,
    constraintsUri: quality.Constraints.S3Uri,
  };
}

export async function createModelQualityJobDefinitionWithPackageBaseline(
  ctx: ControlContext,
  input: CreateInput,
) {
  const endpointName = input.ModelQualityJobInput?.EndpointInput?.EndpointName;
  if (input.ModelQualityBaselineConfig?.ConstraintsResource?.S3Uri !== undefined || !endpointName) {
    return createModelQualityJobDefinition(ctx, input);
  }
  // An unknown endpoint is the monitor's to refuse, with its own message.
  const pkg = await servingPackage(ctx, endpointName).catch(() => undefined);
  const offline = pkg && offlineEvaluationOf(pkg);
  if (!offline || offline.problemType !== input.ModelQualityAppSpecification?.ProblemType) {
    return createModelQualityJobDefinition(ctx, input);
  }
  return createModelQualityJobDefinition(ctx, {
    ...input,
    ModelQualityBaselineConfig: {
      ...input.ModelQualityBaselineConfig,
      ConstraintsResource: { S3Uri: offline.constraintsUri },
    },
  });
}
