import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { HttpEvent } from '../../lambdas/shared/http.js';
import { isTextBody } from '../../scripts/local/apigw.js';

export interface SigningKey {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/**
 * An API Gateway (payload 2.0) InvokeEndpoint event, signed as the AWS SDK signs it, its body as
 * an HTTP API delivers it (text for text media types, base64 otherwise: scripts/local/apigw.ts), for
 * driving the data-plane handler in process (tests and benchmarks).
 */
export function signedInvokeEvent(options: {
  key: SigningKey;
  now: Date;
  endpoint: string;
  body: string | Uint8Array;
  headers?: Record<string, string>;
}): Promise<HttpEvent> {
  const { endpoint } = options;
  return signedEvent({
    ...options,
    path: `/endpoints/${endpoint}/invocations`,
    routeKey: 'POST /endpoints/{EndpointName}/invocations',
    pathParameters: { EndpointName: endpoint },
    headers: { 'content-type': 'text/csv', accept: 'application/json', ...options.headers },
  });
}

/**
 * A control-plane (JSON 1.1) event for `target` (`SageMaker.CreateModel`,
 * `Understudy.CreateAccessKey`), signed as the AWS SDK signs it.
 */
export function signedControlEvent(options: {
  key: SigningKey;
  now: Date;
  target: string;
  input: unknown;
  /** Sent instead of `input` as JSON: bytes no serializer would write. */
  rawBody?: string | Uint8Array;
}): Promise<HttpEvent> {
  return signedEvent({
    key: options.key,
    now: options.now,
    body: options.rawBody ?? JSON.stringify(options.input),
    path: '/',
    routeKey: 'POST /',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': options.target },
  });
}

async function signedEvent(options: {
  key: SigningKey;
  now: Date;
  body: string | Uint8Array;
  path: string;
  routeKey: string;
  pathParameters?: Record<string, string>;
  headers: Record<string, string>;
}): Promise<HttpEvent> {
  const { key, now, body, path, routeKey } = options;
  const signer = new SignatureV4({
    service: 'sagemaker',
    region: 'us-east-1',
    credentials: key,
    sha256: Hash.bind(null, 'sha256'),
  });
  const signed = await signer.sign(
    new HttpRequest({
      method: 'POST',
      protocol: 'https:',
      hostname: 'api.example.com',
      path,
      headers: { host: 'api.example.com', ...options.headers },
      body,
    }),
    { signingDate: now },
  );
  const bytes = Buffer.from(body);
  const headers = Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: '',
    headers,
    ...(options.pathParameters === undefined ? {} : { pathParameters: options.pathParameters }),
    // As an HTTP API hands a body to its function: text media types as text, others base64.
    ...(isTextBody(headers['content-type'], bytes)
      ? { isBase64Encoded: false, body: bytes.toString('utf8') }
      : { isBase64Encoded: true, body: bytes.toString('base64') }),
    requestContext: {
      accountId: '123456789012',
      apiId: 'local',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: {
        method: 'POST',
        path,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'understudy-tests',
      },
      requestId: 'req',
      routeKey,
      stage: '$default',
      time: '',
      timeEpoch: now.getTime(),
    },
  };
}
