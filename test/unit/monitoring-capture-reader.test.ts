/**
 * The byte-level capture reader (statistics/capture-bytes.ts, `CaptureReader`,
 * `scanCsvBytes`, the bulk sketch feed) against the plain reading it replaces: JSON.parse of
 * each line, `captureData[side]`, decodeCaptureData, addPayload (the string CSV scanner).
 * Generated capture files mix CSV, JSON and BASE64 payloads, escapes of every kind (quotes,
 * backslashes, \uXXXX, lone surrogates, control characters), odd layouts (spaces, key order,
 * duplicate keys, nested look-alikes) and malformed lines (cut, with a byte inserted, deleted
 * or replaced). Both readings must give the same accumulators, byte for byte of their JSON,
 * the same counts of records, rows and unparseable lines, and the same records added.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CaptureReader,
  type CaptureSide,
  CenteredSketch,
  DatasetAccumulator,
  decodeCaptureData,
  loadLineKernel,
} from '../../lambdas/domain/model-monitor/statistics/index.js';
import { KernelAnswer, type LineKernel } from '../../lambdas/domain/model-monitor/statistics/line-kernel.js';
import { binKeyFunction, keyTableFor } from '../../lambdas/domain/model-monitor/statistics/sketch.js';

const SEED = 16_3;
const RUNS = 400;
const NAMES = ['a', 'b', 'c'];

/** The reading the fast reader must equal: JSON.parse per line, as a Python user would do it. */
function referenceRead(text: string, side: CaptureSide): { acc: DatasetAccumulator; added: number } {
  const acc = new DatasetAccumulator(NAMES);
  let added = 0;
  for (const line of text.split('\n')) {
    if (line.length === 0 || (line.length === 1 && line.charCodeAt(0) <= 32)) continue;
    let capture: Record<string, unknown> | undefined;
    try {
      const record = JSON.parse(line) as { captureData?: Record<string, unknown> } | null;
      capture = record?.captureData?.[side] as Record<string, unknown> | undefined;
    } catch {
      capture = undefined;
    }
    if (!capture || typeof capture.data !== 'string') {
      acc.addUnparseable(`not a capture record with captureData.${side}.data`);
      continue;
    }
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const observedContentType = str(capture.observedContentType);
    const encoding = str(capture.encoding);
    const payload = decodeCaptureData({
      data: capture.data,
      ...(observedContentType === undefined ? {} : { observedContentType }),
      ...(encoding === undefined ? {} : { encoding }),
    });
    if (acc.addPayload(payload)) added++;
  }
  return { acc, added };
}

// ---------------------------------------------------------------------------------------------
// Generators

const numberCell = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).map((x) => x.toFixed(3)),
  fc.double({ noNaN: true }).map(String),
  fc.constantFrom('007', '-0', '+5', '- 5', '1e5', '1E-3', '2.5e+10', '.5', '5.', '1e', '1e999', '00.10'),
  fc.bigInt({ min: -(10n ** 25n), max: 10n ** 25n }).map(String),
);
const textCell = fc.oneof(
  fc.constantFrom('retail', 'yes', 'a"b', 'x\\y', 'é', '😀', '\u2028', '\ud800', ' padded ', '\t', 'true'),
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.string({ unit: 'binary-ascii', maxLength: 6 }),
);
const csvCell = fc.oneof(
  { weight: 6, arbitrary: numberCell },
  { weight: 2, arbitrary: textCell },
  { weight: 1, arbitrary: fc.constant('') },
  {
    weight: 2,
    arbitrary: fc
      .oneof(textCell, fc.constantFrom('say "hi"', '"', 'a,b', 'line\nbreak', '3.5'))
      .map((t) => `"${t.replaceAll('"', '""')}"`),
  },
  { weight: 1, arbitrary: numberCell.map((n) => ` ${n} `) },
);
const csvRow = fc.array(csvCell, { minLength: 1, maxLength: 5 }).map((cells) => cells.join(','));
const csvPayload = fc.oneof(
  { weight: 5, arbitrary: csvRow },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.array(csvRow, { minLength: 1, maxLength: 3 }), fc.constantFrom('\n', '\r\n'))
      .map(([rows, eol]) => rows.join(eol)),
  },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '1,"unterminated', '\n\n', ',') },
);
const jsonValue = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  textCell,
  fc.boolean(),
  fc.constant(null),
);
const jsonPayload = fc.oneof(
  fc.array(jsonValue, { maxLength: 4 }).map((row) => JSON.stringify({ instances: [row] })),
  fc.array(fc.array(jsonValue, { maxLength: 3 }), { maxLength: 3 }).map((rows) => JSON.stringify(rows)),
  fc.dictionary(fc.constantFrom('a', 'b', 'c', 'z'), jsonValue).map((o) => JSON.stringify(o)),
  fc.constantFrom('{not json', '[]', '"x"', '{"instances": []}'),
);

