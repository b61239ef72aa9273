import middy from '@middy/core';
import type { AccessKeyResolver } from '../domain/auth/identity.js';
import { authorizeInvoke } from '../domain/auth/roles.js';
import { verifySigV4 } from '../domain/auth/sigv4.js';
import type { RedactionKey } from '../domain/data-capture/redaction.js';
import type { EndpointCache } from '../domain/inference/endpoint-cache.js';
import { checkInvokeEndpointInput } from '../domain/inference/invoke-constraints.js';
import { invokeEndpoint } from '../domain/inference/invoke-endpoint.js';
import type { ModelCache } from '../domain/inference/model-cache.js';
import { DEFAULT_MAX_ROWS } from '../domain/inference/payload.js';
import { ValidationError } from '../domain/kernel/errors.js';
import type { MirrorQueue } from '../domain/mirroring/mirror.js';
import { mirrorAnswer } from '../domain/mirroring/mirror-answer.js';
import { DEFAULT_MIRROR_BUDGET_MS } from '../domain/mirroring/mirror-delivery.js';
import type { MirrorDropCounter } from '../domain/mirroring/mirror-drops.js';
import { EarlyTimeout } from '../shared/early-timeout.js';
import { apiErrors, type HttpEvent, type HttpResult, toHttpRequest } from '../shared/http.js';
import { type FunctionLogging, functionLogger, lambdaContext } from '../shared/logger.js';
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
  /** The HMAC key of capture redaction (hashed fields); absent, copies of redacted endpoints are withheld. */
  readonly redactionKey?: RedactionKey;
  /** Where per-variant metrics (EMF lines) go; stdout, which CloudWatch Logs reads, by default. */
  readonly metrics?: MetricsSink;
  /** Rows one request may hold. @default DEFAULT_MAX_ROWS (the handler reads UNDERSTUDY_MAX_ROWS) */
  readonly maxRows?: number;
  readonly random?: () => number;
  readonly now?: () => Date;
  /** @default functionLogger('understudy-invoke') */
  readonly logging?: FunctionLogging;
}

const INVOCATIONS_PATH = /^\/endpoints\/([^/]+)\/invocations$/;

/**
 * SageMaker Runtime InvokeEndpoint: verify and authorize the caller, answer
 * (inference/invoke-endpoint.ts), mirror a sampled copy (mirroring/mirror-answer.ts).
 */
export function createInvokeHandler(deps: DataPlaneDeps) {
  const now = deps.now ?? (() => new Date());
  const random = deps.random ?? Math.random;
  const metrics = new InvocationMetricsRecorder(deps.metrics ?? stdoutMetricsSink);
  const { logger, log } = deps.logging ?? functionLogger('understudy-invoke');
  const useCase = {
    endpoints: deps.endpoints,
    models: deps.models,
    random,
    now,
    limits: { maxRows: deps.maxRows ?? DEFAULT_MAX_ROWS },
  };
  const mirror = deps.mirror && {
    queue: deps.mirror,
    budgetMs: deps.mirrorBudgetMs ?? DEFAULT_MIRROR_BUDGET_MS,
    drops: deps.drops,
    redactionKey: deps.redactionKey,
    log,
    random,
  };
  const earlyTimeout = new EarlyTimeout();
  const invoke = async (event: HttpEvent): Promise<HttpResult> => {
    const request = toHttpRequest(event);
    const caller = await verifySigV4(request, deps.keys, { now: now() });
    const endpointName = endpointNameOf(event, request.path);
    authorizeInvoke(caller, endpointName);
    checkInvokeEndpointInput(endpointName, request.headers);
    const answer = await invokeEndpoint(
      useCase,
      {
        endpointName,
        accountId: request.accountId,
        body: request.body,
        contentType: request.headers['content-type'],
        accept: request.headers.accept,
        targetVariant: request.headers['x-amzn-sagemaker-target-variant'],
      },
      metrics.progress(event, endpointName),
    );
    if (mirror) {
      const mirrored = await mirrorAnswer(mirror, answer, {
        inferenceId: request.headers['x-amzn-sagemaker-inference-id'],
        body: request.body,
        contentType: request.headers['content-type'],
      });
      if (mirrored) metrics.mirrored(event, mirrored);
    }
    return {
      statusCode: 200,
      headers: {
        'Content-Type': answer.responseType,
        'X-Amzn-Invoked-Production-Variant': answer.variant.VariantName,
        'x-amzn-RequestId': request.requestId,
      },
      body: answer.body,
    };
  };
  // middy's own early timeout is off: EarlyTimeout does the same for less per request (see there).
  return middy<HttpEvent, HttpResult>({ timeoutEarlyInMillis: 0 })
    .use(lambdaContext<HttpEvent, HttpResult>(logger))
    .use(apiErrors('restJson1', log))
    .use(metrics.middleware())
    .handler((event, context) => earlyTimeout.race(invoke(event), context));
}

function endpointNameOf(event: HttpEvent, path: string): string {
  const fromRoute = event.pathParameters?.EndpointName;
  const raw = fromRoute ?? INVOCATIONS_PATH.exec(path)?.[1];
  if (!raw) throw new ValidationError('The path must be /endpoints/{EndpointName}/invocations.');
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch (error) {
    // A stray '%' would otherwise be a URIError, answered 500.
    throw new ValidationError(`The endpoint name '${raw.slice(0, 80)}' is not a valid URI path segment.`, {
      cause: error,
    });
  }
}
