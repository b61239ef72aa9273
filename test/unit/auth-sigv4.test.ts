import { createHash, createHmac } from 'node:crypto';
import { ListEndpointsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AccessKey, AccessKeyResolver, Role } from '../../lambdas/domain/auth/identity.js';
import {
  canonicalPath,
  canonicalQuery,
  needsCollapse,
  parseAuthorization,
  parseAuthorizationFields,
  type SignedRequest,
  verifySigV4,
} from '../../lambdas/domain/auth/sigv4.js';
import { AuthError } from '../../lambdas/domain/kernel/errors.js';

const KEY: AccessKey = {
  accessKeyId: 'AKUSTESTKEY0000001',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  role: 'invoker',
};
const HOST = 'abc123.execute-api.eu-west-1.amazonaws.com';
const SIGNED_AT = new Date('2026-03-14T15:09:26Z');
const BINARY_BODY = Uint8Array.from({ length: 300 }, (_, i) => (i * 37) % 256);

class Keys implements AccessKeyResolver {
  readonly keys = new Map<string, AccessKey>();
  lookups = 0;
  constructor(...keys: AccessKey[]) {
    for (const key of keys) this.keys.set(key.accessKeyId, key);
  }
  async resolve(accessKeyId: string): Promise<AccessKey | undefined> {
    this.lookups++;
    return this.keys.get(accessKeyId);
  }
}

/** Escapes like the SDKs' query-string builder and `encodeURIComponent` plus `!'()*`. */
const escapeUri = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** What API Gateway would hand the handler for a request the SDK sent. */
function fromHttpRequest(req: HttpRequest): SignedRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    const lower = name.toLowerCase();
    headers[lower] = headers[lower] === undefined ? value : `${headers[lower]},${value}`;
  }
  const query = Object.entries(req.query ?? {})
    .flatMap(([k, v]) =>
      v === null
        ? [escapeUri(k)]
        : (Array.isArray(v) ? v : [v]).map((x) => `${escapeUri(k)}=${escapeUri(x)}`),
    )
    .join('&');
  const body: unknown = req.body;
  return {
    method: req.method,
    path: req.path,
    rawQueryString: query,
    headers,
    body:
      body === undefined || body === null
        ? new Uint8Array()
        : typeof body === 'string'
          ? Buffer.from(body)
          : (body as Uint8Array),
  };
}

interface SmithySignOptions {
  key?: AccessKey;
  service?: string;
  region?: string;
  signingDate?: Date;
}

/** Signs the way @aws-sdk clients do (they call this very signer). */
async function smithySign(req: HttpRequest, options: SmithySignOptions = {}): Promise<SignedRequest> {
  const key = options.key ?? KEY;
  const signer = new SignatureV4({
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
    region: options.region ?? 'eu-west-1',
    service: options.service ?? 'sagemaker',
    sha256: Hash.bind(null, 'sha256'),
  });
  const signed = await signer.sign(req, { signingDate: options.signingDate ?? SIGNED_AT });
  return fromHttpRequest(signed as HttpRequest);
}

/** An InvokeEndpoint request as @aws-sdk/client-sagemaker-runtime builds it (before signing). */
function invokeRequest(overrides: Partial<ConstructorParameters<typeof HttpRequest>[0]> = {}): HttpRequest {
  return new HttpRequest({
    method: 'POST',
    protocol: 'https:',
    hostname: HOST,
    path: `/endpoints/${escapeUri("fraud model+v2 (ü)'s")}/invocations`,
    headers: {
      host: HOST,
      'content-type': 'application/x-npy',
      accept: 'text/csv',
      'x-amzn-sagemaker-custom-attributes': 'a=1,  b=2',
      'content-length': String(BINARY_BODY.byteLength),
      'user-agent': 'aws-sdk-js/3 (not signed)',
    },
    body: BINARY_BODY,
    ...overrides,
  });
}

// ---------------------------------------------------------------------------------------------
// botocore, re-implemented from botocore/auth.py (SigV4Auth) to sign the way the AWS CLI v1/v2
// and boto3 do: every header but a few hop-by-hop ones and User-Agent, `host` taken from the URL,
// no x-amz-content-sha256, the path quoted with safe='/~' after removing dot segments.
// ---------------------------------------------------------------------------------------------

const BOTOCORE_UNSIGNED = new Set([
  'connection',
  'expect',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'user-agent',
  'x-amzn-trace-id',
]);

