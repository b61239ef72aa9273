import { routeRequest } from '../deployments/routing.js';
import type { EndpointRecord } from '../hosting/endpoints.js';
import { ArtifactIntegrityError, ArtifactNotFoundError } from '../kernel/artifact.js';
import { ModelError, ModelNotReadyException, ValidationError } from '../kernel/errors.js';
import type { RuntimeVariant } from '../kernel/records.js';
import type { EndpointCache } from './endpoint-cache.js';
import type { ModelCache } from './model-cache.js';
import type { OnnxModel, OutputSpec } from './onnx-model.js';
import {
  checkBodySize,
  decodeInstances,
  encodePredictions,
  type NamedOutput,
  negotiateResponseType,
  type PayloadLimits,
  type ResponseType,
} from './payload.js';

/** SageMaker Runtime's InvokeEndpoint request, once the caller is verified and authorized. */
export interface InvokeRequest {
  readonly endpointName: string;
  /** The account the request was signed for, for error messages. */
  readonly accountId: string;
  readonly body: Uint8Array;
  readonly contentType?: string;
  readonly accept?: string;
  readonly targetVariant?: string;
}

/** The answer, with what capture, shadowing and metrics need to know of it. */
export interface InvokeAnswer {
  readonly endpoint: EndpointRecord;
  readonly endpointConfigName: string;
  readonly variant: RuntimeVariant;
  readonly responseType: ResponseType;
  readonly body: string;
  readonly outputs: readonly NamedOutput[];
  /** The outputs the variant's model declares (what the shadow comparison reads it as). */
  readonly declaredOutputs: readonly OutputSpec[];
  readonly modelLatencyUs: number;
  readonly answeredAt: Date;
}

export interface InvokeEndpointDeps {
  readonly endpoints: EndpointCache;
  readonly models: ModelCache;
  readonly random: () => number;
  readonly now: () => Date;
  /** Bounds on a request's rows (the row count among them). @default structural bounds only */
  readonly limits?: PayloadLimits;
}

/** What the data plane's metrics learn on the way (before the answer exists, or if it never does). */
export interface InvokeProgress {
  routed(endpointConfigName: string, variantName: string): void;
  modelLatency(microseconds: number): void;
}

/**
 * The data plane's use case: find the endpoint, route the request to a variant (weights,
 * TargetVariant, a rollout in progress), check the rows against the model, run it, encode
 * the answer in the requested type. Errors are SageMaker Runtime's typed ones.
 */
export async function invokeEndpoint(
  deps: InvokeEndpointDeps,
  request: InvokeRequest,
  progress?: InvokeProgress,
): Promise<InvokeAnswer> {
  const { endpointName } = request;
  // Before the endpoint is even looked up: an oversize body costs nothing more.
  checkBodySize(request.body);
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
  const { variant, endpointConfigName } = routeRequest(endpoint, request.targetVariant, deps.random);
  progress?.routed(endpointConfigName, variant.VariantName);
  const negotiated = negotiateResponseType(request.accept);
  const instances = decodeInstances(request.body, request.contentType, deps.limits);
  // try/await rather than .catch(): no promise and closure more per request.
  let model: OnnxModel;
  try {
    model = await deps.models.get(variant.artifact);
  } catch (error) {
    if (error instanceof ArtifactIntegrityError || error instanceof ArtifactNotFoundError) {
      throw new ModelError(`Variant ${variant.VariantName} cannot load its model: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
  const started = process.hrtime.bigint();
  const outputs = await model.predict(instances);
  const modelLatencyUs = Number(process.hrtime.bigint() - started) / 1000;
  progress?.modelLatency(modelLatencyUs);
  const responseType = model.answer ? model.answer.responseType(request.accept, negotiated) : negotiated;
  const body = model.answer
    ? model.answer.encode(outputs, responseType, () => encodePredictions(outputs, responseType))
    : encodePredictions(outputs, responseType);
  return {
    endpoint,
    endpointConfigName,
    variant,
    responseType,
    body,
    outputs,
    declaredOutputs: model.outputs,
    modelLatencyUs,
    answeredAt: deps.now(),
  };
}
