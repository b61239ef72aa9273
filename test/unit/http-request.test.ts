import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type HttpEvent, toHttpRequest } from '../../lambdas/shared/http.js';

const event = (headers: Record<string, string | undefined> | undefined): HttpEvent =>
  ({
    version: '2.0',
    routeKey: 'POST /',
    rawPath: '/',
    rawQueryString: '',
    headers,
    requestContext: { http: { method: 'POST' }, requestId: 'r', accountId: '1' },
    body: 'x',
    isBase64Encoded: false,
  }) as unknown as HttpEvent;

describe('the request a handler reads from its event', () => {
  it('has lower-case header names and no missing values, whatever the event carried', () => {
    const name = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,12}$/);
    const value = fc.option(fc.string({ maxLength: 8 }), { nil: undefined });
    fc.assert(
      fc.property(fc.dictionary(name, value, { maxKeys: 8 }), (headers) => {
        // What the handler must see: each lower-cased name once with a value (the last one wins).
        const expected: Record<string, string> = {};
        for (const [key, v] of Object.entries(headers)) if (v !== undefined) expected[key.toLowerCase()] = v;
        expect(toHttpRequest(event(headers)).headers).toEqual(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('takes the headers API Gateway delivered as they are, and has none for an event without', () => {
    const delivered = { 'content-type': 'text/csv', 'x-amz-date': '20261125T120000Z' };
    expect(toHttpRequest(event(delivered)).headers).toEqual(delivered);
    expect(toHttpRequest(event({ 'Content-Type': 'text/csv', É: 'x' })).headers).toEqual({
      'content-type': 'text/csv',
      é: 'x',
    });
    expect(toHttpRequest(event(undefined)).headers).toEqual({});
  });
});
