import middy from '@middy/core';
import type { AccessKeyResolver } from '../domain/auth/identity.js';
import { authorize } from '../domain/auth/roles.js';
import { verifySigV4 } from '../domain/auth/sigv4.js';
import { newEventId } from '../domain/data-capture/capture-record.js';
import { routeRequest } from '../domain/deployments/routing.js';
import type { EndpointCache } from '../domain/inference/endpoint-cache.js';
import type { ModelCache } from '../domain/inference/model-cache.js';
import {
  decodeInstances,
  encodePredictions,
  negotiateResponseType,
  predictionsOf,
} from '../domain/inference/payload.js';
import { ArtifactIntegrityError, ArtifactNotFoundError } from '../domain/kernel/artifact.js';
import { ModelError, ModelNotReadyException, ValidationError } from '../domain/kernel/errors.js';
import {
  buildMirrorMessage,
  type MirrorMessage,
  type MirrorQueue,
  planMirror,
} from '../domain/mirroring/mirror.js';
import {
  DEFAULT_MIRROR_BUDGET_MS,
  type MirrorDelivery,
  sendWithinBudget,
} from '../domain/mirroring/mirror-delivery.js';
import type { MirrorDropCounter } from '../domain/mirroring/mirror-drops.js';
import { apiErrors, type HttpEvent, type HttpResult, toHttpRequest } from '../shared/http.js';
import { InvocationMetricsRecorder, type MetricsSink, stdoutMetricsSink } from './invocation-metrics.js';

export interface DataPlaneDeps {
  readonly endpoints: EndpointCache;
  readonly models: ModelCache;
  readonly keys: AccessKeyResolver;
  /** Where sampled requests go for capture and shadowing; absent, nothing is mirrored. */
  readonly mirror?: MirrorQueue;
  /**
   * How long the request path waits on the mirror, retry included, before the copy is counted
   * as dropped and the answer goes out. @default DEFAULT_MIRROR_BUDGET_MS
   */
  readonly mirrorBudgetMs?: number;
  /** Where dropped copies are counted durably (the registry); absent, only logs and metrics count them. */
  readonly drops?: MirrorDropCounter;
  /** Where per-variant metrics (EMF lines) go; stdout, which CloudWatch Logs reads, by default. */
  readonly metrics?: MetricsSink;
  readonly random?: () => number;
  readonly now?: () => Date;
}

const INVOCATIONS_PATH = /^\/endpoints\/([^/]+)\/invocations$/;

