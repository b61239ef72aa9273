import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import * as fc from 'fast-check';
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

/** Route matching as first written here (split the path, compare part by part): the reference. */
function referenceMatch(segments: ReturnType<typeof parseRouteKey>['segments'], path: string) {
  const decode = (value: string) => {
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  };
  const parts = path === '/' ? [] : path.split('/').slice(1);
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    const part = parts[i];
    if (!segment) return undefined;
    if (segment.kind === 'greedy') {
      const rest = parts.slice(i);
      if (rest.length === 0 || rest.join('/') === '') return undefined;
      params[segment.name] = decode(rest.join('/'));
      return params;
    }
    if (part === undefined) return undefined;
    if (segment.kind === 'literal') {
      if (segment.value !== part) return undefined;
    } else {
      if (part === '') return undefined;
      params[segment.name] = decode(part);
    }
  }
  return parts.length === segments.length ? params : undefined;
}

describe('route matching against the reference', () => {
  const part = fc.constantFrom('a', 'b', 'ab', '', '%20', 'x%', '%E2%82%AC', 'invocations');
  const path = fc.array(part, { maxLength: 5 }).map((parts) => `/${parts.join('/')}`);
  const segment = fc.constantFrom('a', 'b', 'ab', 'invocations', '{p}', '{q}');
  const routeKey = fc.tuple(fc.array(segment, { maxLength: 4 }), fc.boolean()).map(([segments, greedy]) => {
    const named = segments.map((s, i) => (s.startsWith('{') ? `{${s.slice(1, -1)}${i}}` : s));
    if (greedy) named.push('{rest+}');
    return `GET /${named.join('/')}`;
  });

  it('matches and extracts exactly as splitting the path does, on any path and route', () => {
    fc.assert(
      fc.property(fc.array(routeKey, { minLength: 1, maxLength: 4 }), path, (keys, requested) => {
        const table = keys.map((key) => ({ routeKey: key }));
        const match = matchRoute(table, 'GET', requested);
        // The table picks the most specific match; the reference says which routes match at all.
        const matching = keys.filter((key) => referenceMatch(parseRouteKey(key).segments, requested));
        if (matching.length === 0) {
          expect(match).toBeUndefined();
          return;
        }
        expect(match).toBeDefined();
        expect(matching).toContain(match?.routeKey);
        expect(match?.pathParameters).toEqual(
          referenceMatch(parseRouteKey(match?.routeKey as string).segments, requested),
        );
      }),
      { numRuns: 3000 },
    );
  });
});

describe('headers taken over from Node', () => {
  it('give the same event as the raw headers, with repeated, cookie and set-cookie headers', async () => {
    const received: IncomingMessage[] = [];
    const server = createServer((req, res) => {
      received.push(req);
      req.resume();
      req.on('end', () => res.end());
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    // Raw bytes on a socket: an HTTP client would merge or refuse some of these headers itself.
    const send = (headers: [string, string][]) =>
      new Promise<void>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1');
        const lines = headers.map(([name, value]) => `${name}: ${value}\r\n`).join('');
        const host = headers.some(([name]) => name.toLowerCase() === 'host') ? '' : 'Host: h\r\n';
        socket.end(`POST /x HTTP/1.1\r\n${host}${lines}Content-Length: 3\r\nConnection: close\r\n\r\n1,2`);
        let answer = '';
        socket.on('data', (chunk) => {
          answer += chunk;
        });
        socket.on('close', () =>
          answer.startsWith('HTTP/1.1 200') ? resolve() : reject(new Error(`answered ${answer}`)),
        );
        socket.on('error', reject);
      });
    const cases: [string, string][][] = [
      [
        ['Content-Type', 'text/csv'],
        ['X-Amz-Date', '20261125T120000Z'],
        ['Accept', 'application/json'],
      ],
      [
        ['X-Custom', 'a'],
        ['x-custom', 'b'],
        ['Content-Type', 'text/csv'],
      ],
      [
        ['Content-Type', 'text/csv'],
        ['content-type', 'application/json'],
      ],
      [
        ['Cookie', 'a=1'],
        ['Cookie', 'b=2'],
        ['Host', 'example.com:8080'],
      ],
      [['Set-Cookie', 'a=1']],
      [
        ['Host', '[::1]:4567'],
        ['X-Forwarded-For', '10.0.0.1'],
        ['User-Agent', 'ua'],
      ],
    ];
    try {
      for (const headers of cases) await send(headers);
    } finally {
      server.close();
    }
    expect(received).toHaveLength(cases.length);
    for (const req of received) {
      const request = {
        method: 'POST',
        url: '/x',
        rawHeaders: req.rawHeaders,
        body: Buffer.from('1,2'),
        sourceIp: '127.0.0.1',
        protocol: 'HTTP/1.1',
      };
      const options = {
        routeKey: 'POST /x',
        pathParameters: {},
        requestId: 'r',
        now: new Date(0),
        accountId: '1',
        apiId: 'a',
      };
      const fromRaw = buildHttpApiEvent(request, options);
      const fromNode = buildHttpApiEvent({ ...request, parsedHeaders: { ...req.headers } }, options);
      expect(fromNode).toEqual(fromRaw);
    }
  });

  it('find the Host port as a regular expression would', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(':', ']', '[', '1', '80', 'a', '.'), { maxLength: 8 }),
        (chars) => {
          const host = chars.join('');
          const event = buildHttpApiEvent(
            {
              method: 'GET',
              url: '/',
              rawHeaders: ['Host', host],
              body: Buffer.alloc(0),
              sourceIp: '1.2.3.4',
              protocol: 'HTTP/1.1',
            },
            { routeKey: '$default', pathParameters: {}, accountId: '1', apiId: 'a' },
          );
          expect(event.headers['x-forwarded-port']).toBe(host === '' ? undefined : /:(\d+)$/.exec(host)?.[1]);
        },
      ),
      { numRuns: 2000 },
    );
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
