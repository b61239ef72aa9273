import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ApiError } from '../domain/kernel/errors.js';
import { consoleLog, type Log } from '../domain/kernel/log.js';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;

/** An HTTP request as the handlers see it: raw bytes, lower-case header names. */
export interface HttpRequest {
  readonly method: string;
  readonly path: string;
  readonly rawQueryString: string;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array;
  readonly requestId: string;
  readonly accountId: string;
}

export function toHttpRequest(event: HttpEvent): HttpRequest {
  const received = event.headers;
  const raw = event.body ?? '';
  const body = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  return {
    method: event.requestContext.http.method,
    path: event.rawPath,
    rawQueryString: event.rawQueryString ?? '',
    headers: received === undefined ? {} : lowerCaseHeaders(received),
    body,
    requestId: event.requestContext.requestId,
    accountId: event.requestContext.accountId,
  };
}

/**
 * The event's headers with lower-case names and no undefined values: the event's own object
 * when it already is so, as API Gateway delivers it (a copy per request of every function
 * otherwise); a copy when a name has upper case or a value is missing (events made by hand).
 */
function lowerCaseHeaders(received: Record<string, string | undefined>): Record<string, string> {
  let asDelivered = true;
  for (const name in received) {
    if (received[name] === undefined || hasUpperCase(name)) {
      asDelivered = false;
      break;
    }
  }
  if (asDelivered) return received as Record<string, string>;
  const headers: Record<string, string> = {};
  // for-in rather than Object.entries: no array per header.
  for (const name in received) {
    const value = received[name];
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  return headers;
}

function hasUpperCase(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if ((c >= 65 && c <= 90) || c > 127) return true;
  }
  return false;
}

/** How a protocol writes errors: SageMaker (JSON 1.1) and SageMaker Runtime (REST-JSON) differ. */
export type ErrorProtocol = 'awsJson1_1' | 'restJson1';

export function errorResult(error: ApiError, protocol: ErrorProtocol, requestId: string): HttpResult {
  const headers = {
    'Content-Type': protocol === 'awsJson1_1' ? 'application/x-amz-json-1.1' : 'application/json',
    'x-amzn-ErrorType': error.type,
    'x-amzn-RequestId': requestId,
  };
  const body =
    protocol === 'awsJson1_1' ? { __type: error.type, message: error.message } : { message: error.message };
  return { statusCode: error.statusCode, headers, body: JSON.stringify(body) };
}

/**
 * Turns every error into the protocol's error shape: ApiErrors with their own type and
 * message; anything else as an opaque InternalFailure (500), logged, never leaked.
 */
export function apiErrors(
  protocol: ErrorProtocol,
  log: Log = consoleLog,
): MiddlewareObj<HttpEvent, HttpResult> {
  return {
    onError: async (request) => {
      const requestId = request.event.requestContext?.requestId ?? 'unknown';
      const { error } = request;
      if (error instanceof ApiError) {
        if (error.statusCode >= 500) log.error('request failed', { requestId, error: describe(error) });
        request.response = errorResult(error, protocol, requestId);
        return;
      }
      log.error('request failed', { requestId, error: describe(error) });
      request.response = errorResult(
        new ApiError(
          'InternalFailure',
          500,
          'An internal error occurred. Try again; the request id identifies it.',
        ),
        protocol,
        requestId,
      );
    },
  };
}

function describe(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    return { name: error.name, message: error.message, stack: error.stack, cause: describe(error.cause) };
  }
  return { value: String(error) };
}
