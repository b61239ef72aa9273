import { z } from 'zod';
import type { RuntimeCapture, RuntimeShadow, RuntimeVariant } from '../kernel/records.js';
import type { ComparisonConfig } from '../shadow-tests/index.js';

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

export interface MirrorSendOptions {
  /** Ends the send early (the request path's time budget); the send then rejects. */
  readonly abortSignal?: AbortSignal;
}

/** Port: delivers mirror messages (SQS in production). */
export interface MirrorQueue {
  send(message: MirrorMessage, options?: MirrorSendOptions): Promise<void>;
}

export interface MirrorPlan {
  readonly capture?: RuntimeCapture;
  readonly shadows: readonly RuntimeShadow[];
}

/**
 * Decides, for one answered request, whether it is captured and which shadows get a copy.
 * Each decision is an independent draw against its sampling percentage. Shadows mirror only
 * their source variant's traffic and stop at their schedule's end.
 */
export function planMirror(
  capture: RuntimeCapture | undefined,
  shadows: readonly RuntimeShadow[] | undefined,
  servedBy: RuntimeVariant,
  nowEpochSeconds: number,
  random: () => number,
): MirrorPlan | undefined {
  const captured = capture?.enabled && random() * 100 < capture.samplingPercentage ? capture : undefined;
  const mirrored = (shadows ?? []).filter(
    (s) =>
      s.sourceVariant === servedBy.VariantName &&
      (s.endsAt === undefined || nowEpochSeconds < s.endsAt) &&
      random() * 100 < s.samplingPercentage,
  );
  if (!captured && mirrored.length === 0) return undefined;
  return { capture: captured, shadows: mirrored };
}

export interface AnsweredRequest {
  readonly eventId: string;
  readonly inferenceId?: string;
  readonly inferenceTime: Date;
  readonly endpointName: string;
  readonly variantName: string;
  readonly endpointConfigName?: string;
  readonly requestBody: Uint8Array;
  readonly requestContentType?: string;
  readonly responseBody: string;
  readonly responseContentType: string;
  /** The per-row predictions the answer's body encodes. */
  readonly predictions: readonly unknown[];
  readonly modelLatencyUs: number;
}

export function buildMirrorMessage(answer: AnsweredRequest, plan: MirrorPlan): MirrorMessage {
  return {
    v: 1,
    eventId: answer.eventId,
    inferenceId: answer.inferenceId,
    inferenceTime: answer.inferenceTime.toISOString(),
    endpointName: answer.endpointName,
    variantName: answer.variantName,
    endpointConfigName: answer.endpointConfigName,
    request: {
      contentType: answer.requestContentType,
      body: Buffer.from(answer.requestBody).toString('base64'),
    },
    response: {
      contentType: answer.responseContentType,
      body: Buffer.from(answer.responseBody, 'utf8').toString('base64'),
      modelLatencyUs: answer.modelLatencyUs,
      predictions: [...answer.predictions],
    },
    capture: plan.capture && {
      destination: plan.capture.destination,
      captureInput: plan.capture.captureInput,
      captureOutput: plan.capture.captureOutput,
      kmsKeyId: plan.capture.kmsKeyId,
      csvContentTypes: [...plan.capture.csvContentTypes],
      jsonContentTypes: [...plan.capture.jsonContentTypes],
    },
    shadows: plan.shadows.map((s) => ({
      VariantName: s.VariantName,
      ModelName: s.ModelName,
      artifact: s.artifact,
      destination: s.destination,
      experimentName: s.experimentName,
      comparison: s.comparison,
      csvContentTypes: [...s.csvContentTypes],
      jsonContentTypes: [...s.jsonContentTypes],
    })),
  };
}
