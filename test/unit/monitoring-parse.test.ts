import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bytesValue,
  CellKind,
  type CellVisitor,
  cellValue,
  classifyString,
  numberKind,
  readNumber,
  readNumberBytes,
  scanCsv,
} from '../../lambdas/domain/model-monitor/statistics/cells.js';
import {
  compileJsonPath,
  DatasetAccumulator,
  decodeCaptureData,
  InvalidJsonPathError,
  readCaptureLine,
} from '../../lambdas/domain/model-monitor/statistics/index.js';
import { SeededRandom } from '../support/seeded-random.js';

function classify(text: string): [CellKind, number | null] {
  const kind = classifyString(text);
  return [kind, kind === CellKind.Integral || kind === CellKind.Fractional ? cellValue : null];
}

describe('cell typing follows deequ', () => {
  it.each([
    ['42', CellKind.Integral, 42],
    ['-7', CellKind.Integral, -7],
    ['+ 5', CellKind.Integral, 5],
    ['- 5', CellKind.Integral, -5],
    ['  12  ', CellKind.Integral, 12],
    ['007', CellKind.Integral, 7],
    ['1.5', CellKind.Fractional, 1.5],
    ['-0.25', CellKind.Fractional, -0.25],
    ['1e3', CellKind.Fractional, 1000],
    ['2.5E-3', CellKind.Fractional, 0.0025],
    ['6.02e+23', CellKind.Fractional, 6.02e23],
    ['12345678901234567890', CellKind.Integral, Number('12345678901234567890')],
  ])('%j is %s with value %s', (text, kind, value) => {
    expect(classify(text)).toEqual([kind, value]);
  });

  it.each(['.5', '1.', '1.5e', 'e5', 'abc', 'true', 'NaN', 'Infinity', '1,5', '--1', '1e999', '0x10'])(
    '%j is a String',
    (text) => {
      expect(classify(text)[0]).toBe(CellKind.String);
    },
  );

  it.each(['', '   ', '\t'])('%j is missing', (text) => {
    expect(classify(text)[0]).toBe(CellKind.Missing);
  });

  it('computes exactly the value Number() gives, on 20,000 random decimals', () => {
    const r = new SeededRandom(3);
    for (let i = 0; i < 20_000; i++) {
      const digits = 1 + Math.floor(r.uniform() * 18);
      const mantissa = String(Math.floor(r.uniform() * 10 ** digits));
      const point = Math.floor(r.uniform() * mantissa.length);
      const exp = r.uniform() < 0.3 ? `e${Math.floor(r.uniform() * 60) - 30}` : '';
      const text = `${r.uniform() < 0.5 ? '-' : ''}${mantissa.slice(0, point || 1)}${point ? `.${mantissa.slice(point)}` : ''}${exp}`;
      const [kind, value] = classify(text);
      expect(kind, text).not.toBe(CellKind.String);
      expect(value, text).toBe(Number(text));
    }
  });
});

describe('readNumberBytes', () => {
  // Number-like texts, heavy in leading zeros, signs, points and exponents.
  const numberLike = fc
    .array(fc.constantFrom('0', '0', '0', '1', '5', '9', '.', '-', '+', 'e', 'E', ' ', ',', 'x'), {
      maxLength: 24,
    })
    .map((chars) => chars.join(''));
  const read = (fn: () => number, bytes: boolean) => {
    const after = fn();
    return after < 0 ? [after] : [after, bytes ? bytesValue[0] : cellValue, numberKind];
  };

  it('reads the bytes as readNumber reads the text: where it stops, the value and the kind', () => {
    fc.assert(
      fc.property(numberLike, fc.nat(3), (text, cut) => {
        const bytes = new Uint8Array(Buffer.from(`${text}",`, 'latin1'));
        const end = Math.max(1, text.length - cut);
        const fromBytes = read(() => readNumberBytes(bytes, 0, end), true);
        const fromText = read(() => readNumber(`${text}",`, 0, end), false);
        expect(fromBytes, text).toEqual(fromText);
      }),
      { seed: 16_4, numRuns: 20_000 },
    );
    for (const text of [
      '0',
      '00',
      '000.000',
      '0.0001',
      '-0.05e3',
      '+ 7',
      '0010',
      '1.005',
      '0e5',
      '.5',
      '5.',
    ]) {
      const bytes = new Uint8Array(Buffer.from(text, 'latin1'));
      expect(
        read(() => readNumberBytes(bytes, 0, bytes.length), true),
        text,
      ).toEqual(read(() => readNumber(text, 0, text.length), false));
    }
  });
});

