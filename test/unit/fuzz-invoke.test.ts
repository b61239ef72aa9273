import type { Context } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MAX_BODY_BYTES } from '../../lambdas/domain/inference/payload.js';
import type { HttpResult } from '../../lambdas/shared/http.js';
import { INVOKER_KEY, invokeHandlerFor } from '../support/invoke-handler.js';
import { MemoryArtifactSource } from '../support/models.js';
import { signedInvokeEvent } from '../support/signed-event.js';

/**
 * Issue 14: generated InvokeEndpoint requests — bodies (CSV, JSON, bytes), content types,
 * headers, endpoint names, sizes — through the in-process data-plane handler serving the
 * 4-feature regressor. Never a 5xx and never an unhandled exception; every refusal is one
 * of SageMaker Runtime's modelled errors, and nothing refused is mirrored. Bounded: a fixed
 * seed and RUNS requests per property.
 */
const SEED = 1414;
const RUNS = 900;
const NOW = new Date('2026-06-01T12:00:00Z');
/** Small, so that the row limit is reached by generated bodies. */
const MAX_ROWS = 20;
const MODELLED_ERRORS = new Set(['ValidationError', 'ModelError', 'ModelNotReadyException']);
const context = {} as Context;

let setup: Awaited<ReturnType<typeof invokeHandlerFor>>;
let logged: string[] = [];
let requests = 0;
let started = 0;

beforeAll(async () => {
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    logged.push(String(chunk));
    return true;
  });
  const artifacts = new MemoryArtifactSource();
  const artifact = artifacts.register('regressor.onnx', 's3://m');
  setup = await invokeHandlerFor(
    {
      variants: [{ VariantName: 'main', weight: 1, ModelName: 'v1', artifact }],
      capture: {
        enabled: true,
        samplingPercentage: 100,
        destination: 's3://captures/prod',
        captureInput: true,
        captureOutput: true,
        csvContentTypes: ['text/csv'],
        jsonContentTypes: ['application/json'],
      },
    },
    artifacts,
    // Every answered request is mirrored: a refused one that was would show here.
    { now: NOW, seed: 3, maxRows: MAX_ROWS },
  );
  started = performance.now();
});

afterAll(() => {
  vi.mocked(process.stdout.write).mockRestore();
  const seconds = (performance.now() - started) / 1000;
  console.log(`fuzz-invoke: ${requests} requests in ${seconds.toFixed(1)} s`);
});

interface Request {
  readonly endpoint: string;
  readonly body: string | Uint8Array;
  readonly headers: Record<string, string>;
}

async function check(request: Request): Promise<HttpResult> {
  requests++;
  logged = [];
  const mirroredBefore = setup.messages.length;
  const event = await signedInvokeEvent({ key: INVOKER_KEY, now: NOW, ...request });
  const result = await setup.handler(event, context);
  const status = result.statusCode ?? 200;
  const body = String(result.body);
  if (status === 200) expect(setup.messages.length, 'an answer was not captured').toBe(mirroredBefore + 1);
  expect(status, `answered ${body.slice(0, 300)}\n${logged.join('').slice(0, 2000)}`).toBeLessThan(500);
  if (status >= 400) {
    expect(MODELLED_ERRORS, body).toContain(result.headers?.['x-amzn-ErrorType']);
    expect(JSON.parse(body)).toHaveProperty('message');
    expect(setup.messages.length, 'a refused request was mirrored').toBe(mirroredBefore);
  }
  return result;
}

const finite = fc.double({ min: -1e6, max: 1e6, noNaN: true });
/** Cells as clients write them, well and badly. */
const cell = fc.oneof(
  { arbitrary: finite.map(String), weight: 8 },
  fc.constantFrom(
    '',
    ' ',
    'nan',
    'NaN',
    'inf',
    '-inf',
    'Infinity',
    '1e999',
    '0x1F',
    '0b1',
    '1,5',
    '"1"',
    '١',
  ),
  fc.string({ maxLength: 6 }),
);
const width = fc.oneof({ arbitrary: fc.constant(4), weight: 6 }, fc.integer({ min: 0, max: 9 }));
const csvBody = fc
  .tuple(width, fc.integer({ min: 1, max: MAX_ROWS + 5 }), fc.constantFrom('\n', '\r\n'), fc.boolean())
  .chain(([w, rows, eol, trailing]) =>
    fc
      .array(fc.array(cell, { minLength: w, maxLength: w }), { minLength: rows, maxLength: rows })
      .map((lines) => lines.map((l) => l.join(',')).join(eol) + (trailing ? eol : '')),
  );