interface Side {
  readonly data: unknown;
  readonly observedContentType?: unknown;
  readonly mode?: unknown;
  readonly encoding?: unknown;
}

const side: fc.Arbitrary<Side> = fc.oneof(
  {
    weight: 6,
    arbitrary: csvPayload.map((data) => ({
      observedContentType: 'text/csv',
      mode: 'INPUT',
      data,
      encoding: 'CSV',
    })),
  },
  { weight: 2, arbitrary: csvPayload.map((data) => ({ data })) },
  {
    weight: 2,
    arbitrary: jsonPayload.map((data) => ({
      observedContentType: 'application/json',
      mode: 'INPUT',
      data,
      encoding: 'JSON',
    })),
  },
  { weight: 1, arbitrary: jsonPayload.map((data) => ({ data, encoding: 'JSON' })) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.oneof(csvPayload, jsonPayload),
        fc.constantFrom('text/csv', 'application/json'),
        fc.constantFrom('BASE64', 'base64'),
      )
      .map(([text, type, encoding]) => ({
        observedContentType: type,
        data: Buffer.from(text, 'utf8').toString('base64'),
        encoding,
      })),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      data: fc.oneof(csvPayload, fc.integer(), fc.constant(null), fc.array(fc.integer(), { maxLength: 2 })),
      observedContentType: fc.oneof(
        fc.constantFrom(
          'text/csv; charset=utf-8',
          'TEXT/CSV',
          'application/jsonlines',
          'image/png',
          'text/c\u0073v',
        ),
        fc.integer(),
      ),
      mode: fc.oneof(fc.constant('OUTPUT'), fc.integer()),
      encoding: fc.oneof(fc.constantFrom('csv', 'Json', 'UTF-8'), fc.constant(false)),
    }),
  },
);

/** A capture record's JSON text, laid out in one of several ways. */
const captureLine = fc
  .record({
    input: side,
    output: side,
    order: fc.boolean(),
    extra: fc.option(fc.dictionary(fc.constantFrom('data', 'endpointInput', 'captureData', 'x'), jsonValue), {
      nil: undefined,
    }),
    spaced: fc.boolean(),
    escapeNonAscii: fc.boolean(),
    escapeSlash: fc.boolean(),
    duplicate: fc.constantFrom('none', 'data', 'side', 'captureData'),
  })
  .map(({ input, output, order, extra, spaced, escapeNonAscii, escapeSlash, duplicate }) => {
    const captureData: Record<string, unknown> = order
      ? { endpointInput: input, endpointOutput: output }
      : { endpointOutput: output, endpointInput: input };
    if (extra) captureData.nested = { endpointInput: extra, data: 'not this' };
    const record = {
      captureData,
      eventMetadata: {
        eventId: '00000000-0000-4000-8000-000000000001',
        inferenceTime: '2026-11-25T12:00:00.000Z',
      },
      eventVersion: '0',
      ...(extra ? { extra } : {}),
    };
    let text = JSON.stringify(record, null, spaced ? 1 : undefined).replaceAll('\n', spaced ? ' ' : '');
    if (escapeNonAscii) {
      text = text.replace(/[^\p{ASCII}]/gu, (ch) =>
        [...ch].map((u) => `\\u${u.charCodeAt(0).toString(16).padStart(4, '0')}`).join(''),
      );
      text = text.replace(/[\ud800-\udfff]/g, (u) => `\\u${u.charCodeAt(0).toString(16)}`);
    }
    if (escapeSlash) text = text.replaceAll('/', '\\/');
    // Duplicate keys: JSON.parse keeps the last; the generator puts another occurrence after.
    if (duplicate === 'data') text = text.replace('"data":', '"data":"9,9,9","data":');
    if (duplicate === 'side')
      text = text.replace('"endpointInput":', '"endpointInput":{"data":"8,8"},"endpointInput":');
    if (duplicate === 'captureData')
      text = text.replace(/}$/, ',"captureData":{"endpointInput":{"data":"7"}}}');
    return text;
  });

