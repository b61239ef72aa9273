import { DEFAULT_CONTENT_TYPE_RULES, newEventId } from '../data-capture/capture-record.js';
import { type RedactionKey, redactRequestBody } from '../data-capture/redaction.js';
import type { InvokeAnswer } from '../inference/invoke-endpoint.js';
import type { Log } from '../kernel/log.js';
// comparison-rule.ts itself, not the capability's index: the data plane loads no statistics.
import { comparableRows, inferModelTask } from '../shadow-tests/comparison-rule.js';
import { buildMirrorMessage, type MirrorMessage, type MirrorQueue, planMirror } from './mirror.js';
import { type MirrorDelivery, sendWithinBudget } from './mirror-delivery.js';
import type { MirrorDropCounter } from './mirror-drops.js';

export interface MirrorAnswerDeps {
  readonly queue: MirrorQueue;
  /** How long the request path waits on the mirror, retry included. */
  readonly budgetMs: number;
  /** Where dropped copies are counted durably (the registry); absent, only logs and metrics count them. */
  readonly drops?: MirrorDropCounter;
  readonly log: Log;
  readonly random: () => number;
  /** The HMAC key for hashed fields; without one, a redacted endpoint's copies are withheld (dropped). */
  readonly redactionKey?: RedactionKey;
}

/** What of the request itself the copy carries. */
export interface MirroredRequest {
  readonly inferenceId?: string;
  readonly body: Uint8Array;
  readonly contentType?: string;
}

/**
 * After an answer: decides whether the request is captured and which shadows get a copy,
 * and sends the one message that carries it — the one network call capture and shadowing
 * add to the request path, bounded by its own budget (far below the function's timeout).
 * Whatever the queue does, the answer goes out; a copy not known to be queued is counted as
 * dropped. Returns undefined when the request was not sampled.
 */
export async function mirrorAnswer(
  deps: MirrorAnswerDeps,
  answer: InvokeAnswer,
  request: MirroredRequest,
): Promise<{ readonly dropped: boolean; readonly captured: boolean } | undefined> {
  const plan = planMirror(
    answer.endpoint.internal.capture,
    answer.endpoint.internal.shadows,
    answer.variant,
    answer.answeredAt.getTime() / 1000,
    deps.random,
  );
  if (!plan) return undefined;
  const redacted = await redactedBody(deps, answer, request);
  const task = inferModelTask(answer.declaredOutputs);
  const message = buildMirrorMessage(
    {
      eventId: newEventId(),
      inferenceId: request.inferenceId,
      inferenceTime: answer.answeredAt,
      endpointName: answer.endpoint.EndpointName,
      variantName: answer.variant.VariantName,
      endpointConfigName: answer.endpointConfigName,
      requestBody: 'body' in redacted ? redacted.body : new Uint8Array(),
      requestContentType: request.contentType,
      responseBody: answer.body,
      responseContentType: answer.responseType,
      predictions: comparableRows(task, answer.outputs),
      task,
      modelLatencyUs: answer.modelLatencyUs,
    },
    plan,
  );
  if ('withheld' in redacted) {
    // Never sent, so never queued: counted as a drop like any other copy that is not.
    await countDrop(deps, message, { delivered: false, attempts: 0, reason: redacted.withheld });
    return { dropped: true, captured: message.capture !== undefined };
  }
  const delivery = await sendWithinBudget(deps.queue, message, deps.budgetMs);
  if (!delivery.delivered) await countDrop(deps, message, delivery);
  else if (delivery.retriedAfter !== undefined) {
    // Delivered, but the first attempt may have been too (it failed on the way back): the
    // consumer drops a second copy by its event id; this line says where one came from.
    deps.log.warn('mirror message sent on the retry', {
      eventId: message.eventId,
      endpoint: message.endpointName,
      firstAttempt: delivery.retriedAfter,
    });
  }
  return { dropped: !delivery.delivered, captured: message.capture !== undefined };
}

/**
 * The request body the copy may carry: as sent, or redacted when the endpoint's config says so.
 * Redaction happens here, before the message exists, because the message is what the capture
 * files, the shadow captures, a spilled body and a dead letter are all made from. When it
 * cannot be done (no key, or the key cannot be read) the copy is withheld — counted and logged
 * as a drop, never sent unredacted. The model has already answered from the real body.
 */
async function redactedBody(
  deps: MirrorAnswerDeps,
  answer: InvokeAnswer,
  request: MirroredRequest,
): Promise<{ readonly body: Uint8Array } | { readonly withheld: string }> {
  const redaction = answer.endpoint.internal.redaction;
  if (!redaction) return { body: request.body };
  if (!deps.redactionKey)
    return { withheld: 'redaction is configured but this function has no redaction key' };
  const rules = answer.endpoint.internal.capture ?? DEFAULT_CONTENT_TYPE_RULES;
  try {
    return {
      body: await redactRequestBody(request.body, request.contentType, rules, redaction, deps.redactionKey),
    };
  } catch (error) {
    // Only the message goes on: the key and the body never reach the log.
    return { withheld: `the request could not be redacted: ${(error as Error).message}` };
  }
}

/**
 * A dropped copy is never silently lost: it is logged with its event id, counted in the
 * invocation's EMF line (by the caller), and counted in the registry, where DescribeEndpoint
 * and DescribeShadowReport show it. The registry write has its own short budget; if it fails,
 * that is logged too, and the metric still counts the drop.
 */
async function countDrop(
  deps: MirrorAnswerDeps,
  message: MirrorMessage,
  delivery: Extract<MirrorDelivery, { delivered: false }>,
): Promise<void> {
  const about = {
    eventId: message.eventId,
    endpoint: message.endpointName,
    variant: message.variantName,
    capture: message.capture !== undefined,
    shadows: message.shadows.map((s) => s.VariantName),
  };
  deps.log.error(
    'mirror message dropped: the capture/shadow copy of this request is not known to be queued',
    {
      ...about,
      attempts: delivery.attempts,
      error: delivery.reason,
    },
  );
  await deps.drops?.count(message).catch((error: unknown) => {
    deps.log.error('mirror drop not counted in the registry (the MirrorsDropped metric still counts it)', {
      ...about,
      error: (error as Error).message,
    });
  });
}