class Recorder implements CellVisitor {
  rows: unknown[][] = [[]];
  numberCell(column: number, value: number, integral: boolean) {
    this.rows.at(-1)?.push([column, value, integral ? 'I' : 'F']);
  }
  stringCell(column: number, value: string) {
    this.rows.at(-1)?.push([column, value]);
  }
  missingCell(column: number) {
    this.rows.at(-1)?.push([column, null]);
  }
  endRow(columns: number) {
    this.rows.at(-1)?.push(columns);
    this.rows.push([]);
  }
}

describe('scanCsv', () => {
  it('reads several rows, CRLF, blank lines, missing cells and quoted fields', () => {
    const r = new Recorder();
    const rows = scanCsv('1,2.5,a\r\n\n,"x, ""y""",3\n"7",,\n', r);
    expect(rows).toBe(3);
    expect(r.rows.slice(0, 3)).toEqual([
      [[0, 1, 'I'], [1, 2.5, 'F'], [2, 'a'], 3],
      [[0, null], [1, 'x, "y"'], [2, 3, 'I'], 3],
      [[0, 7, 'I'], [1, null], [2, null], 3],
    ]);
  });

  it('rejects an unterminated quote', () => {
    expect(() => scanCsv('1,"abc', new Recorder())).toThrow(SyntaxError);
  });
});

describe('compileJsonPath', () => {
  const doc = { features: [1, 2], instances: [{ a: 1 }, { a: 2 }], inputs: { a: [3, 4] }, 'my key': [9] };
  it.each([
    ['$', [doc]],
    ['$.features', [[1, 2]]],
    ['$.instances[*]', [{ a: 1 }, { a: 2 }]],
    ['$.instances[*].a', [1, 2]],
    ['$.inputs.a', [[3, 4]]],
    ["$['my key'][0]", [9]],
    ['$.features[-1]', [2]],
    ['$.inputs.*', [[3, 4]]],
    ['$.nothing', []],
  ])('%s', (path, expected) => {
    expect(compileJsonPath(path).evaluate(doc)).toEqual(expected);
  });

  it.each(['features', '$.', '$[', '$[?(@.a)]', '$..a'])('refuses %j', (path) => {
    expect(() => compileJsonPath(path)).toThrow(InvalidJsonPathError);
  });
});

