import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mediaType } from '../../lambdas/domain/kernel/media-type.js';

/** The rule as first written: the part before any parameter, trimmed, lower case. */
const reference = (header: string | undefined) => (header ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';

describe('mediaType', () => {
  it('reads any header as splitting, trimming and lower-casing it does', () => {
    const char = fc.constantFrom(
      'a',
      'T',
      'x',
      '/',
      '+',
      '-',
      '.',
      ';',
      '=',
      ' ',
      '\t',
      '\u00a0',
      'İ',
      '1',
      '*',
    );
    fc.assert(
      fc.property(
        fc.option(
          fc.array(char, { maxLength: 16 }).map((c) => c.join('')),
          { nil: undefined },
        ),
        (h) => {
          expect(mediaType(h)).toBe(reference(h));
        },
      ),
      { numRuns: 5000 },
    );
    for (const h of ['text/csv', 'Text/CSV; charset=utf-8', ' application/json ', 'application/x-npy', ''])
      expect(mediaType(h)).toBe(reference(h));
  });
});
