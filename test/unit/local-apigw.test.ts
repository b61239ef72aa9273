import { describe, expect, it } from 'vitest';
import {
  buildHttpApiEvent,
  collectHeaders,
  formatRequestTime,
  mapLambdaResult,
  matchRoute,
  parseQueryString,
  parseRouteKey,
} from '../../scripts/local/apigw.js';

const routes = [
  { routeKey: 'POST /endpoints/{EndpointName}/invocations', fn: 'invoke' },
  { routeKey: 'POST /', fn: 'control' },
];

describe('route matching', () => {
  it('matches the stack routes and extracts path parameters', () => {
    const match = matchRoute(routes, 'POST', '/endpoints/my-endpoint/invocations');
    expect(match?.route.fn).toBe('invoke');
    expect(match?.routeKey).toBe('POST /endpoints/{EndpointName}/invocations');
    expect(match?.pathParameters).toEqual({ EndpointName: 'my-endpoint' });
    expect(matchRoute(routes, 'post', '/')?.route.fn).toBe('control');
  });

  it('decodes path parameters', () => {
    expect(matchRoute(routes, 'POST', '/endpoints/a%20b/invocations')?.pathParameters).toEqual({
      EndpointName: 'a b',
    });
  });

  it('answers undefined (404) for other methods, paths and extra segments', () => {
    expect(matchRoute(routes, 'GET', '/')).toBeUndefined();
    expect(matchRoute(routes, 'POST', '/endpoints//invocations')).toBeUndefined();
    expect(matchRoute(routes, 'POST', '/endpoints/x/invocations/more')).toBeUndefined();
    expect(matchRoute(routes, 'POST', '/endpoints/x')).toBeUndefined();
    expect(matchRoute(routes, 'POST', '/other')).toBeUndefined();
  });

  it('prefers literal segments, then variables, then greedy variables, then $default', () => {
    const all = [
      { routeKey: '$default' },
      { routeKey: 'ANY /{proxy+}' },
      { routeKey: 'GET /pets/{id}' },
      { routeKey: 'GET /pets/dog' },
      { routeKey: 'ANY /pets/dog' },
    ];
    expect(matchRoute(all, 'GET', '/pets/dog')?.routeKey).toBe('GET /pets/dog');
    expect(matchRoute(all, 'POST', '/pets/dog')?.routeKey).toBe('ANY /pets/dog');
    expect(matchRoute(all, 'GET', '/pets/cat')?.routeKey).toBe('GET /pets/{id}');
    const greedy = matchRoute(all, 'DELETE', '/a/b/c');
    expect(greedy?.routeKey).toBe('ANY /{proxy+}');
    expect(greedy?.pathParameters).toEqual({ proxy: 'a/b/c' });
    expect(matchRoute(all, 'GET', '/')?.routeKey).toBe('$default');
  });

  it('rejects greedy variables that are not last', () => {
    expect(() => parseRouteKey('GET /{a+}/b')).toThrow(/last/);
    expect(() => parseRouteKey('nonsense')).toThrow(/invalid route key/);
  });
});