describe('DatasetAccumulator.addPayload', () => {
  const names = ['a', 'b', 'c'];
  const rowsOf = (acc: DatasetAccumulator) => acc.toStatistics().dataset.item_count;

  it('counts every row of a multi-row CSV body', () => {
    const acc = new DatasetAccumulator(names);
    expect(acc.addPayload({ data: '1,2,3\n4,5,6\n7,8,9\n', contentType: 'text/csv; charset=utf-8' })).toBe(
      true,
    );
    expect(acc.summary).toEqual({ records: 1, rows: 3, unparseable: 0, errors: [] });
  });

  it.each([
    ['{"instances": [[1, 2, "x"], [3, 4, "y"]]}', 2],
    ['[[1, 2, 3]]', 1],
    ['[1, 2, 3]', 1],
    ['{"a": 1, "b": 2.5, "c": "z"}', 1],
    ['{"instances": [{"a": 1}, {"b": 2}]}', 2],
    ['7', 1],
  ])('reads JSON %s as %i row(s)', (data, rows) => {
    const acc = new DatasetAccumulator(names);
    expect(acc.addPayload({ data, contentType: 'application/json' })).toBe(true);
    expect(rowsOf(acc)).toBe(rows);
  });

  it('reads JSON Lines and picks features by path', () => {
    const acc = new DatasetAccumulator(names);
    acc.addPayload(
      { data: '{"features": [1, 2, 3]}\n{"features": [4, 5, 6]}\n', contentType: 'application/jsonlines' },
      { jsonPath: compileJsonPath('$.features') },
    );
    const stats = acc.toStatistics();
    expect(stats.dataset.item_count).toBe(2);
    expect(stats.features.map((f) => f.numerical_statistics?.sum)).toEqual([5, 7, 9]);
    const named = new DatasetAccumulator(names);
    named.addPayload(
      {
        data: '{"inputs": {"rows": [{"a": 1, "c": "k"}, {"a": 3, "c": "k"}]}}',
        contentType: 'application/json',
      },
      { jsonPath: compileJsonPath('$.inputs.rows[*]') },
    );
    expect(named.toStatistics().features.map((f) => [f.name, f.inferred_type])).toEqual([
      ['a', 'Integral'],
      ['c', 'String'],
    ]);
  });

  it('counts unparseable records with their reasons and never throws', () => {
    const acc = new DatasetAccumulator(names);
    acc.addPayload({ data: '1,2,3', contentType: 'text/csv' });
    const bad = [
      { data: '{"instances": [[1, 2', contentType: 'application/json' },
      { data: '', contentType: 'text/csv' },
      { data: '1,"2', contentType: 'text/csv' },
      { data: '\u0000\u0001', contentType: 'application/x-npy' },
      { data: '{"other": 1}', contentType: 'application/json' },
      { data: '[]', contentType: 'application/json' },
    ];
    for (const p of bad)
      expect(
        acc.addPayload(p, p.data.includes('other') ? { jsonPath: compileJsonPath('$.features') } : {}),
      ).toBe(false);
    const s = acc.summary;
    expect(s.records).toBe(7);
    expect(s.unparseable).toBe(6);
    expect(s.rows).toBe(1);
    expect(s.errors).toEqual([
      expect.stringMatching(/^JSON: /),
      'CSV: the body holds no rows',
      'CSV: unterminated quoted CSV field',
      "unsupported content type 'application/x-npy'",
      'JSON: the path $.features matches nothing',
      'JSON: the body holds no rows',
    ]);
  });

  it('decodes captured data (CSV, JSON and BASE64 encodings)', () => {
    expect(
      decodeCaptureData({ observedContentType: 'text/csv', mode: 'INPUT', data: '1,2', encoding: 'CSV' }),
    ).toEqual({
      data: '1,2',
      contentType: 'text/csv',
    });
    expect(
      decodeCaptureData({
        observedContentType: 'application/json',
        data: Buffer.from('[[1]]').toString('base64'),
        encoding: 'BASE64',
      }),
    ).toEqual({ data: '[[1]]', contentType: 'application/json' });
    expect(decodeCaptureData({ data: '{}', encoding: 'JSON' }).contentType).toBe('application/json');
  });

  it('names extra positional columns _c<index> and extra JSON keys by key; short rows leave features missing', () => {
    const acc = new DatasetAccumulator(names);
    acc.addPayload({ data: '1,2,3,4\n5,6\n', contentType: 'text/csv' });
    acc.addPayload({ data: '{"a": 1, "zz": "q"}', contentType: 'application/json' });
    const stats = acc.toStatistics();
    expect(stats.features.map((f) => f.name)).toEqual(['a', 'b', 'c', '_c3', 'zz']);
    const c = stats.features.find((f) => f.name === 'c');
    expect(c?.numerical_statistics?.common).toEqual({ num_present: 1, num_missing: 2 });
    const absent = new DatasetAccumulator(names);
    absent.addPayload({ data: '1,2\n3,4', contentType: 'text/csv' });
    expect(absent.toStatistics().features.map((f) => f.name)).toEqual(['a', 'b']);
  });
});

