import { ValidationError } from '../kernel/errors.js';

export interface WeightedVariant {
  readonly VariantName: string;
  readonly weight: number;
}

/**
 * Picks the variant for one request: the targeted one when the caller names it (weight
 * does not matter then), else one drawn with probability weight / sum of weights. Variants
 * of weight 0 receive only targeted traffic. `random` returns a number in [0, 1).
 */
export function chooseVariant<V extends WeightedVariant>(
  variants: readonly V[],
  targetVariant: string | undefined,
  random: () => number = Math.random,
): V {
  if (targetVariant !== undefined) {
    const target = variants.find((v) => v.VariantName === targetVariant);
    if (!target) {
      const names = variants.map((v) => v.VariantName).join(', ');
      throw new ValidationError(
        `Variant '${targetVariant}' does not exist on this endpoint (variants: ${names}).`,
      );
    }
    return target;
  }
  let total = 0;
  for (const v of variants) total += v.weight;
  let point = random() * total;
  let last: V | undefined;
  for (const v of variants) {
    if (v.weight <= 0) continue;
    if (point < v.weight) return v;
    point -= v.weight;
    last = v;
  }
  // Floating-point rounding can leave `point` a hair above the last weight.
  if (last) return last;
  throw new ValidationError(
    'The endpoint has no variant with a positive weight; name one with TargetVariant.',
  );
}

/** The variants of one endpoint config, as the data plane routes to them. */
export interface Fleet<V extends WeightedVariant> {
  readonly EndpointConfigName: string;
  readonly variants: readonly V[];
}

/**
 * Routing while a new endpoint config rolls out: a request goes to the new fleet with
 * probability `share` (else to the current one), then to a variant by weight inside that
 * fleet. A `targetVariant` is honoured in whichever fleet has it; when both do, the share
 * decides. Without a new fleet (or with share 0) this is `chooseVariant` on the current one.
 */
export function chooseFleetVariant<V extends WeightedVariant>(
  current: Fleet<V>,
  next: Fleet<V> | undefined,
  share: number,
  targetVariant: string | undefined,
  random: () => number = Math.random,
): { variant: V; fleet: Fleet<V> } {
  if (!next || share <= 0)
    return { variant: chooseVariant(current.variants, targetVariant, random), fleet: current };
  let fleet = share >= 1 || random() < share ? next : current;
  if (targetVariant !== undefined && !fleet.variants.some((v) => v.VariantName === targetVariant)) {
    const other = fleet === next ? current : next;
    if (other.variants.some((v) => v.VariantName === targetVariant)) fleet = other;
    else {
      const names = [...new Set([...current.variants, ...next.variants].map((v) => v.VariantName))].join(
        ', ',
      );
      throw new ValidationError(
        `Variant '${targetVariant}' does not exist on this endpoint (variants: ${names}).`,
      );
    }
  }
  return { variant: chooseVariant(fleet.variants, targetVariant, random), fleet };
}