describe('payload format 2.0 events', () => {
  const request = {
    method: 'POST',
    url: '/endpoints/ep/invocations?a=1&b=x%20y&a=2&flag',
    rawHeaders: [
      'Host',
      '127.0.0.1:4567',
      'Content-Type',
      'text/csv',
      'X-Amzn-SageMaker-Custom-Attributes',
      'c1',
      'x-amzn-sagemaker-custom-attributes',
      'c2',
      'User-Agent',
      'aws-sdk-js/3',
      'Cookie',
      'a=1; b=2',
    ],
    body: Buffer.from('1,2,3\n'),
    sourceIp: '127.0.0.1',
    protocol: 'HTTP/1.1',
  };
  const now = new Date('2026-03-12T19:03:58.123Z');
  const event = buildHttpApiEvent(request, {
    routeKey: 'POST /endpoints/{EndpointName}/invocations',
    pathParameters: { EndpointName: 'ep' },
    requestId: 'req-1',
    now,
    accountId: '123456789012',
    apiId: 'local',
  });

  it('has the shape API Gateway sends', () => {
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /endpoints/{EndpointName}/invocations',
      rawPath: '/endpoints/ep/invocations',
      rawQueryString: 'a=1&b=x%20y&a=2&flag',
      cookies: ['a=1', 'b=2'],
      queryStringParameters: { a: '1,2', b: 'x y', flag: '' },
      pathParameters: { EndpointName: 'ep' },
      requestContext: {
        accountId: '123456789012',
        apiId: 'local',
        domainName: '127.0.0.1:4567',
        http: {
          method: 'POST',
          path: '/endpoints/ep/invocations',
          protocol: 'HTTP/1.1',
          sourceIp: '127.0.0.1',
          userAgent: 'aws-sdk-js/3',
        },
        requestId: 'req-1',
        routeKey: 'POST /endpoints/{EndpointName}/invocations',
        stage: '$default',
        time: '12/Mar/2026:19:03:58 +0000',
        timeEpoch: now.getTime(),
      },
      body: '1,2,3\n',
      isBase64Encoded: false,
    });
  });

  it('lower-cases headers, joins repeats with commas and moves cookies out', () => {
    expect(event.headers['content-type']).toBe('text/csv');
    expect(event.headers['x-amzn-sagemaker-custom-attributes']).toBe('c1,c2');
    expect(event.headers.cookie).toBeUndefined();
    expect(event.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(event.headers['x-forwarded-port']).toBe('4567');
  });

  const withBody = (contentType: string | undefined, body: Buffer) =>
    buildHttpApiEvent(
      {
        ...request,
        rawHeaders: ['Host', 'h', ...(contentType === undefined ? [] : ['Content-Type', contentType])],
        body,
      },
      { routeKey: 'POST /', pathParameters: {}, accountId: '1', apiId: 'a' },
    );

  it('carries a text body as text and any other as base64, byte for byte', () => {
    for (const type of [
      'text/csv',
      'application/json',
      'application/x-amz-json-1.1',
      'application/ld+json; charset=utf-8',
      'TEXT/PLAIN',
    ]) {
      const e = withBody(type, Buffer.from('é,1\n'));
      expect([type, e.body, e.isBase64Encoded]).toEqual([type, 'é,1\n', false]);
    }
    const binary = Buffer.from([0, 255, 128, 10]);
    for (const type of [undefined, 'application/octet-stream', 'application/x-npy', 'image/png']) {
      const e = withBody(type, Buffer.from('1,2'));
      expect([type, e.body, e.isBase64Encoded]).toEqual([type, Buffer.from('1,2').toString('base64'), true]);
    }
    // Declared text, but not UTF-8 (Latin-1 é): base64, so that the bytes arrive exact.
    const latin1 = Buffer.from([0x31, 0x2c, 0xe9, 0x0a]);
    for (const [type, body] of [
      ['text/csv', latin1],
      ['application/octet-stream', binary],
    ] as const) {
      const e = withBody(type, body);
      expect(e.isBase64Encoded).toBe(true);
      expect(Buffer.from(e.body ?? '', 'base64')).toEqual(body);
    }
  });

  it('leaves out body, query, cookies and path parameters when there are none', () => {
    const e = buildHttpApiEvent(
      { ...request, url: '/', rawHeaders: ['Host', 'h'], body: Buffer.alloc(0) },
      { routeKey: 'POST /', pathParameters: {}, accountId: '1', apiId: 'a' },
    );
    expect(e.body).toBeUndefined();
    expect(e.isBase64Encoded).toBe(false);
    expect(e.rawQueryString).toBe('');
    expect('queryStringParameters' in e).toBe(false);
    expect('cookies' in e).toBe(false);
    expect('pathParameters' in e).toBe(false);
  });

  it('helpers', () => {
    expect(collectHeaders(['A', '1', 'a', '2', 'B', ''])).toEqual({ a: '1,2', b: '' });
    expect(parseQueryString('')).toBeUndefined();
    expect(formatRequestTime(new Date('2020-01-02T03:04:05Z'))).toBe('02/Jan/2020:03:04:05 +0000');
  });
});

describe('result mapping', () => {
  const ok = (result: unknown) => {
    const mapped = mapLambdaResult(result);
    if ('error' in mapped) throw new Error(mapped.error);
    return mapped.response;
  };

  it('uses a structured result as the response', () => {
    const response = ok({
      statusCode: 424,
      headers: { 'Content-Type': 'application/json', 'X-Count': 3 },
      body: '{"ErrorCode":"ModelError"}',
      cookies: ['a=1', 'b=2; Path=/'],
    });
    expect(response.statusCode).toBe(424);
    expect(response.headers).toEqual([
      ['content-type', 'application/json'],
      ['x-count', '3'],
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=2; Path=/'],
    ]);
    expect(response.body.toString()).toBe('{"ErrorCode":"ModelError"}');
  });

  it('decodes base64 bodies', () => {
    const response = ok({
      statusCode: 200,
      body: Buffer.from([1, 2, 255]).toString('base64'),
      isBase64Encoded: true,
    });
    expect([...response.body]).toEqual([1, 2, 255]);
  });

  it('a status code without body is an empty response', () => {
    const response = ok({ statusCode: 501 });
    expect(response.statusCode).toBe(501);
    expect(response.body.length).toBe(0);
  });

  it('infers 200 application/json for anything else', () => {
    expect(ok('hello').body.toString()).toBe('hello');
    expect(ok('hello').headers).toEqual([['content-type', 'application/json']]);
    expect(ok({ message: 'hi' }).body.toString()).toBe('{"message":"hi"}');
    expect(ok([1, 2]).body.toString()).toBe('[1,2]');
    expect(ok(undefined).body.toString()).toBe('null');
    expect(ok(42).statusCode).toBe(200);
  });

  it('reports malformed structured results (API Gateway answers 500)', () => {
    expect(mapLambdaResult({ statusCode: '200' })).toHaveProperty('error');
    expect(mapLambdaResult({ statusCode: 200, body: { a: 1 } })).toHaveProperty('error');
    expect(mapLambdaResult({ statusCode: 200, headers: 'x' })).toHaveProperty('error');
    expect(mapLambdaResult({ statusCode: 99 })).toHaveProperty('error');
  });
});