describe('capture files', () => {
  const line = (
    input: object,
    output: object = { observedContentType: 'text/csv', mode: 'OUTPUT', data: '0.5', encoding: 'CSV' },
  ) =>
    JSON.stringify({
      captureData: { endpointInput: input, endpointOutput: output },
      eventMetadata: { eventId: 'e1', inferenceTime: '2026-11-25T12:00:00Z' },
      eventVersion: '0',
    });

  it.each([
    [{ observedContentType: 'text/csv', mode: 'INPUT', data: '1,2,3', encoding: 'CSV' }],
    [{ data: '{"instances": [[1, "a\\"b"]]}', encoding: 'JSON', observedContentType: 'application/json' }],
    [
      {
        encoding: 'BASE64',
        mode: 'INPUT',
        data: Buffer.from('1,2').toString('base64'),
        observedContentType: 'text/csv',
      },
    ],
    [{ data: 'x,y', extra: { nested: [1, { data: 'not this' }] }, observedContentType: 'text/csv' }],
  ])('reads one side of a record as JSON.parse would: %j', (input) => {
    const expected = { ...input } as Record<string, unknown>;
    delete expected.extra;
    expect(readCaptureLine(line(input), 'endpointInput')).toEqual(expected);
    expect(readCaptureLine(line(input), 'endpointOutput')).toEqual({
      observedContentType: 'text/csv',
      mode: 'OUTPUT',
      data: '0.5',
      encoding: 'CSV',
    });
  });

  it('falls back to JSON.parse for unusual layouts, and refuses lines that are not capture records', () => {
    const spaced =
      '{ "captureData" : { "endpointInput" : { "data" : "1,2" , "observedContentType" : "text/csv" } } }';
    expect(readCaptureLine(spaced, 'endpointInput')).toEqual({
      data: '1,2',
      observedContentType: 'text/csv',
    });
    const escapedKey = '{"captureData": {"endpointInput": {"d\\u0061ta": "3,4"}}}';
    expect(readCaptureLine(escapedKey, 'endpointInput')).toEqual({ data: '3,4' });
    expect(readCaptureLine('{"captureData": {}}', 'endpointInput')).toBeNull();
    expect(readCaptureLine('{"captureData": {"endpointInput": {"data": 5}}}', 'endpointInput')).toBeNull();
    expect(readCaptureLine('not json', 'endpointInput')).toBeNull();
  });

  it('adds a whole capture file, input or output side, counting bad lines', () => {
    const file = [
      line({ observedContentType: 'text/csv', mode: 'INPUT', data: '1,2,3\n4,5,6', encoding: 'CSV' }),
      '',
      'garbage',
      line({
        observedContentType: 'application/json',
        mode: 'INPUT',
        data: Buffer.from('[[7, 8, 9]]').toString('base64'),
        encoding: 'BASE64',
      }),
      line({ observedContentType: 'text/csv', mode: 'INPUT', data: '', encoding: 'CSV' }),
    ].join('\n');
    const acc = new DatasetAccumulator(['a', 'b', 'c']);
    expect(acc.addCaptureFile(file)).toBe(2);
    expect(acc.summary).toEqual({
      records: 4,
      rows: 3,
      unparseable: 2,
      errors: ['not a capture record with captureData.endpointInput.data', 'CSV: the body holds no rows'],
    });
    expect(acc.toStatistics().features.map((f) => f.numerical_statistics?.sum)).toEqual([12, 15, 18]);
    const outputs = new DatasetAccumulator(['score']);
    expect(outputs.addCaptureFile(file, { side: 'endpointOutput' })).toBe(3);
    expect(outputs.toStatistics().features[0]?.numerical_statistics?.sum).toBe(1.5);
  });
});
