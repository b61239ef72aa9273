import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeInstances,
  decodePlainCsv,
  encodePredictions,
  negotiateResponseType,
} from '../../lambdas/domain/inference/payload.js';
import { ValidationError } from '../../lambdas/domain/kernel/errors.js';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('decodeInstances', () => {
  it('reads CSV rows, ignoring a trailing newline and charset parameters', () => {
    expect(decodeInstances(bytes('1,2,3\r\n4.5, -6 ,7e1\n'), 'text/csv; charset=utf-8')).toEqual([
      [1, 2, 3],
      [4.5, -6, 70],
    ]);
  });

  it('reads {"instances": [...]} and bare arrays of rows', () => {
    expect(decodeInstances(bytes('{"instances": [[1, 2], [3, 4]]}'), 'application/json')).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(decodeInstances(bytes('[[1, 2]]'), 'application/json')).toEqual([[1, 2]]);
  });

  it.each([
    ['', 'text/csv', /empty/],
    ['1,abc,3', 'text/csv', /line 1, column 2: 'abc' is not a number/],
    ['1,,3', 'text/csv', /column 2/],
    ['1,2\n\n3,4', 'text/csv', /line 2 is empty/],
    ['\r\n \n', 'text/csv', /no rows/],
    ['{"instances": [[1, 2]', 'application/json', /not valid JSON/],
    ['{"rows": [[1]]}', 'application/json', /must be \{"instances"/],
    ['[]', 'application/json', /no rows/],
    ['[[1, "x"]]', 'application/json', /instances\[0\]\[1\]: "x" is not a number/],
    ['[[1, null]]', 'application/json', /instances\[0\]\[1\]: null is not a number/],
    ['1,2', 'application/x-npy', /Content-Type 'application\/x-npy' is not supported/],
  ])('refuses %j (%s) with a ValidationError naming the problem', (body, type, message) => {
    const attempt = () => decodeInstances(bytes(body), type);
    expect(attempt).toThrow(ValidationError);
    expect(attempt).toThrow(message);
  });
});

describe('negotiateResponseType', () => {
  it('defaults to JSON and honours the first supported type', () => {
    expect(negotiateResponseType(undefined)).toBe('application/json');
    expect(negotiateResponseType('*/*')).toBe('application/json');
    expect(negotiateResponseType('text/csv')).toBe('text/csv');
    expect(negotiateResponseType('application/xml, text/csv;q=0.5')).toBe('text/csv');
  });

  it('refuses types it cannot produce', () => {
    expect(() => negotiateResponseType('application/xml')).toThrow(ValidationError);
  });
});

describe('encodePredictions as JSON, against JSON.stringify', () => {
  /** The answer as first written: an object of the predictions and the outputs by name, serialized. */
  const reference = (outputs: { name: string; rows: unknown[] }[]) => {
    const unwrap = (row: unknown) => {
      let value = row;
      while (Array.isArray(value) && value.length === 1) value = value[0];
      return value;
    };
    const named: Record<string, unknown[]> = {};
    for (const output of outputs) named[output.name] = output.rows;
    return JSON.stringify({ predictions: (outputs[0]?.rows ?? []).map(unwrap), outputs: named });
  };
  const leaf = fc.oneof(
    fc.double(),
    fc.float().map(Math.fround),
    fc.constantFrom(0, -0, Number.NaN, Number.POSITIVE_INFINITY, 1e21, 5e-7),
    fc.string({ maxLength: 6 }),
    fc.constantFrom('"', '\\', '\u2028', '\ud800', 'é'),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.bigInt().map((b) => ({ big: String(b) })),
  );
  const { row } = fc.letrec((tie) => ({
    row: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('row'), { maxLength: 3 })),
  }));
  const name = fc.oneof(
    fc.constantFrom('score', 'label', 'probabilities', '__proto__', 'a"b', '0', '10', '1a'),
    fc.string({ maxLength: 4 }),
  );
  const outputs = fc.array(fc.record({ name, rows: fc.array(row, { maxLength: 4 }) }), { maxLength: 3 });

  it('writes exactly what JSON.stringify writes, for any outputs', () => {
    fc.assert(
      fc.property(outputs, (generated) => {
        expect(encodePredictions(generated, 'application/json')).toBe(reference(generated));
      }),
      { numRuns: 5000 },
    );
  });

  it('writes sparse rows, typed arrays and repeated names as JSON.stringify does', () => {
    const cases = [
      [{ name: 's', rows: [Object.assign(new Array(3), { 0: 1, 2: 3 })] }],
      [{ name: 't', rows: [Float32Array.of(1.5)] }],
      [
        { name: 'x', rows: [1] },
        { name: 'x', rows: [2] },
      ],
    ];
    for (const c of cases)
      expect(encodePredictions(c as never, 'application/json')).toBe(reference(c as never));
  });
});

