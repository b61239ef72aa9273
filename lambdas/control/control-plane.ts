import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { AccessKeyResolver } from '../domain/auth/identity.js';
import { authorize } from '../domain/auth/roles.js';
import { verifySigV4 } from '../domain/auth/sigv4.js';
import { consoleRouteOf } from '../domain/console/access.js';
import { type BucketPolicy, isS3UriShape } from '../domain/kernel/buckets.js';
import type { ControlContext, ListingTokens } from '../domain/kernel/context.js';
import { UnknownOperationException, ValidationException } from '../domain/kernel/errors.js';
import { jsonNestingDepth } from '../domain/kernel/json-text.js';
import { type ServiceModel, ShapeValidator } from '../domain/kernel/shape-validator.js';
import { apiErrors, type HttpEvent, type HttpResult, toHttpRequest } from '../shared/http.js';
import { type FunctionLogging, functionLogger } from '../shared/logger.js';
import apiModel from './api-model.json' with { type: 'json' };
import { serveConsole } from './console.js';
import { OPERATIONS } from './operations.js';
import type { OperationName } from './operations-list.js';
import { permissionOf } from './permissions.js';
import { UNDERSTUDY_OPERATIONS } from './understudy-operations.js';

const validator = new ShapeValidator(apiModel as ServiceModel);
const TARGET_PREFIX = 'SageMaker.';
const UNDERSTUDY_PREFIX = 'Understudy.';

/**
 * The operation named by `X-Amz-Target`: `SageMaker.<Operation>` gives `<Operation>`;
 * Understudy's own `Understudy.<Operation>` keeps its prefix.
 */
export function operationOf(target: string | undefined): string {
  if (!target) throw new ValidationException('Missing X-Amz-Target header: expected SageMaker.<Operation>.');
  if (target.startsWith(TARGET_PREFIX)) return target.slice(TARGET_PREFIX.length);
  if (target.startsWith(UNDERSTUDY_PREFIX)) return target;
  throw new UnknownOperationException(target);
}

/**
 * How deep a request body may nest. SageMaker's deepest input (CreateModelPackage) nests 9
 * levels; the bound leaves room for documents while refusing bodies built to overflow the stack.
 */
export const MAX_JSON_NESTING = 64;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

