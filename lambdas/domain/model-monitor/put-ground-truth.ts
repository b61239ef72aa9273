/**
 * Understudy.PutGroundTruth: labels for captured inferences, written as SageMaker's
 * ground-truth files so a model-quality job (Understudy's or SageMaker's) reads them unchanged.
 * Here rather than in model-quality/ because it looks the endpoint up (hosting), which the
 * metrics must not depend on.
 */
import { z } from 'zod';
import { authorizeEndpoint } from '../auth/roles.js';
import { newEventId } from '../data-capture/capture-record.js';
import { getEndpoint } from '../hosting/endpoints.js';
import { parseS3Uri } from '../kernel/artifact.js';
import type { ControlContext } from '../kernel/context.js';
import { ValidationException } from '../kernel/errors.js';
import { EndpointName } from '../kernel/names.js';
import { COLLECTIONS } from '../kernel/records.js';
import { groundTruthKey, groundTruthRecord, labelFor } from '../model-quality/ground-truth.js';
import type { ModelQualityJobDefinitionRecord } from './records.js';

/** Records per request: one file per request, a few MB at most. */
export const MAX_GROUND_TRUTH_RECORDS = 10_000;

const Id = z.string().min(1).max(256);
const LabelValue = z.union([z.number().finite(), z.string().min(1).max(1024), z.boolean()], {
  error: 'Label must be a number, a string or a boolean.',
});

export const putGroundTruthInput = z.strictObject({
  EndpointName,
  /** Where the files go (`s3://bucket/prefix`); default `s3://{capture bucket}/ground-truth`. */
  GroundTruthS3Uri: z
    .string()
    .max(1024)
    .regex(/^s3:\/\/[^/]+/, 'Member must satisfy regular expression pattern: s3://bucket[/prefix]')
    .optional(),
  Records: z
    .array(
      z
        .strictObject({ InferenceId: Id.optional(), EventId: Id.optional(), Label: LabelValue })
        .refine((r) => (r.InferenceId === undefined) !== (r.EventId === undefined), {
          message: 'Each record names exactly one of InferenceId and EventId.',
        }),
    )
    .min(1)
    .max(MAX_GROUND_TRUTH_RECORDS),
});

export async function putGroundTruth(ctx: ControlContext, input: z.infer<typeof putGroundTruthInput>) {
  if (!ctx.objects)
    throw new ValidationException('This deployment cannot write ground truth (no object store).');
  authorizeEndpoint(ctx.caller, 'PutGroundTruth', input.EndpointName);
  const endpoint = await getEndpoint(ctx, input.EndpointName);
  const kinds = new Set(input.Records.map((r) => typeof r.Label));
  if (kinds.size > 1) {
    throw new ValidationException(
      `The labels of one request must all be numbers, all strings or all booleans; got ${[...kinds].sort().join(' and ')}.`,
    );
  }
  await checkLabelTypes(ctx, input);
  const destination = input.GroundTruthS3Uri ?? defaultDestination(endpoint.internal.capture?.destination);
  if (!destination) {
    throw new ValidationException(
      `Endpoint ${input.EndpointName} captures no data: give GroundTruthS3Uri to say where its labels go.`,
    );
  }
  const parsed = parseS3Uri(`${destination.replace(/\/+$/, '')}/x`) as { bucket: string; key: string };
  const prefix = parsed.key.slice(0, -1);
  const key = groundTruthKey(prefix, input.EndpointName, ctx.now(), newEventId());
  const body = input.Records.map(
    (r) => `${JSON.stringify(groundTruthRecord((r.InferenceId ?? r.EventId) as string, r.Label))}\n`,
  ).join('');
  const uri = `s3://${parsed.bucket}/${key}`;
  await ctx.objects.putText(uri, body, 'application/jsonlines');
  return { GroundTruthS3Uri: uri, RecordCount: input.Records.length };
}

function defaultDestination(captureDestination: string | undefined): string | undefined {
  const bucket = captureDestination ? parseS3Uri(`${captureDestination}/x`)?.bucket : undefined;
  return bucket ? `s3://${bucket}/ground-truth` : undefined;
}

/**
 * Labels the endpoint's model-quality job definitions could not read are refused before
 * anything is written (`"maybe"` for BinaryClassification, a string for Regression), naming the
 * record and the definition: a mislabelled stream is stopped at the door rather than found
 * out of the metrics hours later.
 */
async function checkLabelTypes(
  ctx: ControlContext,
  input: z.infer<typeof putGroundTruthInput>,
): Promise<void> {
  const definitions = (
    await ctx.store.list<ModelQualityJobDefinitionRecord>(COLLECTIONS.modelQualityJobDefinition)
  ).filter((d) => d.ModelQualityJobInput.EndpointInput?.EndpointName === input.EndpointName);
  for (const definition of definitions) {
    const problemType = definition.ModelQualityAppSpecification.ProblemType;
    if (!problemType) continue;
    input.Records.forEach((r, i) => {
      const id = (r.InferenceId ?? r.EventId) as string;
      try {
        labelFor(problemType, r.Label, id);
      } catch (error) {
        if (!(error instanceof ValidationException)) throw error;
        throw new ValidationException(
          `Records[${i}]: ${error.message} (model quality job definition ${definition.JobDefinitionName} monitors endpoint ${input.EndpointName} as ${problemType}). Nothing was written.`,
        );
      }
    });
  }
}
