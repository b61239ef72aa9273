import { findCaptures } from '../data-capture/capture-index.js';
import { type DeploymentRecord, type ServingShare, servingAt } from '../deployments/history.js';
import type { ControlContext } from '../kernel/context.js';
import { ResourceNotFound, ValidationException } from '../kernel/errors.js';
import { COLLECTIONS } from '../kernel/records.js';
import { getModelPackage, type PackageRecord } from '../model-registry/model-packages.js';
import { ENTITY_TYPES, packageArtifactArn } from './automatic.js';
import { artifactArn, findVertex } from './graph.js';
import { queryLineage } from './query.js';

export interface TraceInferenceInput {
  EndpointName: string;
  EventId?: string;
  InferenceId?: string;
}

/**
 * `Understudy.TraceInference`: from one captured prediction to what made it. The capture
 * index gives the capture object, the variant that answered and its endpoint config; the
 * deployment history at the inference time gives the model, the package version and its
 * approval status when it was deployed (the history keeps them even after the config or the
 * model is deleted); the package gives the artifact's recorded sha256 and its approval now;
 * the lineage upstream of the package gives the training data. Reads: one get (EventId) or
 * one key-prefix query (InferenceId), one history query, the package, and QueryLineage's hops.
 */
export async function traceInference(ctx: ControlContext, input: TraceInferenceInput) {
  const captures = await findCaptures(ctx.store, input.EndpointName, {
    eventId: input.EventId,
    inferenceId: input.InferenceId,
  });
  const which = input.EventId !== undefined ? `EventId ${input.EventId}` : `InferenceId ${input.InferenceId}`;
  if (captures.length === 0) {
    throw new ResourceNotFound(`No captured inference of endpoint ${input.EndpointName} has ${which}.`);
  }
  if (captures.length > 1) {
    throw new ValidationException(
      `${captures.length} captured inferences of endpoint ${input.EndpointName} have ${which} (inference ids are the caller's): trace one by EventId, one of ${captures
        .map((c) => c.eventId)
        .join(', ')}.`,
    );
  }
  const capture = captures[0] as (typeof captures)[number];
  const at = Date.parse(capture.inferenceTime) / 1000;
  const history = await ctx.store.list<DeploymentRecord>(
    COLLECTIONS.deploymentHistory,
    `${input.EndpointName}#`,
  );
  const { deployment, variants } = servingAt(history, at);
  // The config the answer came from is in the capture (messages sent before it was recorded
  // name only the variant: then the variant of that name serving at the time).
  const served: ServingShare | undefined =
    variants.find(
      (v) =>
        v.VariantName === capture.variantName &&
        (capture.endpointConfigName === undefined || v.EndpointConfigName === capture.endpointConfigName),
    ) ?? variants.find((v) => v.VariantName === capture.variantName);
  const pkg = served?.ModelPackageArn
    ? await getModelPackage(ctx, served.ModelPackageArn).catch(() => undefined)
    : undefined;
  return {
    EndpointName: input.EndpointName,
    EventId: capture.eventId,
    ...(capture.inferenceId === undefined ? {} : { InferenceId: capture.inferenceId }),
    InferenceTime: capture.inferenceTime,
    CaptureS3Uri: capture.captureUri,
    VariantName: capture.variantName,
    EndpointConfigName: capture.endpointConfigName ?? served?.EndpointConfigName,
    ...(served
      ? {
          ModelName: served.ModelName,
          TrafficShare: served.TrafficShare,
          ModelPackageArn: served.ModelPackageArn,
          ModelPackageVersion: served.ModelPackageVersion,
          ModelArtifact: { S3Uri: served.ModelDataUrl, Sha256: served.ModelDataSha256 },
          Approval: approval(served, pkg),
        }
      : {}),
    ...(deployment
      ? {
          Deployment: {
            DeploymentId: deployment.DeploymentId,
            DeploymentType: deployment.DeploymentType,
            StartTime: deployment.StartTime,
            CreatedBy: deployment.CreatedBy,
          },
        }
      : {}),
    Lineage: served ? await upstream(ctx, served) : { TrainingData: [], Upstream: [] },
  };
}

function approval(served: ServingShare, pkg: PackageRecord | undefined) {
  return {
    /** What the history recorded when this version was deployed: only Approved may be. */
    StatusWhenDeployed: served.ModelApprovalStatus,
    ...(pkg
      ? {
          CurrentStatus: pkg.ModelApprovalStatus,
          ApprovalDescription: pkg.ApprovalDescription,
          LastModifiedTime: pkg.LastModifiedTime,
          LastModifiedBy: pkg.LastModifiedBy,
        }
      : {}),
  };
}

/** Everything upstream of the package's artifact (else the model artifact's), and its datasets. */
async function upstream(ctx: ControlContext, served: ServingShare) {
  const candidates = [
    ...(served.ModelPackageArn ? [packageArtifactArn(ctx, served.ModelPackageArn)] : []),
    artifactArn(ctx, served.ModelDataUrl),
  ];
  let start: string | undefined;
  for (const arn of candidates) {
    if (await findVertex(ctx.store, arn)) {
      start = arn;
      break;
    }
  }
  if (!start) return { TrainingData: [], Upstream: [] };
  const { Vertices } = await queryLineage(ctx, {
    StartArns: [start],
    Direction: 'Ascendants',
    IncludeEdges: false,
  });
  const datasets = Vertices.filter((v) => v.Type === ENTITY_TYPES.dataSet);
  const records = await Promise.all(datasets.map((v) => findVertex(ctx.store, v.Arn)));
  return {
    TrainingData: datasets.map((v, i) => ({ ArtifactArn: v.Arn, SourceUri: records[i]?.internal.sourceUri })),
    Upstream: Vertices,
  };
}