export function parseJsonBody(body: Uint8Array): unknown {
  let text: string;
  try {
    text = UTF8.decode(body).trim();
  } catch (error) {
    throw new ValidationException('Request body is not valid UTF-8.', { cause: error });
  }
  if (text === '') return {};
  if (jsonNestingDepth(text, MAX_JSON_NESTING) > MAX_JSON_NESTING) {
    throw new ValidationException(`Request body nests deeper than ${MAX_JSON_NESTING} levels.`);
  }
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    throw new ValidationException(`Request body is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new ValidationException('Request body must be a JSON object.');
  }
  return input;
}

/** Whether the control plane serves `operation` (as `operationOf` names it). */
export function isImplemented(operation: string): boolean {
  return operation.startsWith(UNDERSTUDY_PREFIX)
    ? Object.hasOwn(UNDERSTUDY_OPERATIONS, operation.slice(UNDERSTUDY_PREFIX.length))
    : Object.hasOwn(OPERATIONS, operation);
}

/**
 * Validates the input against the operation's service-model shape and, given `buckets`, its
 * S3 URIs (every member whose shape is one, so new operations are covered) against the
 * buckets the platform may use; then runs it.
 */
export async function dispatch(
  ctx: ControlContext,
  operation: string,
  input: unknown,
  buckets?: BucketPolicy,
): Promise<unknown> {
  if (!isImplemented(operation)) throw new UnknownOperationException(operation);
  if (operation.startsWith(UNDERSTUDY_PREFIX)) return dispatchUnderstudy(ctx, operation, input, buckets);
  const errors = validator.validate(operation, input);
  if (errors.length > 0) throw new ValidationException(ShapeValidator.describe(errors));
  buckets?.check(validator.stringsOf(operation, input, isS3UriShape));
  return OPERATIONS[operation as OperationName](ctx, input);
}

async function dispatchUnderstudy(
  ctx: ControlContext,
  operation: string,
  input: unknown,
  buckets: BucketPolicy | undefined,
): Promise<unknown> {
  const op = UNDERSTUDY_OPERATIONS[operation.slice(UNDERSTUDY_PREFIX.length)];
  if (!op) throw new UnknownOperationException(operation);
  const parsed = op.input.safeParse(input);
  if (!parsed.success) {
    const errors = parsed.error.issues.map(
      (issue) =>
        `Value at '${issue.path.join('.') || 'request'}' failed to satisfy constraint: ${issue.message}`,
    );
    throw new ValidationException(ShapeValidator.describe(errors));
  }
  // Understudy's schemas are zod, not the service model: every s3:// string is held to the policy.
  buckets?.check(s3UrisIn(parsed.data));
  return op.run(ctx, parsed.data);
}

/** Every string of a parsed input that is an s3:// URI, with its path (as the service-model walk names them). */
function s3UrisIn(value: unknown, path = ''): { path: string; value: string }[] {
  if (typeof value === 'string') return /^s3:\/\//i.test(value) ? [{ path, value }] : [];
  if (Array.isArray(value)) return value.flatMap((item, i) => s3UrisIn(item, `${path}.${i + 1}.member`));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => s3UrisIn(item, path ? `${path}.${key}` : key));
  }
  return [];
}

export interface ControlPlaneDeps extends Omit<ControlContext, 'caller' | 'accountId' | 'now'> {
  readonly keys: AccessKeyResolver;
  /** Seals every listing's NextToken (HMAC under the control plane's listing key). */
  readonly listingTokens: ListingTokens;
  readonly now?: () => Date;
  /** The buckets requests may name; absent, any bucket is accepted (unit tests). */
  readonly buckets?: BucketPolicy;
  /** @default functionLogger('understudy-control') */
  readonly logging?: FunctionLogging;
}

/**
 * The control plane's HTTP handler: verify, authorize, validate, dispatch, answer JSON 1.1;
 * and the console's two GET routes (presigned URLs, HTML: `console.ts`).
 */
export function createControlHandler(deps: ControlPlaneDeps) {
  const now = deps.now ?? (() => new Date());
  const { logging, listingTokens, buckets, ...context } = deps;
  const { logger, log } = logging ?? functionLogger('understudy-control');
  return middy<HttpEvent, HttpResult>()
    .use(injectLambdaContext(logger))
    .use(apiErrors('awsJson1_1', log))
    .handler(async (event) => {
      const request = toHttpRequest(event);
      const consoleRoute = consoleRouteOf(request.method, request.path);
      if (consoleRoute !== undefined) {
        return serveConsole(consoleRoute, request, {
          keys: deps.keys,
          log,
          now,
          context: (caller) => ({ ...context, caller, accountId: request.accountId, now, log }),
          dispatch: (ctx, operation, input) => dispatch(ctx, operation, input, buckets),
        });
      }
      const caller = await verifySigV4(request, deps.keys, { now: now() });
      const operation = operationOf(request.headers['x-amz-target']);
      // Operations Understudy does not serve are unknown to every caller; the others need their permission.
      if (!isImplemented(operation)) throw new UnknownOperationException(operation);
      authorize(caller, operation, permissionOf(operation));
      const input = parseJsonBody(request.body);
      const ctx: ControlContext = { ...context, caller, accountId: request.accountId, now, log };
      const output = await listingTokens.seal(
        operation,
        input,
        await dispatch(ctx, operation, await listingTokens.open(operation, input), buckets),
      );
      log.info('operation', { operation, caller: caller.accessKeyId, requestId: request.requestId });
      return {
        statusCode: 200,
        headers: { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': request.requestId },
        body: JSON.stringify(output ?? {}),
      };
    });
}