/** Lines that JSON.parse may or may not accept: cut, a byte inserted, deleted or replaced. */
const damagedLine = fc
  .tuple(
    captureLine,
    fc.nat(),
    fc.constantFrom('cut', 'insert', 'delete', 'replace'),
    fc.constantFrom('"', '\\', '}', ',', '\t', '\u0001', 'x', '1', ' ', '{', 'é'),
  )
  .map(([text, at, how, ch]) => {
    const i = text.length === 0 ? 0 : at % text.length;
    if (how === 'cut') return text.slice(0, i);
    if (how === 'insert') return text.slice(0, i) + ch + text.slice(i);
    if (how === 'delete') return text.slice(0, i) + text.slice(i + 1);
    return text.slice(0, i) + ch + text.slice(i + 1);
  });

const anyLine = fc.oneof(
  { weight: 6, arbitrary: captureLine },
  { weight: 3, arbitrary: damagedLine },
  {
    weight: 1,
    arbitrary: fc.constantFrom('', ' ', '\r', '  ', 'garbage', '[]', 'null', '{}', '{"captureData":5}'),
  },
);

const captureFile = fc
  .tuple(fc.array(anyLine, { maxLength: 12 }), fc.constantFrom('\n', '\r\n'), fc.boolean())
  .map(([lines, eol, trailing]) => lines.join(eol) + (trailing && lines.length > 0 ? eol : ''));

/**
 * Files whose lines share one layout and differ in their string values (as real capture files
 * do), some damaged: what the reader's line templates see.
 */
const uniformFile = fc
  .tuple(
    fc.record({
      contentType: fc.constantFrom('text/csv', 'application/json', 'text/plain'),
      spaced: fc.boolean(),
    }),
    fc.array(
      fc.tuple(
        fc.oneof({ weight: 4, arbitrary: csvPayload }, { weight: 1, arbitrary: jsonPayload }),
        fc.string({ unit: 'binary', maxLength: 8 }),
        fc.constantFrom('CSV', 'JSON', 'BASE64', 'C"V', 'CS\\V'),
        fc.option(fc.tuple(fc.nat(), fc.constantFrom('"', '\\', '}', 'x', '\t', ' ')), { nil: undefined }),
      ),
      { minLength: 1, maxLength: 15 },
    ),
  )
  .map(([layout, lines]) =>
    lines
      .map(([data, id, encoding, damage], n) => {
        const value = encoding === 'BASE64' ? Buffer.from(data).toString('base64') : data;
        const sep = layout.spaced ? ', ' : ',';
        let text =
          `{"captureData":{"endpointInput":{"observedContentType":"${layout.contentType}"${sep}"mode":"INPUT","data":${JSON.stringify(value)},"encoding":"${encoding}"},` +
          `"endpointOutput":{"observedContentType":"text/csv","mode":"OUTPUT","data":"0.${n}","encoding":"CSV"}},` +
          `"eventMetadata":{"eventId":${JSON.stringify(id)},"n":${n % 2}},"eventVersion":"0"}`;
        if (damage) {
          const i = damage[0] % text.length;
          text = text.slice(0, i) + damage[1] + text.slice(i + 1);
        }
        return text;
      })
      .join('\n'),
  );

function fastRead(
  bytes: Uint8Array,
  side: CaptureSide,
  cuts: number[],
): { acc: DatasetAccumulator; added: number } {
  const acc = new DatasetAccumulator(NAMES);
  const reader = new CaptureReader([{ accumulator: acc, side }]);
  let from = 0;
  for (const cut of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)) {
    reader.push(bytes.subarray(from, cut));
    from = cut;
  }
  reader.push(bytes.subarray(from));
  reader.end();
  return { acc, added: reader.added[0] as number };
}