/** SageMaker Runtime InvokeEndpoint: verify, route to a variant, validate rows, run, answer. */
export function createInvokeHandler(deps: DataPlaneDeps) {
  const now = deps.now ?? (() => new Date());
  const random = deps.random ?? Math.random;
  const metrics = new InvocationMetricsRecorder(deps.metrics ?? stdoutMetricsSink);
  const mirrorBudgetMs = deps.mirrorBudgetMs ?? DEFAULT_MIRROR_BUDGET_MS;
  return middy<HttpEvent, HttpResult>()
    .use(apiErrors('restJson1'))
    .use(metrics.middleware())
    .handler(async (event) => {
      const request = toHttpRequest(event);
      const caller = await verifySigV4(request, deps.keys, { now: now() });
      authorize(caller, 'InvokeEndpoint');
      const endpointName = endpointNameOf(event, request.path);
      const endpoint = await deps.endpoints.get(endpointName);
      if (!endpoint) {
        throw new ValidationError(`Endpoint ${endpointName} of account ${request.accountId} not found.`);
      }
      if (endpoint.EndpointStatus === 'Creating') {
        throw new ModelNotReadyException(`Endpoint ${endpointName} is still being created; retry shortly.`);
      }
      if (endpoint.EndpointStatus === 'Failed') {
        throw new ValidationError(
          `Endpoint ${endpointName} is Failed: ${endpoint.FailureReason ?? 'unknown reason'}`,
        );
      }
      const { variant, endpointConfigName } = routeRequest(
        endpoint,
        request.headers['x-amzn-sagemaker-target-variant'],
        random,
      );
      metrics.routed(event, endpointName, endpointConfigName, variant.VariantName);
      const responseType = negotiateResponseType(request.headers.accept);
      const instances = decodeInstances(request.body, request.headers['content-type']);
      const model = await deps.models.get(variant.artifact).catch((error: unknown) => {
        if (error instanceof ArtifactIntegrityError || error instanceof ArtifactNotFoundError) {
          throw new ModelError(`Variant ${variant.VariantName} cannot load its model: ${error.message}`, {
            cause: error,
          });
        }
        throw error;
      });
      const started = process.hrtime.bigint();
      const outputs = await model.predict(instances);
      const modelLatencyUs = Number(process.hrtime.bigint() - started) / 1000;
      metrics.modelLatency(event, modelLatencyUs);
      const body = encodePredictions(outputs, responseType);
      const answeredAt = now();
      const plan = planMirror(
        endpoint.internal.capture,
        endpoint.internal.shadows,
        variant,
        answeredAt.getTime() / 1000,
        random,
      );
      if (plan && deps.mirror) {
        const message = buildMirrorMessage(
          {
            eventId: newEventId(),
            inferenceId: request.headers['x-amzn-sagemaker-inference-id'],
            inferenceTime: answeredAt,
            endpointName,
            variantName: variant.VariantName,
            requestBody: request.body,
            requestContentType: request.headers['content-type'],
            responseBody: body,
            responseContentType: responseType,
            predictions: predictionsOf(outputs),
            modelLatencyUs,
          },
          plan,
        );
        // The one network call capture and shadowing add to the request path, bounded by its
        // own budget (far below the function's timeout): whatever the queue does, the client
        // gets its answer, and a copy not known to be queued is counted as dropped.
        const delivery = await sendWithinBudget(deps.mirror, message, mirrorBudgetMs);
        metrics.mirrored(event, { dropped: !delivery.delivered, captured: message.capture !== undefined });
        if (!delivery.delivered) await countDrop(message, delivery, deps.drops);
        else if (delivery.retriedAfter !== undefined) {
          // Delivered, but the first attempt may have been too (it failed on the way back):
          // the consumer drops a second copy by its event id; this line says where one came from.
          console.warn(
            JSON.stringify({
              level: 'warn',
              msg: 'mirror message sent on the retry',
              eventId: message.eventId,
              endpoint: endpointName,
              firstAttempt: delivery.retriedAfter,
            }),
          );
        }
      }
      return {
        statusCode: 200,
        headers: {
          'Content-Type': responseType,
          'X-Amzn-Invoked-Production-Variant': variant.VariantName,
          'x-amzn-RequestId': request.requestId,
        },
        body,
      };
    });
}

/**
 * A dropped copy is never silently lost: it is logged with its event id, counted in the
 * invocation's EMF line (by the caller), and counted in the registry, where DescribeEndpoint
 * and DescribeShadowReport show it. The registry write has its own short budget; if it fails,
 * that is logged too, and the metric still counts the drop.
 */
async function countDrop(
  message: MirrorMessage,
  delivery: Extract<MirrorDelivery, { delivered: false }>,
  drops: MirrorDropCounter | undefined,
): Promise<void> {
  const about = {
    eventId: message.eventId,
    endpoint: message.endpointName,
    variant: message.variantName,
    capture: message.capture !== undefined,
    shadows: message.shadows.map((s) => s.VariantName),
  };
  console.error(
    JSON.stringify({
      level: 'error',
      msg: 'mirror message dropped: the capture/shadow copy of this request is not known to be queued',
      ...about,
      attempts: delivery.attempts,
      error: delivery.reason,
    }),
  );
  await drops?.count(message).catch((error: unknown) => {
    console.error(
      JSON.stringify({
        level: 'error',
        msg: 'mirror drop not counted in the registry (the MirrorsDropped metric still counts it)',
        ...about,
        error: (error as Error).message,
      }),
    );
  });
}

function endpointNameOf(event: HttpEvent, path: string): string {
  const fromRoute = event.pathParameters?.EndpointName;
  const raw = fromRoute ?? INVOCATIONS_PATH.exec(path)?.[1];
  if (!raw) throw new ValidationError('The path must be /endpoints/{EndpointName}/invocations.');
  return decodeURIComponent(raw);
}
