import { describe, expect, it } from 'vitest';
import { chooseVariant } from '../../lambdas/domain/hosting/routing.js';
import { ValidationError } from '../../lambdas/domain/kernel/errors.js';

const variants = [
  { VariantName: 'a', weight: 3 },
  { VariantName: 'b', weight: 1 },
  { VariantName: 'dark', weight: 0 },
];

describe('chooseVariant', () => {
  it('maps the random draw onto cumulative weights', () => {
    expect(chooseVariant(variants, undefined, () => 0).VariantName).toBe('a');
    expect(chooseVariant(variants, undefined, () => 0.7499).VariantName).toBe('a');
    expect(chooseVariant(variants, undefined, () => 0.75).VariantName).toBe('b');
    expect(chooseVariant(variants, undefined, () => 0.999999).VariantName).toBe('b');
  });

  it('never routes untargeted traffic to a zero-weight variant', () => {
    for (let i = 0; i < 1000; i++) expect(chooseVariant(variants, undefined).VariantName).not.toBe('dark');
  });

  it('lets TargetVariant win, whatever its weight', () => {
    expect(chooseVariant(variants, 'dark', () => 0).VariantName).toBe('dark');
  });

  it('refuses an unknown target variant, naming the ones that exist', () => {
    expect(() => chooseVariant(variants, 'c')).toThrow(ValidationError);
    expect(() => chooseVariant(variants, 'c')).toThrow(/'c' does not exist.*a, b, dark/);
  });

  it('spreads traffic by weight', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const counts = { a: 0, b: 0, dark: 0 };
    for (let i = 0; i < 40_000; i++) counts[chooseVariant(variants, undefined, random).VariantName as 'a']++;
    // 99.9% binomial interval around 30,000 (p = 0.75, n = 40,000): ±3.29 * sqrt(n p (1-p)) ≈ ±285.
    expect(Math.abs(counts.a - 30_000)).toBeLessThan(285);
    expect(counts.dark).toBe(0);
  });
});