/** Python's urllib.parse.quote(s, safe). */
function pyQuote(s: string, safe: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    out +=
      /[A-Za-z0-9_.\-~]/.test(c) || safe.includes(c)
        ? c
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function pyNormalizePath(path: string): string {
  if (path === '') return '/';
  const out: string[] = [];
  for (const x of path.split('/')) {
    if (x && x !== '.') {
      if (x === '..') out.pop();
      else out.push(x);
    }
  }
  return (path.startsWith('/') ? '/' : '') + out.join('/') + (path.endsWith('/') && out.length ? '/' : '');
}

interface BotocoreRequest {
  method: string;
  url: string;
  headers: Array<[string, string]>;
  body?: Uint8Array;
  /** Sign with `Date: <HTTP-date>` instead of adding X-Amz-Date (SigV4 allows either). */
  useDateHeader?: boolean;
}

function botocoreSign(req: BotocoreRequest, key: AccessKey = KEY, when: Date = SIGNED_AT): SignedRequest {
  const url = new URL(req.url);
  const timestamp = when
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  const headers: Array<[string, string]> = [...req.headers];
  if (req.useDateHeader) headers.push(['Date', when.toUTCString()]);
  else headers.push(['X-Amz-Date', timestamp]);
  const toSign = new Map<string, string[]>();
  for (const [name, value] of headers) {
    const lname = name.toLowerCase();
    if (BOTOCORE_UNSIGNED.has(lname)) continue;
    toSign.set(lname, [...(toSign.get(lname) ?? []), value]);
  }
  if (!toSign.has('host')) toSign.set('host', [url.host]);
  const names = [...toSign.keys()].sort();
  const canonicalHeaders = names
    .map(
      (n) => `${n}:${(toSign.get(n) ?? []).map((v) => v.split(/\s+/).filter(Boolean).join(' ')).join(',')}`,
    )
    .join('\n');
  const rawPath = req.url.replace(/^[a-z]+:\/\/[^/?]+/, '').split('?')[0] ?? '/';
  const rawQuery = url.search.slice(1);
  const canonicalQueryString = rawQuery
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const i = p.indexOf('=');
      return i < 0 ? [p, ''] : [p.slice(0, i), p.slice(i + 1)];
    })
    .sort((a, b) => (`${a[0]}\0${a[1]}` < `${b[0]}\0${b[1]}` ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const body = req.body ?? new Uint8Array();
  const canonicalRequest = [
    req.method,
    pyQuote(pyNormalizePath(rawPath), '/~'),
    canonicalQueryString,
    `${canonicalHeaders}\n`,
    names.join(';'),
    createHash('sha256').update(body).digest('hex'),
  ].join('\n');
  const scope = `${timestamp.slice(0, 8)}/eu-west-1/sagemaker/aws4_request`;
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    timestamp,
    scope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  let k: Buffer = createHmac('sha256', `AWS4${key.secretAccessKey}`).update(timestamp.slice(0, 8)).digest();
  for (const part of ['eu-west-1', 'sagemaker', 'aws4_request'])
    k = createHmac('sha256', k).update(part).digest();
  const signature = createHmac('sha256', k).update(stringToSign).digest('hex');
  headers.push([
    'Authorization',
    `AWS4-HMAC-SHA256 Credential=${key.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  ]);
  // What reaches the handler: the HTTP client adds Host (and Content-Length, unsigned).
  const received: Record<string, string> = { host: url.host };
  if (body.byteLength > 0) received['content-length'] = String(body.byteLength);
  for (const [name, value] of headers) {
    const l = name.toLowerCase();
    received[l] = received[l] === undefined || l === 'host' ? value : `${received[l]},${value}`;
  }
  return { method: req.method, path: rawPath, rawQueryString: rawQuery, headers: received, body };
}

/** A JSON 1.1 control-plane call as the AWS CLI (v1 or v2) sends it. */
function cliControlPlane(target: string, payload: object): BotocoreRequest {
  return {
    method: 'POST',
    url: `https://${HOST}/`,
    headers: [
      ['X-Amz-Target', `SageMaker.${target}`],
      ['Content-Type', 'application/x-amz-json-1.1'],
      ['User-Agent', 'aws-cli/2.9.19 Python/3.11.2 Linux/6 botocore/2.0.0'],
    ],
    body: Buffer.from(JSON.stringify(payload)),
  };
}

function botoInvoke(endpoint: string, body: Uint8Array = BINARY_BODY): BotocoreRequest {
  return {
    method: 'POST',
    url: `https://${HOST}/endpoints/${pyQuote(endpoint, '')}/invocations`,
    headers: [
      ['Content-Type', 'application/octet-stream'],
      ['Accept', 'application/json'],
      ['X-Amzn-SageMaker-Target-Variant', 'blue'],
      ['User-Agent', 'Boto3/1.43 md/Botocore#1.43'],
    ],
    body,
  };
}

async function expectAuthError(
  promise: Promise<unknown>,
  type: AuthError['type'],
  message?: string | RegExp,
): Promise<AuthError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuthError);
  const authError = error as AuthError;
  expect(authError.type).toBe(type);
  expect(authError.statusCode).toBe(403);
  if (message !== undefined) expect(authError.message).toMatch(message);
  return authError;
}

