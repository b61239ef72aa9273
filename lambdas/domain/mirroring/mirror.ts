import type { RuntimeCapture, RuntimeShadow, RuntimeVariant } from '../kernel/records.js';
import type { ModelTask } from '../shadow-tests/index.js';
import type { MirrorMessage } from './mirror-schema.js';

export type { MirrorMessage };

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
  /** Per-row predictions as the comparison reads them (comparableRows). */
  readonly predictions: readonly unknown[];
  readonly task?: ModelTask;
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
      ...(answer.task && { task: answer.task }),
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
      kmsKeyId: s.kmsKeyId,
      experimentName: s.experimentName,
      comparison: s.comparison,
      csvContentTypes: [...s.csvContentTypes],
      jsonContentTypes: [...s.jsonContentTypes],
    })),
  };
}