describe('encodePredictions', () => {
  const outputs = [
    { name: 'label', rows: [2, 1] },
    {
      name: 'probabilities',
      rows: [
        [0.1, 0.2, 0.7],
        [0.2, 0.5, 0.3],
      ],
    },
  ];

  it('writes predictions from the first output plus every output by name', () => {
    expect(JSON.parse(encodePredictions(outputs, 'application/json'))).toEqual({
      predictions: [2, 1],
      outputs: { label: [2, 1], probabilities: outputs[1]?.rows },
    });
  });

  it('unwraps single-value rows into numbers', () => {
    const json = JSON.parse(encodePredictions([{ name: 'score', rows: [[5.5], [6]] }], 'application/json'));
    expect(json.predictions).toEqual([5.5, 6]);
    expect(json.outputs.score).toEqual([[5.5], [6]]);
  });

  it('writes one CSV line per row', () => {
    expect(
      encodePredictions(
        [
          {
            name: 'p',
            rows: [
              [1, 2],
              [3, 4],
            ],
          },
        ],
        'text/csv',
      ),
    ).toBe('1,2\n3,4\n');
  });
});

/**
 * The CSV rule as written in the data plane's contract, the reference decodePlainCsv is held
 * to: lines split at LF or CRLF, trailing blank lines dropped, values trimmed and matched
 * against the decimal grammar, read by Number(); undefined where the data plane refuses.
 */
function referenceCsv(text: string, maxColumns: number): number[][] | undefined {
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1]?.trim() === '') lines.pop();
  if (lines.length === 0) return undefined;
  const rows: number[][] = [];
  for (const line of lines) {
    const cells = line.split(',').map((cell) => cell.trim());
    if (cells.length > maxColumns) return undefined;
    const row = cells.map((cell) =>
      /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(cell) ? Number(cell) : Number.NaN,
    );
    if (row.some((value) => !Number.isFinite(value))) return undefined;
    rows.push(row);
  }
  return rows;
}

describe('decodePlainCsv (the one-pass reader of plain CSV)', () => {
  // Mostly the characters of numbers and of CSV structure, with the spaces, stray signs and
  // non-ASCII that send a body down the general path.
  const piece = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...'0123456789') },
    { weight: 3, arbitrary: fc.constantFrom(',', '\n', '.', '-', '+', 'e', 'E') },
    { weight: 1, arbitrary: fc.constantFrom('\r\n', '\r', ' ', '\t', 'x', '\u00a0', '\ufeff', '1e999', '') },
    { weight: 2, arbitrary: fc.double().map(String) },
  );
  const csv = fc.array(piece, { maxLength: 40 }).map((pieces) => pieces.join(''));

  it('reads what the CSV rule reads, and leaves the rest to the general reader', () => {
    let plain = 0;
    fc.assert(
      fc.property(csv, fc.integer({ min: 1, max: 6 }), (text, maxColumns) => {
        const fast = decodePlainCsv(text, maxColumns);
        if (fast === undefined) return;
        plain++;
        // toEqual compares numbers with Object.is: -0 and 0 differ, as they may for a model.
        expect(fast).toEqual(referenceCsv(text, maxColumns));
      }),
      { numRuns: 20_000 },
    );
    // The property says something only if the fast path is taken often.
    expect(plain).toBeGreaterThan(2_000);
  });

  it('reads each decimal as Number() does, to the last bit, inside the exact fast path and beyond it', () => {
    // Up to 18 digits around an optional point, optional exponents from -30 to 30: the reader
    // computes those within 15 significant digits and ±22 itself, and defers the rest to Number().
    const decimal = fc
      .tuple(
        fc.constantFrom('', '-', '+'),
        fc.stringMatching(/^[0-9]{0,18}$/),
        fc.option(fc.stringMatching(/^[0-9]{0,18}$/)),
        fc.option(
          fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '-', '+'), fc.integer({ min: 0, max: 30 })),
        ),
      )
      .map(([sign, whole, fraction, exponent]) => {
        const digits = fraction === null ? whole : `${whole}.${fraction}`;
        return `${sign}${digits}${exponent === null ? '' : exponent.join('')}`;
      })
      .filter((text) => /[0-9]/.test(text.split(/[eE]/)[0] ?? ''));
    fc.assert(
      fc.property(fc.array(decimal, { minLength: 1, maxLength: 4 }), (cells) => {
        expect(decodePlainCsv(`${cells.join(',')}\n`, 10)).toEqual([cells.map(Number)]);
      }),
      { numRuns: 20_000 },
    );
  });

  it('answers every body as decodeInstances did before it, errors included', () => {
    fc.assert(
      fc.property(csv, (text) => {
        const reference = referenceCsv(text, 200_000);
        const attempt = () => decodeInstances(bytes(text), 'text/csv');
        if (reference === undefined) expect(attempt).toThrow(ValidationError);
        else expect(attempt()).toEqual(reference);
      }),
      { numRuns: 5_000 },
    );
  });
});
