import { z } from 'zod';
import { getEndpoint } from '../hosting/endpoints.js';
import type { ControlContext } from '../kernel/context.js';
import { ValidationException } from '../kernel/errors.js';
import { EndpointName } from '../kernel/names.js';
import { COLLECTIONS } from '../kernel/records.js';
import type { UnderstudyOperation } from '../kernel/understudy-operation.js';
import {
  comparisonIdFor,
  comparisonRecordId,
  mirrorsDropped,
  type StoredComparison,
} from './comparison-recorder.js';
import { emptyAggregate, parseAggregate, summarize } from './index.js';
import { configureShadowComparison, getExperiment } from './inference-experiments.js';

/**
 * These operations have always checked an experiment's name with the EndpointName rule
 * (63 characters), narrower than SageMaker's InferenceExperimentName (120): kept as it is.
 */
const ExperimentName = EndpointName;

const describeShadowReport = z
  .strictObject({
    InferenceExperimentName: ExperimentName.optional(),
    /** Config-level shadows (ShadowProductionVariants) are reported by endpoint. */
    EndpointName: EndpointName.optional(),
    /** Largest mismatch rate still called "no difference". */
    AgreementMargin: z.number().gt(0).lt(1).optional(),
    Alpha: z.number().gt(0).lt(0.5).optional(),
    MinRows: z.int().min(1).optional(),
  })
  .refine((input) => (input.InferenceExperimentName === undefined) !== (input.EndpointName === undefined), {
    message: 'Name exactly one of InferenceExperimentName and EndpointName',
  });

const configureShadowComparisonInput = z.strictObject({
  InferenceExperimentName: ExperimentName,
  TaskKind: z.enum(['classification', 'regression']),
  AbsoluteTolerance: z.number().min(0).optional(),
  RelativeTolerance: z.number().min(0).optional(),
  SegmentFeature: z
    .strictObject({
      Name: z.string().min(1).max(128),
      Column: z.int().min(0),
      Edges: z.array(z.number()).optional(),
    })
    .optional(),
});

async function shadowVariantsOf(ctx: ControlContext, input: z.infer<typeof describeShadowReport>) {
  if (input.InferenceExperimentName) {
    const experiment = await getExperiment(ctx, input.InferenceExperimentName);
    return {
      comparisonId: comparisonIdFor(experiment.EndpointMetadata.EndpointName, experiment.Name),
      header: {
        InferenceExperimentName: experiment.Name,
        EndpointName: experiment.EndpointMetadata.EndpointName,
        Status: experiment.Status,
      },
      variants: experiment.ShadowModeConfig.ShadowModelVariants.map((s) => s.ShadowModelVariantName),
    };
  }
  const endpoint = await getEndpoint(ctx, input.EndpointName ?? '');
  const variants = (endpoint.internal.shadows ?? [])
    .filter((s) => !s.experimentName)
    .map((s) => s.VariantName);
  if (variants.length === 0) {
    throw new ValidationException(`Endpoint ${endpoint.EndpointName} has no shadow production variants.`);
  }
  return {
    comparisonId: comparisonIdFor(endpoint.EndpointName, undefined),
    header: { EndpointName: endpoint.EndpointName },
    variants,
  };
}

/**
 * Understudy's shadow-test operations:
 * - `DescribeShadowReport {InferenceExperimentName | EndpointName, AgreementMargin?, Alpha?, MinRows?}`:
 *   how each shadow predicts compared with production, with a verdict;
 * - `ConfigureShadowComparison {InferenceExperimentName, TaskKind, AbsoluteTolerance?, RelativeTolerance?, SegmentFeature?}`:
 *   how predictions are compared (before the experiment starts).
 */
export const SHADOW_OPERATIONS = {
  DescribeShadowReport: {
    input: describeShadowReport,
    async run(ctx, input) {
      const { comparisonId, header, variants } = await shadowVariantsOf(ctx, input);
      const options = { margin: input.AgreementMargin, alpha: input.Alpha, minRows: input.MinRows };
      const reports = await Promise.all(
        variants.map(async (variant) => {
          const [stored, dropped] = await Promise.all([
            ctx.store.get<StoredComparison>(
              COLLECTIONS.shadowComparison,
              comparisonRecordId(comparisonId, variant),
            ),
            mirrorsDropped(ctx.store, comparisonId, variant),
          ]);
          const aggregate = stored
            ? parseAggregate(stored.data.aggregate)
            : emptyAggregate({ kind: 'regression' });
          return {
            ShadowVariantName: variant,
            ...summarize(aggregate, options),
            // Sampled for this shadow but not known to reach the mirror queue (the request
            // path's budget ran out or the send failed), so missing from RequestsMirrored,
            // unless a send aborted at the deadline had arrived after all.
            MirrorsDropped: dropped,
            ...(stored?.data.reportUri ? { ReportS3Uri: stored.data.reportUri } : {}),
            LastUpdatedTime: stored ? Date.parse(stored.data.updatedAt) / 1000 : undefined,
          };
        }),
      );
      // The first shadow's figures at the top level; every shadow's under ShadowVariants.
      return { ...header, ...reports[0], ShadowVariants: reports };
    },
  } satisfies UnderstudyOperation<typeof describeShadowReport>,
  ConfigureShadowComparison: {
    input: configureShadowComparisonInput,
    run: (ctx, input) =>
      configureShadowComparison(ctx, input.InferenceExperimentName, {
        kind: input.TaskKind,
        absoluteTolerance: input.AbsoluteTolerance,
        relativeTolerance: input.RelativeTolerance,
        segment: input.SegmentFeature && {
          feature: input.SegmentFeature.Name,
          column: input.SegmentFeature.Column,
          edges: input.SegmentFeature.Edges,
        },
      }),
  } satisfies UnderstudyOperation<typeof configureShadowComparisonInput>,
};