const at = (d: Date) => ({ now: d });
const plus = (ms: number) => new Date(SIGNED_AT.getTime() + ms);

describe('verifySigV4 with the AWS SDK for JavaScript', () => {
  /** Sends a command through a real client and captures the signed request instead of sending it. */
  async function capture(
    client: SageMakerClient | SageMakerRuntimeClient,
    send: () => Promise<unknown>,
  ): Promise<SignedRequest> {
    let captured: HttpRequest | undefined;
    client.config.requestHandler = {
      handle: async (req: HttpRequest) => {
        captured = req;
        throw new Error('captured');
      },
    } as never;
    await expect(send()).rejects.toThrow('captured');
    if (captured === undefined) throw new Error('no request captured');
    return fromHttpRequest(captured);
  }

  const clientConfig = {
    region: 'us-east-2',
    endpoint: 'https://understudy.example.com:8443',
    credentials: { accessKeyId: KEY.accessKeyId, secretAccessKey: KEY.secretAccessKey },
    maxAttempts: 1,
  };

  it('accepts InvokeEndpoint from @aws-sdk/client-sagemaker-runtime (binary body, special characters)', async () => {
    const client = new SageMakerRuntimeClient(clientConfig);
    const request = await capture(client, () =>
      client.send(
        new InvokeEndpointCommand({
          EndpointName: "fraud model+v2 (ü)/x'y",
          Body: BINARY_BODY,
          ContentType: 'application/x-npy',
          Accept: 'text/csv',
          TargetVariant: 'shadow-1',
          CustomAttributes: 'a=1, b=2',
        }),
      ),
    );
    expect(request.path).toBe('/endpoints/fraud%20model%2Bv2%20%28%C3%BC%29%2Fx%27y/invocations');
    expect(request.headers.authorization).toContain('host;');
    await expect(verifySigV4(request, new Keys(KEY), at(new Date()))).resolves.toEqual({
      accessKeyId: KEY.accessKeyId,
      role: 'invoker',
    });
  });

  it('accepts a JSON 1.1 call from @aws-sdk/client-sagemaker', async () => {
    const client = new SageMakerClient(clientConfig);
    const request = await capture(client, () =>
      client.send(new ListEndpointsCommand({ MaxResults: 10, NameContains: 'fraud' })),
    );
    expect(request.headers['x-amz-target']).toBe('SageMaker.ListEndpoints');
    await expect(verifySigV4(request, new Keys(KEY), at(new Date()))).resolves.toMatchObject({
      accessKeyId: KEY.accessKeyId,
    });
  });
});

