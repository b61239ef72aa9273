import { describe, expect, it } from 'vitest';
import { jsonNestingDepth } from '../../lambdas/domain/kernel/json-text.js';
import { type ServiceModel, ShapeValidator } from '../../lambdas/domain/kernel/shape-validator.js';

/** A hand-written model: each member exercises one constraint the SageMaker model uses. */
const model: ServiceModel = {
  operations: { Op: { input: 'Input' } },
  shapes: {
    Input: {
      type: 'structure',
      members: {
        Metadata: { shape: 'Metadata' },
        Count: { shape: 'Count' },
        Big: { shape: 'Big' },
        Payload: { shape: 'Payload' },
        When: { shape: 'When' },
        Key: { shape: 'Key' },
        Name: { shape: 'Name' },
        Anything: { shape: 'Anything' },
      },
    },
    Metadata: { type: 'map', key: { shape: 'Key' }, value: { shape: 'Name' }, min: 1, max: 2 },
    Count: { type: 'integer' },
    Big: { type: 'long' },
    Payload: { type: 'blob', max: 3 },
    When: { type: 'timestamp' },
    // As in the SageMaker model (CustomerMetadataKey): a quantifier on `$`, which Java reads.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Java regex quantifier, not a placeholder
    Key: { type: 'string', pattern: '([\\p{L}_]*)${1,4}' },
    Name: { type: 'string', max: 5, pattern: '[a-z]+' },
    Anything: { type: 'list', member: { shape: 'Anything' } },
  },
};
const validator = new ShapeValidator(model);
const errorsOf = (input: unknown) => validator.validate('Op', input);

describe('ShapeValidator', () => {
  it('checks a map against its minimum length', () => {
    expect(errorsOf({ Metadata: {} })).toEqual([
      "Value '{}' at 'metadata' failed to satisfy constraint: Member must have length greater than or equal to 1",
    ]);
    expect(errorsOf({ Metadata: { a: 'b' } })).toEqual([]);
  });

  it('reads integers as Java int and longs as exact JSON integers', () => {
    expect(errorsOf({ Count: 2 ** 31 - 1, Big: 2 ** 40 })).toEqual([]);
    expect(errorsOf({ Count: 2 ** 31 })).toHaveLength(1);
    expect(errorsOf({ Big: 2 ** 63 })).toHaveLength(1);
    expect(errorsOf({ Count: 1e308 })[0]).toContain(
      'Member must be an integer between -2147483648 and 2147483647',
    );
  });

  it('checks blobs as base64 and their decoded length', () => {
    expect(errorsOf({ Payload: Buffer.from('abc').toString('base64') })).toEqual([]);
    expect(errorsOf({ Payload: Buffer.from('abcd').toString('base64') })[0]).toContain(
      'less than or equal to 3',
    );
    expect(errorsOf({ Payload: 'not base64!' })[0]).toContain('Member must be base64');
    expect(errorsOf({ Payload: 12 })[0]).toContain('Member must be base64');
  });

  it('takes timestamps as epoch seconds or ISO 8601, nothing else', () => {
    expect(errorsOf({ When: 1_700_000_000 })).toEqual([]);
    expect(errorsOf({ When: '2026-06-01T12:00:00Z' })).toEqual([]);
    // Date.parse reads '1' as the year 2001: not a timestamp a client meant.
    expect(errorsOf({ When: '1' })).toHaveLength(1);
    expect(errorsOf({ When: true })).toHaveLength(1);
  });

  it('applies a Java pattern with a quantified anchor instead of skipping it', () => {
    expect(errorsOf({ Key: 'abc' })).toEqual([]);
    expect(errorsOf({ Key: 'a-b' })[0]).toContain('regular expression pattern');
  });

  it('reports an over-long string by its length, without running the pattern over it', () => {
    expect(errorsOf({ Name: 'ABCDEFGH' })).toEqual([
      "Value 'ABCDEFGH' at 'name' failed to satisfy constraint: Member must have length less than or equal to 5",
    ]);
  });

  it('describes a value too deep to serialize without throwing', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(errorsOf({ Name: deep })[0]).toContain("Value '[…]' at 'name'");
  });
});

describe('jsonNestingDepth', () => {
  it('counts arrays and objects, not brackets inside strings', () => {
    expect(jsonNestingDepth('{}')).toBe(1);
    expect(jsonNestingDepth('{"a":[[1],{"b":[]}]}')).toBe(4);
    expect(jsonNestingDepth('{"a":"[[[[{{{{"}')).toBe(1);
    expect(jsonNestingDepth('{"a":"\\"[[[","b":[1]}')).toBe(2);
    expect(jsonNestingDepth('{"a":"\\\\","b":[[1]]}')).toBe(3);
  });

  it('stops once past the limit', () => {
    expect(jsonNestingDepth(`${'['.repeat(1000)}${']'.repeat(1000)}`, 10)).toBe(11);
  });
});