const jsonValue = fc.oneof(
  { arbitrary: finite, weight: 8 },
  fc.constantFrom(null, 'NaN', 'Infinity', '1', true, {}, []),
);
const jsonRow = fc.oneof(
  { arbitrary: fc.array(jsonValue, { minLength: 4, maxLength: 4 }), weight: 6 },
  fc.array(jsonValue, { maxLength: 6 }),
  fc.array(fc.array(finite, { minLength: 4, maxLength: 4 }), { maxLength: 2 }),
  jsonValue,
);
const jsonBody = fc.oneof(
  fc.array(jsonRow, { maxLength: MAX_ROWS + 5 }).map((rows) => JSON.stringify({ instances: rows })),
  fc.array(jsonRow, { maxLength: MAX_ROWS + 5 }).map((rows) => JSON.stringify(rows)),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc
    .integer({ min: 30, max: 200_000 })
    .map((depth) => `{"instances":${'['.repeat(depth)}1${']'.repeat(depth)}}`),
  fc.constantFrom('{"instances": [[1,2,3,NaN]]}', '{"instances": [[1,2,3,4]]', '[[1,2,3,4]] trailing'),
);
const bytes = fc.uint8Array({ maxLength: 64 });
const contentType = fc.oneof(
  { arbitrary: fc.constantFrom('text/csv', 'application/json'), weight: 6 },
  fc.constantFrom(
    'text/csv; charset=utf-8',
    'application/json;charset=UTF-8',
    'application/jsonlines',
    'application/vnd+json',
    'application/x-npy',
    'image/png',
    'TEXT/CSV',
    '',
    ';;;',
  ),
  fc.string({ maxLength: 20 }),
);
const header = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.constantFrom('main', 'other', '', ' ', 'x'.repeat(2000)),
);
const headers = fc.record(
  {
    'content-type': contentType,
    accept: fc.oneof(
      fc.constantFrom('application/json', 'text/csv', '*/*', 'text/*', 'image/png', ''),
      header,
    ),
    'x-amzn-sagemaker-target-variant': header,
    'x-amzn-sagemaker-inference-id': header,
    'x-amzn-sagemaker-custom-attributes': header,
  },
  { requiredKeys: ['content-type'] },
);

describe('InvokeEndpoint with generated requests', () => {
  it('answers every body, content type and header with a result or a modelled 4xx', async () => {
    const body = fc.oneof(csvBody, jsonBody, bytes);
    await fc.assert(
      fc.asyncProperty(body, headers, async (b, h) => {
        await check({ endpoint: 'ep', body: b, headers: h });
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('answers a well-formed body in the matching type, refusing only what breaks a limit', async () => {
    const rows = fc.array(fc.array(finite, { minLength: 4, maxLength: 4 }), {
      minLength: 1,
      maxLength: MAX_ROWS + 5,
    });
    await fc.assert(
      fc.asyncProperty(rows, fc.boolean(), async (r, csv) => {
        const body = csv ? r.map((row) => row.join(',')).join('\n') : JSON.stringify({ instances: r });
        const result = await check({
          endpoint: 'ep',
          body,
          headers: { 'content-type': csv ? 'text/csv' : 'application/json' },
        });
        // Limits are the test's own numbers, not read back from the handler.
        expect(result.statusCode).toBe(r.length > MAX_ROWS ? 400 : 200);
        if (r.length <= MAX_ROWS) expect(JSON.parse(String(result.body)).predictions).toHaveLength(r.length);
      }),
      { seed: SEED, numRuns: RUNS / 3 },
    );
  });

  it('answers any endpoint name in the path, percent signs included', async () => {
    const name = fc.oneof(
      fc.string({ maxLength: 70 }),
      fc.constantFrom('%', '%E0%A4%A', 'ep%2F..', 'a'.repeat(64)),
    );
    await fc.assert(
      fc.asyncProperty(name, async (endpoint) => {
        await check({ endpoint, body: '1,2,3,4', headers: { 'content-type': 'text/csv' } });
      }),
      { seed: SEED, numRuns: RUNS / 3 },
    );
  });
});

describe('InvokeEndpoint at its limits', () => {
  const oversize = (bytes: number) => `${'1,2,3,4\n'.repeat(Math.ceil(bytes / 8))}`.slice(0, bytes);

  it('refuses a body over 6 MB with a ValidationError SDKs parse, not a bare 413', async () => {
    const result = await check({ endpoint: 'ep', body: oversize(6 * 2 ** 20 + 1), headers: {} });
    expect(result.statusCode).toBe(400);
    expect(result.headers?.['x-amzn-ErrorType']).toBe('ValidationError');
    expect(JSON.parse(String(result.body)).message).toMatch(/6291457 bytes.*at most 6291456/);
  });

  it('reads a body of exactly 6 MB as rows (refused here by the row limit, not the size)', async () => {
    expect(MAX_BODY_BYTES).toBe(6 * 2 ** 20);
    const result = await check({ endpoint: 'ep', body: oversize(6 * 2 ** 20), headers: {} });
    expect(JSON.parse(String(result.body)).message).toMatch(/rows: this endpoint accepts at most 20/);
  });

  it('names the cell holding a non-finite or missing value', async () => {
    for (const [body, message] of [
      ['1,2,nan,4', /column 3: 'nan' is not a number/],
      ['1,2,,4', /column 3 is empty/],
      ['1,2,1e999,4', /column 3: '1e999' is out of range/],
      ['1,2,0x1F,4', /column 3: '0x1F' is not a number/],
    ] as const) {
      const result = await check({ endpoint: 'ep', body, headers: { 'content-type': 'text/csv' } });
      expect(JSON.parse(String(result.body)).message).toMatch(message);
    }
  });

  it('refuses malformed UTF-8, a wide CSV line and deep JSON by name', async () => {
    const cases: [string | Uint8Array, string, RegExp][] = [
      [Uint8Array.from([0x31, 0x2c, 0xff, 0x2c, 0x33, 0x2c, 0x34]), 'text/csv', /not valid UTF-8/],
      [Array.from({ length: 200_001 }, () => '1').join(','), 'text/csv', /more than 200000 values/],
      [`${'['.repeat(40)}1${']'.repeat(40)}`, 'application/json', /deeper than 32 levels/],
    ];
    for (const [body, type, message] of cases) {
      const result = await check({ endpoint: 'ep', body, headers: { 'content-type': type } });
      expect(result.statusCode).toBe(400);
      expect(JSON.parse(String(result.body)).message).toMatch(message);
    }
  });
});
