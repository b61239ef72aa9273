import { z } from 'zod';
import { type ComparisonAggregate, ComparisonError, resolveComparisonConfig } from './aggregate.js';
import type { SketchData } from './sketch.js';

/** A stored aggregate that does not have the expected shape. */
export class InvalidAggregateError extends ComparisonError {
  override readonly name = 'InvalidAggregateError';
}

const count = z.number().int().nonnegative();
const finite = z.number().refine(Number.isFinite, 'must be finite');
/** `[firstKey, ...counts]`, negative entries being runs of empty bins (see sketch.ts). */
const bins = z
  .array(z.number().int())
  .min(2)
  .refine((b) => b.slice(1).every((c) => c !== 0), 'bin runs hold no zero entries');

const sketch: z.ZodType<SketchData> = z.object({
  count,
  sum: finite,
  min: finite.nullable(),
  max: finite.nullable(),
  zeros: count,
  positive: bins.optional(),
  negative: bins.optional(),
});

const tally = z.object({ rows: count, agreed: count, failed: count, diffCount: count, diffSum: finite });

const kind = z.enum(['classification', 'regression']);
const model = z.object({ kind, outputs: z.string() });

const aggregateSchema = z.object({
  version: z.literal(1),
  config: z.object({
    kind,
    rule: z
      .object({
        source: z.enum(['ConfigureShadowComparison', 'ModelOutputs', 'Predictions']),
        inferredFrom: z.string(),
        production: model.optional(),
        shadow: model.optional(),
      })
      .optional(),
    absoluteTolerance: finite,
    relativeTolerance: finite,
    relativeAccuracy: finite,
    segment: z.object({ feature: z.string(), column: count, edges: z.array(finite).optional() }).optional(),
  }),
  requestsMirrored: count,
  requestsCompared: count,
  productionErrors: count,
  shadowErrors: z.object({ ModelError: count, Timeout: count, MissingModel: count, InvalidOutput: count }),
  rowsCompared: count,
  rowsAgreed: count,
  rowsShadowFailed: count,
  difference: sketch,
  labels: z
    .object({ counts: z.array(z.tuple([z.string(), count, count])), other: z.tuple([count, count]) })
    .optional(),
  values: z.object({ production: sketch, shadow: sketch }).optional(),
  latencyMs: z.object({ production: sketch, shadow: sketch }),
  segments: z.object({ tallies: z.array(tally.extend({ value: z.string() })), other: tally }).optional(),
});

/**
 * Reads a stored aggregate (the parsed JSON of what `JSON.stringify(aggregate)` wrote),
 * checking its shape and configuration; throws InvalidAggregateError otherwise.
 */
export function parseAggregate(json: unknown): ComparisonAggregate {
  const parsed = aggregateSchema.safeParse(json);
  if (!parsed.success) {
    throw new InvalidAggregateError(`Not a comparison aggregate: ${z.prettifyError(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  const aggregate = parsed.data;
  try {
    resolveComparisonConfig(aggregate.config);
  } catch (error) {
    throw new InvalidAggregateError(`Invalid comparison configuration: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const kindPart = aggregate.config.kind === 'classification' ? aggregate.labels : aggregate.values;
  if (!kindPart || (aggregate.labels && aggregate.values)) {
    throw new InvalidAggregateError(
      `A ${aggregate.config.kind} aggregate must hold exactly its output distribution.`,
    );
  }
  if (Boolean(aggregate.config.segment) !== Boolean(aggregate.segments)) {
    throw new InvalidAggregateError('Segments must be present exactly when a segment feature is configured.');
  }
  return aggregate;
}
