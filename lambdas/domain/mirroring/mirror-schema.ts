import { z } from 'zod';
import { type ComparisonConfig, modelTaskSchema } from '../shadow-tests/index.js';

// The consumer's schemas, apart from mirror.ts: the data plane builds and sends messages but
// never parses one, and zod is most of its bundle, so InvokeEndpoint's cold start skips it.

/**
 * The one SQS message the data plane sends for a request sampled for capture and/or
 * shadowing. It carries everything the shadow Lambda needs (payloads, production answer,
 * where to write, which shadow models to run), so the consumer never reads the registry.
 */
const artifactSchema = z.object({ uri: z.string(), sha256: z.string(), sizeBytes: z.number() });
const contentRules = {
  csvContentTypes: z.array(z.string()),
  jsonContentTypes: z.array(z.string()),
};

export const mirrorMessageSchema = z.object({
  v: z.literal(1),
  eventId: z.string().min(1),
  inferenceId: z.string().optional(),
  inferenceTime: z.string(),
  endpointName: z.string(),
  variantName: z.string(),
  /** The endpoint config of the variant that answered (during a rollout, old or new). */
  endpointConfigName: z.string().optional(),
  request: z.object({ contentType: z.string().optional(), body: z.string() }),
  response: z.object({
    contentType: z.string(),
    body: z.string(),
    modelLatencyUs: z.number(),
    /**
     * Production's per-row predictions as computed, so the consumer compares them without
     * parsing the answer's body again. Optional only for messages sent before it existed.
     */
    predictions: z.array(z.unknown()).optional(),
    /** What production's ONNX outputs make it, which decides how the comparison reads both sides. */
    task: modelTaskSchema.optional(),
  }),
  capture: z
    .object({
      destination: z.string(),
      captureInput: z.boolean(),
      captureOutput: z.boolean(),
      kmsKeyId: z.string().optional(),
      ...contentRules,
    })
    .optional(),
  shadows: z
    .array(
      z.object({
        VariantName: z.string(),
        ModelName: z.string(),
        artifact: artifactSchema,
        destination: z.string().optional(),
        kmsKeyId: z.string().optional(),
        experimentName: z.string().optional(),
        // Validated when the experiment was configured (resolveComparisonConfig).
        comparison: z
          .custom<ComparisonConfig>((value) => typeof value === 'object' && value !== null)
          .optional(),
        ...contentRules,
      }),
    )
    .default([]),
});

export type MirrorMessage = z.infer<typeof mirrorMessageSchema>;

/** A mirror message too large for SQS is stored in S3 and the queue carries this pointer. */
export const spilledMessageSchema = z.object({ v: z.literal(1), eventId: z.string(), spilledTo: z.string() });