describe('verifySigV4 with @smithy/signature-v4', () => {
  it('accepts a signed data-plane request with a binary body', async () => {
    const request = await smithySign(invokeRequest());
    expect(request.headers['x-amz-content-sha256']).toBe(
      createHash('sha256').update(BINARY_BODY).digest('hex'),
    );
    await expect(verifySigV4(request, new Keys(KEY), at(SIGNED_AT))).resolves.toEqual({
      accessKeyId: KEY.accessKeyId,
      role: 'invoker',
    });
  });

  it('accepts the signature written in upper-case hex', async () => {
    const request = await smithySign(invokeRequest());
    const upper = (value: string | undefined) => (value ?? '').toUpperCase();
    const authorization = (request.headers.authorization ?? '').replace(
      /Signature=([0-9a-f]{64})$/,
      (_, signature: string) => `Signature=${upper(signature)}`,
    );
    expect(authorization).not.toBe(request.headers.authorization);
    const shouted = { ...request, headers: { ...request.headers, authorization } };
    await expect(verifySigV4(shouted, new Keys(KEY), at(SIGNED_AT))).resolves.toEqual({
      accessKeyId: KEY.accessKeyId,
      role: 'invoker',
    });
  });

  it('accepts an empty body, a query string and dot segments in the path', async () => {
    const request = await smithySign(
      invokeRequest({
        method: 'GET',
        path: '/a/./b/../endpoints//x%2Fy/',
        query: { z: 'last', a: ['2', '1 1'], 'ü ~*': "it's" },
        body: undefined,
        headers: { host: HOST },
      }),
    );
    expect(request.rawQueryString).toContain('%C3%BC%20~%2A');
    await expect(verifySigV4(request, new Keys(KEY), at(SIGNED_AT))).resolves.toBeDefined();
  });

  it('accepts the path percent-decoded, as API Gateway HTTP APIs deliver rawPath', async () => {
    const request = await smithySign(invokeRequest());
    const decoded = decodeURIComponent(request.path);
    expect(decoded).toBe("/endpoints/fraud model+v2 (ü)'s/invocations");
    await expect(
      verifySigV4({ ...request, path: decoded }, new Keys(KEY), at(SIGNED_AT)),
    ).resolves.toBeDefined();
  });

  it('accepts any region the client chose', async () => {
    const request = await smithySign(invokeRequest(), { region: 'ap-southeast-7' });
    await expect(verifySigV4(request, new Keys(KEY), at(SIGNED_AT))).resolves.toBeDefined();
  });

  it('accepts requests up to five minutes either side of now', async () => {
    const request = await smithySign(invokeRequest());
    await expect(verifySigV4(request, new Keys(KEY), at(plus(300_000)))).resolves.toBeDefined();
    await expect(verifySigV4(request, new Keys(KEY), at(plus(-300_000)))).resolves.toBeDefined();
  });

  describe('refuses a tampered request', () => {
    const signed = () => smithySign(invokeRequest());

    it('body changed (the signed x-amz-content-sha256 no longer matches)', async () => {
      const request = await signed();
      const body = Uint8Array.from(request.body);
      body[7] = (body[7] ?? 0) ^ 1;
      await expectAuthError(
        verifySigV4({ ...request, body }, new Keys(KEY), at(SIGNED_AT)),
        'InvalidSignatureException',
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
      );
    });

    it('body and x-amz-content-sha256 both changed', async () => {
      const request = await signed();
      const body = Buffer.from('{"instances": [[1, 2, 3]]}');
      const headers = {
        ...request.headers,
        'x-amz-content-sha256': createHash('sha256').update(body).digest('hex'),
      };
      await expectAuthError(
        verifySigV4({ ...request, body, headers }, new Keys(KEY), at(SIGNED_AT)),
        'InvalidSignatureException',
        /^The request signature we calculated does not match the signature you provided/,
      );
    });

    it.each([
      ['content-type', 'application/json'],
      ['accept', 'application/json'],
      ['host', 'evil.example.com'],
      ['x-amz-date', '20260314T150927Z'],
      ['x-amzn-sagemaker-custom-attributes', 'a=2, b=2'],
    ])('signed header %s changed', async (name, value) => {
      const request = await signed();
      await expectAuthError(
        verifySigV4(
          { ...request, headers: { ...request.headers, [name]: value } },
          new Keys(KEY),
          at(SIGNED_AT),
        ),
        'InvalidSignatureException',
        /^The request signature we calculated does not match/,
      );
    });

    it('signed header removed', async () => {
      const request = await signed();
      const { accept: _, ...headers } = request.headers;
      await expectAuthError(
        verifySigV4({ ...request, headers }, new Keys(KEY), at(SIGNED_AT)),
        'InvalidSignatureException',
      );
    });

    it('path changed', async () => {
      const request = await signed();
      await expectAuthError(
        verifySigV4(
          { ...request, path: request.path.replace('fraud', 'other') },
          new Keys(KEY),
          at(SIGNED_AT),
        ),
        'InvalidSignatureException',
        /does not match/,
      );
    });

    it('path changed in a way that decoding does not explain', async () => {
      const request = await signed();
      await expectAuthError(
        verifySigV4({ ...request, path: request.path.replace('%20', '%2520') }, new Keys(KEY), at(SIGNED_AT)),
        'InvalidSignatureException',
      );
    });

    it('query string added', async () => {
      const request = await signed();
      await expectAuthError(
        verifySigV4({ ...request, rawQueryString: 'x=1' }, new Keys(KEY), at(SIGNED_AT)),
        'InvalidSignatureException',
      );
    });

    it('method changed', async () => {
      const request = await signed();
      await expectAuthError(
        verifySigV4({ ...request, method: 'PUT' }, new Keys(KEY), at(SIGNED_AT)),
        'InvalidSignatureException',
      );
    });

    it('signature changed', async () => {
      const request = await signed();
      const authorization = (request.headers.authorization ?? '').replace(/Signature=(.)/, (_, c: string) =>
        c === '0' ? 'Signature=1' : 'Signature=0',
      );
      await expectAuthError(
        verifySigV4(
          { ...request, headers: { ...request.headers, authorization } },
          new Keys(KEY),
          at(SIGNED_AT),
        ),
        'InvalidSignatureException',
      );
    });
  });

  it('refuses an unknown access key', async () => {
    const request = await smithySign(invokeRequest(), { key: { ...KEY, accessKeyId: 'AKUSUNKNOWN0000000' } });
    await expectAuthError(
      verifySigV4(request, new Keys(KEY), at(SIGNED_AT)),
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
    );
  });

  it('refuses the wrong secret for a known key (and a rotated secret)', async () => {
    const request = await smithySign(invokeRequest(), { key: { ...KEY, secretAccessKey: 'not-the-secret' } });
    await expectAuthError(verifySigV4(request, new Keys(KEY), at(SIGNED_AT)), 'InvalidSignatureException');
    const good = await smithySign(invokeRequest());
    await expect(verifySigV4(good, new Keys(KEY), at(SIGNED_AT))).resolves.toBeDefined();
    // Same key id and scope, new secret: the cached signing key of the old secret must not be used.
    await expectAuthError(
      verifySigV4(good, new Keys({ ...KEY, secretAccessKey: 'rotated' }), at(SIGNED_AT)),
      'InvalidSignatureException',
    );
  });

  it('refuses another service', async () => {
    const request = await smithySign(invokeRequest(), { service: 'execute-api' });
    await expectAuthError(
      verifySigV4(request, new Keys(KEY), at(SIGNED_AT)),
      'InvalidSignatureException',
      "Credential should be scoped to correct service: 'sagemaker'.",
    );
  });

  it('refuses a credential scope dated another day than x-amz-date', async () => {
    const request = await smithySign(invokeRequest(), { signingDate: new Date('2026-03-14T23:59:59Z') });
    const headers = { ...request.headers, 'x-amz-date': '20260315T000001Z' };
    await expectAuthError(
      verifySigV4({ ...request, headers }, new Keys(KEY), at(new Date('2026-03-15T00:00:01Z'))),
      'InvalidSignatureException',
      "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20260314' != '20260315', from '20260315T000001Z'.",
    );
  });

  it('refuses a request signed six minutes ago, or six minutes ahead', async () => {
    const request = await smithySign(invokeRequest());
    const keys = new Keys(KEY);
    await expectAuthError(
      verifySigV4(request, keys, at(plus(360_000))),
      'InvalidSignatureException',
      'Signature expired: 20260314T150926Z is now earlier than 20260314T151026Z (20260314T151526Z - 5 min.)',
    );
    await expectAuthError(
      verifySigV4(request, keys, at(plus(-360_000))),
      'InvalidSignatureException',
      'Signature not yet current: 20260314T150926Z is still later than 20260314T150826Z (20260314T150326Z + 5 min.)',
    );
    // Skew is checked before the key is looked up.
    expect(keys.lookups).toBe(0);
  });

  it('honours maxSkewMs', async () => {
    const request = await smithySign(invokeRequest());
    await expectAuthError(
      verifySigV4(request, new Keys(KEY), { now: plus(61_000), maxSkewMs: 60_000 }),
      'InvalidSignatureException',
      /\(20260314T151027Z - 1 min\.\)$/,
    );
  });

  it('refuses a signature that does not cover host', async () => {
    const req = invokeRequest();
    delete req.headers.host;
    const request = await smithySign(req);
    expect(request.headers.authorization).not.toContain('host');
    await expectAuthError(
      verifySigV4({ ...request, headers: { ...request.headers, host: HOST } }, new Keys(KEY), at(SIGNED_AT)),
      'IncompleteSignatureException',
      "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    );
  });

  it('refuses UNSIGNED-PAYLOAD', async () => {
    const request = await smithySign(
      invokeRequest({ headers: { ...invokeRequest().headers, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }),
    );
    await expectAuthError(
      verifySigV4(request, new Keys(KEY), at(SIGNED_AT)),
      'InvalidSignatureException',
      /Unsigned payloads are not accepted/,
    );
  });
});

describe('verifySigV4 with botocore-style signing (AWS CLI v1/v2, boto3)', () => {
  it('accepts a JSON 1.1 control-plane call as the AWS CLI sends it', async () => {
    const request = botocoreSign(
      cliControlPlane('CreateEndpoint', { EndpointName: 'e', EndpointConfigName: 'c' }),
    );
    expect(request.headers.authorization).toContain(
      'SignedHeaders=content-type;host;x-amz-date;x-amz-target,',
    );
    await expect(verifySigV4(request, new Keys(KEY), at(SIGNED_AT))).resolves.toEqual({
      accessKeyId: KEY.accessKeyId,
      role: 'invoker',
    });
  });

  it('accepts InvokeEndpoint with a binary body and special characters in the endpoint name', async () => {
    const request = botocoreSign(botoInvoke("fraud model+v2 (ü)'s~"));
    expect(request.path).toBe('/endpoints/fraud%20model%2Bv2%20%28%C3%BC%29%27s~/invocations');
    expect(request.headers['x-amz-content-sha256']).toBeUndefined();
    await expect(verifySigV4(request, new Keys(KEY), at(SIGNED_AT))).resolves.toBeDefined();
  });

  it('accepts a request dated with Date instead of X-Amz-Date', async () => {
    const request = botocoreSign({ ...cliControlPlane('ListEndpoints', {}), useDateHeader: true });
    expect(request.headers['x-amz-date']).toBeUndefined();
    expect(request.headers.date).toBe('Sat, 14 Mar 2026 15:09:26 GMT');
    await expect(verifySigV4(request, new Keys(KEY), at(SIGNED_AT))).resolves.toBeDefined();
  });

  it('accepts a repeated header, which API Gateway joins with commas', async () => {
    // HTTP parsers drop the whitespace around each field value before API Gateway joins them,
    // so joining and then trimming gives what SigV4 asks for (each value trimmed, then joined).
    const req = cliControlPlane('ListEndpoints', {});
    req.headers.push(['X-Custom', 'one'], ['X-Custom', 'two   three']);
    const request = botocoreSign(req);
    expect(request.headers['x-custom']).toBe('one,two   three');
    await expect(verifySigV4(request, new Keys(KEY), at(SIGNED_AT))).resolves.toBeDefined();
  });

  it('accepts a query string with an empty value and mixed-case names', async () => {
    const request = botocoreSign({
      method: 'GET',
      url: `https://${HOST}:8443/x?b=2&a=hello%20world&A=%2A~&empty=`,
      headers: [],
    });
    await expect(verifySigV4(request, new Keys(KEY), at(SIGNED_AT))).resolves.toBeDefined();
  });

  it('refuses a changed body (no x-amz-content-sha256, so it is the signature that fails)', async () => {
    const request = botocoreSign(cliControlPlane('DeleteEndpoint', { EndpointName: 'a' }));
    await expectAuthError(
      verifySigV4({ ...request, body: Buffer.from('{"EndpointName":"b"}') }, new Keys(KEY), at(SIGNED_AT)),
      'InvalidSignatureException',
      /^The request signature we calculated does not match/,
    );
  });

  it('refuses a changed X-Amz-Target', async () => {
    const request = botocoreSign(cliControlPlane('DescribeEndpoint', { EndpointName: 'a' }));
    const headers = { ...request.headers, 'x-amz-target': 'SageMaker.DeleteEndpoint' };
    await expectAuthError(
      verifySigV4({ ...request, headers }, new Keys(KEY), at(SIGNED_AT)),
      'InvalidSignatureException',
    );
  });

  it('ignores unsigned headers that API Gateway adds', async () => {
    const request = botocoreSign(botoInvoke('ep'));
    const headers = {
      ...request.headers,
      'x-amzn-trace-id': 'Root=1-abc',
      'x-forwarded-for': '203.0.113.9',
      'x-forwarded-proto': 'https',
      'user-agent': 'changed',
    };
    await expect(verifySigV4({ ...request, headers }, new Keys(KEY), at(SIGNED_AT))).resolves.toBeDefined();
  });
});

describe('verifySigV4 refuses malformed authentication', () => {
  const good = () => botocoreSign(cliControlPlane('ListModels', {}));
  const withAuth = (authorization: string | undefined) => {
    const request = good();
    return { ...request, headers: { ...request.headers, authorization } };
  };
  const scope = `${KEY.accessKeyId}/20260314/eu-west-1/sagemaker/aws4_request`;
  const sig = 'a'.repeat(64);

  it('no Authorization header', async () => {
    await expectAuthError(
      verifySigV4(withAuth(undefined), new Keys(KEY), at(SIGNED_AT)),
      'MissingAuthenticationTokenException',
      'Missing Authentication Token',
    );
    await expectAuthError(
      verifySigV4(withAuth(''), new Keys(KEY), at(SIGNED_AT)),
      'MissingAuthenticationTokenException',
    );
  });

  it.each([
    ['Bearer abc', /Unsupported Authorization type 'Bearer'/],
    ['AWS AKID:sig', /Unsupported Authorization type 'AWS'/],
    ['AWS4-HMAC-SHA256', /requires 'Credential' parameter.*requires 'Signature'.*requires 'SignedHeaders'/],
    [
      `AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=host`,
      /^Authorization header requires 'Signature' parameter\.$/,
    ],
    [`AWS4-HMAC-SHA256 SignedHeaders=host, Signature=${sig}`, /^Authorization header requires 'Credential'/],
    [`AWS4-HMAC-SHA256 Credential=${scope}, Signature=${sig}`, /requires 'SignedHeaders'/],
    [
      `AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=host, Signature=xyz`,
      /Signature must be 64 hexadecimal/,
    ],
    [
      `AWS4-HMAC-SHA256 Credential=${KEY.accessKeyId}/20260314/eu-west-1/sagemaker, SignedHeaders=host, Signature=${sig}`,
      /Credential must have exactly 5 slash-delimited elements/,
    ],
  ])('%s', async (authorization, message) => {
    await expectAuthError(
      verifySigV4(withAuth(authorization), new Keys(KEY), at(SIGNED_AT)),
      'IncompleteSignatureException',
      message,
    );
  });

  it('a wrong scope terminator', async () => {
    await expectAuthError(
      verifySigV4(
        withAuth(
          `AWS4-HMAC-SHA256 Credential=${KEY.accessKeyId}/20260314/eu-west-1/sagemaker/aws4, SignedHeaders=host, Signature=${sig}`,
        ),
        new Keys(KEY),
        at(SIGNED_AT),
      ),
      'InvalidSignatureException',
      "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws4'.",
    );
  });

  it('no date', async () => {
    const request = good();
    const { 'x-amz-date': _, ...headers } = request.headers;
    await expectAuthError(
      verifySigV4({ ...request, headers }, new Keys(KEY), at(SIGNED_AT)),
      'IncompleteSignatureException',
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
    );
  });

  it('a date that is not ISO 8601 basic', async () => {
    const request = good();
    const headers = { ...request.headers, 'x-amz-date': '2026-03-14T15:09:26Z' };
    await expectAuthError(
      verifySigV4({ ...request, headers }, new Keys(KEY), at(SIGNED_AT)),
      'IncompleteSignatureException',
      /Date must be in ISO-8601 'basic format'/,
    );
  });
});

describe('canonical forms', () => {
  it.each([
    ['', '/'],
    ['/', '/'],
    ['/endpoints/a%20b/invocations', '/endpoints/a%2520b/invocations'],
    ['/a/./b/../c//d/', '/a/c/d/'],
    ['/..', '/'],
    ["/x!'()*~", '/x%21%27%28%29%2A~'],
    ['/ü', '/%C3%BC'],
  ])('path %s -> %s', (raw, canonical) => {
    expect(canonicalPath(raw)).toBe(canonical);
  });

  it('encodes a decoded path twice', () => {
    expect(canonicalPath('/endpoints/a b%/./x/', true)).toBe('/endpoints/a%2520b%2525/x/');
    expect(canonicalPath('/endpoints/plain-name/invocations', true)).toBe(
      '/endpoints/plain-name/invocations',
    );
  });

  it.each([
    ['', ''],
    ['b=2&a=1', 'a=1&b=2'],
    ['a=2&a=1&a', 'a=&a=1&a=2'],
    ['q=hello+world&r=%2B', 'q=hello%20world&r=%2B'],
    ['Z=1&a=1', 'Z=1&a=1'],
    ['x=%zz', 'x=%25zz'],
    ['k=%E2%9C%93&&', 'k=%E2%9C%93'],
  ])('query %s -> %s', (raw, canonical) => {
    expect(canonicalQuery(raw)).toBe(canonical);
  });
});

describe('signing keys', () => {
  it('are reused across requests of a day, and the key is looked up once per request', async () => {
    const keys = new Keys(KEY);
    const first = await smithySign(invokeRequest());
    const second = await smithySign(invokeRequest({ body: Buffer.from('other') }));
    await verifySigV4(first, keys, at(SIGNED_AT));
    await verifySigV4(second, keys, at(SIGNED_AT));
    expect(keys.lookups).toBe(2);
  });

  it('carry the role of the key that verified', async () => {
    for (const role of ['admin', 'deployer', 'viewer'] satisfies Role[]) {
      const key = { ...KEY, accessKeyId: `AKUS${role.toUpperCase().padEnd(16, '0')}`, role };
      const request = await smithySign(invokeRequest(), { key });
      await expect(verifySigV4(request, new Keys(key), at(SIGNED_AT))).resolves.toEqual({
        accessKeyId: key.accessKeyId,
        role,
      });
    }
  });
});

describe('needsCollapse (the canonical header value scan)', () => {
  // The reference is the regex it replaces: a run of whitespace, or whitespace other than a space.
  const reference = (value: string) => /\s\s|[^\S ]/.test(value);
  // Every JavaScript whitespace character, control characters that are not whitespace, ASCII, beyond ASCII.
  const alphabet = [
    ' ',
    '\t',
    '\n',
    '\v',
    '\f',
    '\r',
    '\u0000',
    '\u0008',
    '\u000e',
    '\u001f',
    '\u007f',
    'a',
    '~',
    '!',
    '\u0085',
    '\u00a0',
    '\u1680',
    '\u2000',
    '\u200a',
    '\u2028',
    '\u2029',
    '\u202f',
    '\u205f',
    '\u3000',
    '\ufeff',
    'é',
    '\u200b',
  ];

  it('agrees with the regex on every string of up to three of these characters', () => {
    const strings = [''];
    for (let length = 0; length < 3; length++) {
      for (const s of strings.filter((x) => x.length === length))
        for (const c of alphabet) strings.push(s + c);
    }
    const disagreements = strings.filter((s) => needsCollapse(s) !== reference(s));
    expect(strings.length).toBeGreaterThan(19_000);
    expect(disagreements.map((s) => [...s].map((c) => c.charCodeAt(0)))).toEqual([]);
  });

  it('agrees inside longer printable values', () => {
    for (const value of ['gzip, deflate', 'a  b', 'a \tb', 'a\u00a0b', 'text/csv', 'x y z', 'a \u3000']) {
      expect(needsCollapse(value)).toBe(reference(value));
    }
  });
});

describe('the Authorization header as the SDKs write it, against the general parse', () => {
  const read = (parse: (header: string) => unknown, header: string) => {
    try {
      return { parsed: parse(header) };
    } catch (error) {
      return { error: error instanceof AuthError ? `${error.type}: ${error.message}` : String(error) };
    }
  };
  const hex = fc.oneof(
    fc.stringMatching(/^[0-9a-fA-F]{64}$/),
    fc.stringMatching(/^[0-9a-fA-F]{63,65}$/),
    // One character out of the hex alphabet: its neighbours in ASCII, and in case.
    fc
      .tuple(
        fc.stringMatching(/^[0-9a-f]{64}$/),
        fc.nat(63),
        fc.constantFrom('g', 'G', '/', ':', '@', '`', ' ', '\u0130', '\u0010', '\u0019', '\u0041', '\u0046'),
      )
      .map(([h, at, c]) => h.slice(0, at) + c + h.slice(at + 1)),
  );
  const piece = fc.constantFrom(
    'AWS4-HMAC-SHA256 ',
    'AWS4-HMAC-SHA256 Credential=',
    'Credential=',
    'AKID/20261125/us-east-1/sagemaker/aws4_request',
    ', SignedHeaders=',
    'host;x-amz-date',
    ', Signature=',
    ',',
    ' ',
    '\t',
    '=',
    'Signature=',
    'x',
    '',
  );
  const header = fc.oneof(
    fc.tuple(piece, piece, piece, piece, piece, piece, hex, piece).map((parts) => parts.join('')),
    fc
      .tuple(
        fc.constantFrom('', ' '),
        fc.constantFrom(
          'a/b',
          'AKID/20261125/us-east-1/sagemaker/aws4_request',
          ' c ',
          'a,b',
          'x, SignedHeaders=y',
          'k=v',
        ),
        fc.constantFrom('host', 'host;x', ''),
        hex,
        fc.constantFrom('', ' ', ',', ', X=1'),
      )
      .map(
        ([lead, credential, signed, signature, tail]) =>
          `${lead}AWS4-HMAC-SHA256 Credential=${credential}, SignedHeaders=${signed}, Signature=${signature}${tail}`,
      ),
  );

  it('reads every header, or refuses it, exactly as the general parse does', () => {
    fc.assert(
      fc.property(header, (h) => {
        expect(read(parseAuthorization, h)).toEqual(read(parseAuthorizationFields, h));
      }),
      { numRuns: 20_000 },
    );
  });
});