// Twice: in JavaScript alone, then with the WebAssembly line kernel loaded (line-kernel.ts),
// which the JavaScript match must agree with on every line (once loaded, it stays: in order).
describe.each([
  ['the byte-level capture reader', false],
  ['the byte-level capture reader, with the line kernel', true],
])('%s', (_title, withKernel) => {
  let kernel: LineKernel | undefined;
  const before = [0, 0, 0];
  beforeAll(async () => {
    if (!withKernel) return;
    kernel = await loadLineKernel();
    before.splice(0, 3, ...kernel.answers);
  });
  afterAll(() => {
    // The kernel answered, and said Yes and No itself (not only Unsure, which the JavaScript reads).
    if (!kernel) return;
    expect(kernel.answers[KernelAnswer.Yes]).toBeGreaterThan((before[KernelAnswer.Yes] as number) + 1000);
    expect(kernel.answers[KernelAnswer.No]).toBeGreaterThan((before[KernelAnswer.No] as number) + 100);
    expect(kernel.answers[KernelAnswer.Unsure]).toBeGreaterThan(before[KernelAnswer.Unsure] as number);
  });

  it('reads every generated capture file as JSON.parse-based reading does, in chunks cut anywhere', () => {
    fc.assert(
      fc.property(
        captureFile,
        fc.constantFrom<CaptureSide>('endpointInput', 'endpointOutput'),
        fc.array(fc.nat(), { maxLength: 4 }),
        (text, side, cuts) => {
          const expected = referenceRead(text, side);
          const bytes = Buffer.from(text, 'utf8');
          const whole = new DatasetAccumulator(NAMES);
          const addedWhole = whole.addCaptureFile(text, { side });
          const chunked = fastRead(new Uint8Array(bytes), side, cuts);
          expect(whole.summary).toEqual(expected.acc.summary);
          expect(addedWhole).toBe(expected.added);
          expect(JSON.stringify(whole.toJSON())).toBe(JSON.stringify(expected.acc.toJSON()));
          expect(chunked.added).toBe(expected.added);
          expect(JSON.stringify(chunked.acc.toJSON())).toBe(JSON.stringify(expected.acc.toJSON()));
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('reads files of one layout (the fast path for repeated structure) as JSON.parse-based reading does', () => {
    fc.assert(
      fc.property(
        uniformFile,
        fc.constantFrom<CaptureSide>('endpointInput', 'endpointOutput'),
        (text, side) => {
          const expected = referenceRead(text, side);
          const acc = new DatasetAccumulator(NAMES);
          expect(acc.addCaptureFile(text, { side })).toBe(expected.added);
          expect(acc.summary).toEqual(expected.acc.summary);
          expect(JSON.stringify(acc.toJSON())).toBe(JSON.stringify(expected.acc.toJSON()));
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('compares a line with the template byte for byte: any one byte changed, inserted or deleted anywhere reads as JSON.parse does', () => {
    // The template is compared 4 bytes at a time, strings included, and a string that differs
    // is read on to its own closing quote: a change at every offset of the line (so at every
    // position within a 4-byte word, and just after each backslash of a template string that
    // holds escapes) must read as the full scan does, and bytes after the line's end too.
    const plain =
      '{"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT","data":"1.5,22,abc","encoding":"CSV"},' +
      '"endpointOutput":{"observedContentType":"text/csv","mode":"OUTPUT","data":"0.25","encoding":"CSV"}},' +
      '"eventMetadata":{"eventId":"e-1","inferenceTime":"2026-11-25T12:00:00.000Z"},"eventVersion":"0"}';
    const escaped = plain
      .replace('"e-1"', String.raw`"e-\"1\u0041"`)
      .replace('"eventVersion":"0"', String.raw`"eventVersion":"\\0"`);
    for (const line of [plain, escaped]) {
      const changes: string[] = [];
      for (let i = 0; i <= line.length; i++) {
        for (const replacement of [' ', 'x', '"', '1', '}', '\\']) {
          changes.push(line.slice(0, i) + replacement + line.slice(i));
          if (i < line.length && line[i] !== replacement) {
            changes.push(line.slice(0, i) + replacement + line.slice(i + 1));
          }
        }
        if (i < line.length) changes.push(line.slice(0, i) + line.slice(i + 1));
      }
      for (const side of ['endpointInput', 'endpointOutput'] as const) {
        for (const changed of changes) {
          const text = `${line}\n${changed}\n${line}\n`;
          const expected = referenceRead(text, side);
          const acc = new DatasetAccumulator(NAMES);
          expect(acc.addCaptureFile(text, { side }), changed).toBe(expected.added);
          expect(JSON.stringify(acc.toJSON()), changed).toBe(JSON.stringify(expected.acc.toJSON()));
        }
      }
    }
  });

  it('reads decimal cells (the staging fast paths) as the general number reading does', () => {
    // Digits, a point and fraction digits around the fast path's limit of 15 digits, leading
    // and trailing zeros, a sign before (the kernel reads a minus), and what must leave the
    // fast paths: "5.", a space, an exponent, a sign after.
    const digits = (min: number, max: number) =>
      fc
        .array(fc.constantFrom('0', '1', '5', '9'), { minLength: min, maxLength: max })
        .map((d) => d.join(''));
    const cell = fc
      .tuple(
        fc.constantFrom('', '', '-', '-', '+', '- '),
        digits(1, 18),
        fc.option(digits(0, 8), { nil: undefined }),
        fc.constantFrom('', '', '', ' ', 'e5', '-', 'x'),
      )
      .map(
        ([sign, whole, fraction, tail]) =>
          `${sign}${whole}${fraction === undefined ? '' : `.${fraction}`}${tail}`,
      );
    fc.assert(
      fc.property(
        fc.array(fc.array(cell, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 }),
        (rows) => {
          const text = rows
            .map(
              (cells, n) =>
                `{"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT","data":"${cells.join(',')}","encoding":"CSV"}},"eventMetadata":{"eventId":"e-${n}"}}`,
            )
            .join('\n');
          const expected = referenceRead(text, 'endpointInput');
          const acc = new DatasetAccumulator(NAMES);
          expect(acc.addCaptureFile(text)).toBe(expected.added);
          expect(JSON.stringify(acc.toJSON())).toBe(JSON.stringify(expected.acc.toJSON()));
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('reads a chunk larger than the line kernel starts with (its memory grows) as JSON.parse does', () => {
    const line = (n: number) =>
      `{"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT","data":"${n}.25,${n % 7},x${n % 3}","encoding":"CSV"}},"eventMetadata":{"eventId":"${'0'.repeat(400)}${n}"}}`;
    const text = `${Array.from({ length: 12_000 }, (_, n) => line(n)).join('\n')}\n`;
    expect(text.length).toBeGreaterThan(5 << 20);
    const expected = referenceRead(text, 'endpointInput');
    const acc = new DatasetAccumulator(NAMES);
    expect(acc.addCaptureFile(text)).toBe(expected.added);
    expect(JSON.stringify(acc.toJSON())).toBe(JSON.stringify(expected.acc.toJSON()));
  });

  it('counts every malformed or foreign line as unparseable, never skips it', () => {
    const lines = [
      '{"captureData":{"endpointInput":{"data":"1,2,3"}}',
      '{"captureData":{"endpointInput":{"data":"1,2,3"}}}x',
      '{"captureData":{"endpointInput":{"data":"1,\t2"}}}',
      '{"captureData":{"endpointInput":{"data":"1,2\\q"}}}',
      '{"captureData":{"endpointInput":{"data":"1,2"}},"captureData":[]}',
      '{"captureData":{"endpointInput":{"data":"1,2"},"endpointInput":{"mode":"INPUT"}}}',
      '{"captureData":{"endpointInput":{"data":"1,2","data":3}}}',
      '{"eventMetadata":{"endpointInput":{"data":"1,2"}}}',
      '{"captureData":{"endpointInput":{"data":"1,2"}}, "n": 01}',
      '  ',
    ];
    const acc = new DatasetAccumulator(NAMES);
    expect(acc.addCaptureFile(lines.join('\n'))).toBe(0);
    expect(acc.summary.unparseable).toBe(lines.length);
    expect(acc.summary.records).toBe(lines.length);
  });

  it('reads a line that JSON.parse accepts in any layout, escapes and last keys included', () => {
    const acc = new DatasetAccumulator(NAMES);
    const text = [
      ' { "captureData" : { "endpointInput" : { "data" : "1, 2 ,x" , "observedContentType" : "text\\/csv" } } } \r',
      '{"captureData":{"endpointInput":{"d\\u0061ta":"4,\\"q\\"\\\\,6","data":"7,8,9"},"endpointInput":{"data":"10,11,12"}}}',
    ].join('\n');
    expect(acc.addCaptureFile(text)).toBe(2);
    const stats = acc.toStatistics().features;
    expect(stats.map((f) => f.numerical_statistics?.sum ?? null)).toEqual([11, 13, 12]);
    expect(stats[2]?.string_statistics?.distribution?.categorical?.buckets.map((b) => b.value)).toContain(
      'x',
    );
  });
});

describe('CenteredSketch.addAll', () => {
  it('gives the bins, count, sum, min and max of adding the values one by one', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 }), {
          maxLength: 3000,
        }),
        fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e3, max: 1e3 }),
        (values, center) => {
          const one = new CenteredSketch(0.01, center);
          for (const v of values) one.add(v);
          const bulk = new CenteredSketch(0.01, center);
          const typed = Float64Array.from(values);
          for (let from = 0; from < typed.length; from += 700)
            bulk.addAll(typed.subarray(from), Math.min(700, typed.length - from));
          expect(bulk.toJSON()).toEqual(one.toJSON());
          const { count, sum, min, max, zeroCount } = one.sketch;
          expect([
            bulk.sketch.count,
            bulk.sketch.sum,
            bulk.sketch.min,
            bulk.sketch.max,
            bulk.sketch.zeroCount,
          ]).toEqual([count, sum, min, max, zeroCount]);
        },
      ),
      { seed: SEED, numRuns: 100 },
    );
  });

  it('gives the same sketch as one by one, read and merged between batches, at any accuracy and scale', () => {
    // Values over the whole double range (subnormals, ±0, huge) where the library's own store
    // can span their keys (α = 0.05: ~14,000 keys), and 1e-6 ≤ |v| ≤ 1e6 at finer accuracies; reads
    // (JSON, quantiles, merges) between batches: the counts not yet in the library's stores
    // must be there whenever anything looks.
    // Finer accuracies: thousandths within ±limit, centers too, so that v − center is 0 or
    // ≥ ~1e-3 (the library's store, the reference, grows by unshift: ~100,000 keys at most).
    const values = (limit: number | undefined) =>
      limit === undefined
        ? fc.oneof(
            fc.double({ noNaN: true, noDefaultInfinity: true }),
            fc.double({ noNaN: true, min: -1e-300, max: 1e-300 }),
            fc.double({ noNaN: true, min: -100, max: 100 }),
            fc.integer({ min: -3, max: 3 }),
          )
        : fc.oneof(
            fc.integer({ min: -limit * 1000, max: limit * 1000 }).map((i) => i / 1000),
            fc.integer({ min: -3, max: 3 }),
          );
    fc.assert(
      fc.property(
        fc
          .constantFrom<[number, number | undefined]>(
            [0.05, undefined],
            [0.01, 1e6],
            [0.001, 1e5],
            [1e-4, 1e4],
          )
          .chain(([accuracy, limit]) =>
            fc.tuple(
              fc.constant(accuracy),
              fc.array(fc.array(values(limit), { maxLength: 400 }), { maxLength: 6 }),
              limit === undefined
                ? fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e3, max: 1e3 })
                : fc.integer({ min: -1e6, max: 1e6 }).map((i) => i / 1000),
            ),
          ),
        fc.constantFrom('json', 'quantile', 'merge', 'none'),
        ([accuracy, batches, center], read) => {
          const one = new CenteredSketch(accuracy, center);
          const bulk = new CenteredSketch(accuracy, center);
          const other = new CenteredSketch(accuracy, center);
          const reference = new CenteredSketch(accuracy, center);
          for (const batch of batches) {
            for (const v of batch) one.add(v);
            bulk.addAll(Float64Array.from(batch), batch.length);
            if (read === 'json') expect(bulk.toJSON()).toEqual(one.toJSON());
            if (read === 'quantile' && one.count > 0) expect(bulk.quantile(0.5)).toBe(one.quantile(0.5));
            if (read === 'merge') {
              // other: its own batches bulk-added, then bulk merged in; reference: the same one by one.
              other.addAll(Float64Array.from(batch), batch.length);
              for (const v of batch) reference.add(v);
            }
          }
          expect(bulk.toJSON()).toEqual(one.toJSON());
          expect(bulk.count).toBe(one.count);
          const { sum, min, max, zeroCount } = one.sketch;
          expect([bulk.sketch.sum, bulk.sketch.min, bulk.sketch.max, bulk.sketch.zeroCount]).toEqual([
            sum,
            min,
            max,
            zeroCount,
          ]);
          if (read === 'merge') {
            other.merge(bulk);
            reference.merge(one);
            expect(other.toJSON()).toEqual(reference.toJSON());
          }
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });
});

describe('binKeyFunction (the sketch key without a logarithm)', () => {
  const bits = new BigUint64Array(1);
  const asFloat = new Float64Array(bits.buffer);
  const bitsOf = (x: number) => {
    asFloat[0] = x;
    return bits[0] as bigint;
  };
  const floatOf = (b: bigint) => {
    bits[0] = b;
    return asFloat[0] as number;
  };

  for (const accuracy of [0.01, 0.05, 0.001, 0.2]) {
    const mapping = new CenteredSketch(accuracy).sketch.mapping;
    const fast = binKeyFunction(mapping);
    const table = keyTableFor(mapping);
    const check = (value: number) => {
      if (fast(value) !== mapping.key(value)) {
        throw new Error(`α ${accuracy}: key(${value}) = ${fast(value)}, the library's ${mapping.key(value)}`);
      }
      // The table addAll looks keys up in: the same keys.
      if (table?.key(value) !== mapping.key(value)) {
        throw new Error(
          `α ${accuracy}: table key(${value}) = ${table?.key(value)}, the library's ${mapping.key(value)}`,
        );
      }
    };

    it(`is the library's key for α = ${accuracy}: random values, subnormals and every power of two`, () => {
      fc.assert(
        fc.property(
          fc.double({ min: mapping.minPossible, noNaN: true, noDefaultInfinity: true }),
          (value) => {
            check(value);
          },
        ),
        { seed: SEED, numRuns: 20_000 },
      );
      // Subnormals above the sketch's smallest value, and the smallest normals.
      fc.assert(
        fc.property(fc.double({ min: mapping.minPossible, max: 2 ** -1020, noNaN: true }), (value) => {
          check(value);
        }),
        { seed: SEED, numRuns: 5_000 },
      );
      for (let e = -1023; e <= 1023; e++) {
        const power = 2 ** e;
        for (let d = -3n; d <= 3n; d++) {
          const value = floatOf(bitsOf(power) + d);
          if (value > mapping.minPossible && Number.isFinite(value)) check(value);
        }
      }
    });

    it(`is the library's key for α = ${accuracy} on both sides of every bin edge`, () => {
      // The edge of key k: the smallest float whose library key is k, found by bisection over
      // the floats' bit patterns (ordered as the values are) around γ^(k−1); then ±16 floats.
      const lowest = mapping.key(mapping.minPossible * 2);
      const highest = mapping.key(mapping.maxPossible);
      // Every edge; every 10th for the finest accuracy (700,000 bins), to keep the test short.
      const stride = accuracy < 0.01 ? 10 : 1;
      let edges = 0;
      for (let k = lowest + 1; k <= highest; k += stride) {
        const around = mapping.value(k) / mapping.gamma ** 0.5;
        let below = bitsOf(around / mapping.gamma ** 0.25);
        let above = bitsOf(around * mapping.gamma ** 0.25);
        if (!(mapping.key(floatOf(below)) < k && mapping.key(floatOf(above)) >= k)) continue;
        while (above - below > 1n) {
          const middle = (below + above) / 2n;
          if (mapping.key(floatOf(middle)) >= k) above = middle;
          else below = middle;
        }
        for (let d = -16n; d <= 16n; d++) check(floatOf(above + d));
        edges++;
      }
      expect(edges).toBeGreaterThan((0.99 * (highest - lowest)) / stride);
    });
  }
});
