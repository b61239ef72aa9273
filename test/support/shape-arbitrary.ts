import fc from 'fast-check';
import {
  compileJavaPattern,
  type ServiceModel,
  type Shape,
} from '../../lambdas/domain/kernel/shape-validator.js';

export interface ShapeArbitraryOptions {
  /**
   * Names of resources that exist, offered for members whose shape is a name so that
   * generated requests reach past "not found" into the operations' own rules.
   */
  readonly names: readonly string[];
  /** Past this depth only required members are generated (recursive shapes stay finite). */
  readonly maxDepth?: number;
}

const MAX_ITEMS = 3;
const MAX_STRING = 40;

/**
 * Requests mostly within an operation's input shape, derived from a botocore service model:
 * enums, patterns, lengths and ranges as the model gives them. "Mostly": a pattern's match is
 * not trimmed to the shape's length, so some requests are over-long, which is a mutation too.
 */
export function shapeArbitrary(
  model: ServiceModel,
  shapeName: string,
  options: ShapeArbitraryOptions,
): fc.Arbitrary<unknown> {
  const maxDepth = options.maxDepth ?? 4;
  const names = fc.constantFrom(...options.names);

  const of = (name: string, depth: number): fc.Arbitrary<unknown> => {
    const shape = model.shapes[name];
    if (!shape) return fc.constant(undefined);
    switch (shape.type) {
      case 'structure': {
        const members = Object.entries(shape.members ?? {}).filter(
          ([member]) => depth < maxDepth || (shape.required ?? []).includes(member),
        );
        const record: Record<string, fc.Arbitrary<unknown>> = {};
        for (const [member, ref] of members) record[member] = of(ref.shape, depth + 1);
        return fc.record(record, { requiredKeys: (shape.required ?? []).filter((m) => m in record) });
      }
      case 'list':
        return fc.array(shape.member ? of(shape.member.shape, depth + 1) : fc.constant(null), {
          minLength: shape.min ?? 0,
          maxLength: Math.max(shape.min ?? 0, Math.min(shape.max ?? MAX_ITEMS, MAX_ITEMS)),
        });
      case 'map':
        return fc.dictionary(
          shape.key ? (of(shape.key.shape, depth + 1) as fc.Arbitrary<string>) : fc.string(),
          shape.value ? of(shape.value.shape, depth + 1) : fc.constant(null),
          { maxKeys: MAX_ITEMS },
        );
      case 'string':
        return stringOf(name, shape, names);
      case 'integer':
      case 'long':
        return fc.integer({
          min: Math.max(shape.min ?? -1000, -(2 ** 31)),
          max: Math.min(shape.max ?? 1000, 2 ** 31 - 1),
        });
      case 'float':
      case 'double':
        return fc.double({
          min: shape.min ?? -1e6,
          max: shape.max ?? 1e6,
          noNaN: true,
          noDefaultInfinity: true,
        });
      case 'boolean':
        return fc.boolean();
      case 'timestamp':
        return fc.integer({ min: 1_600_000_000, max: 1_900_000_000 });
      case 'blob':
        return fc.uint8Array({ maxLength: 16 }).map((bytes) => Buffer.from(bytes).toString('base64'));
      default:
        return fc.constant(null);
    }
  };
  return of(shapeName, 0);
}

function stringOf(name: string, shape: Shape, names: fc.Arbitrary<string>): fc.Arbitrary<string> {
  if (shape.enum) return fc.constantFrom(...shape.enum);
  const length = {
    minLength: shape.min ?? 0,
    maxLength: Math.max(shape.min ?? 0, Math.min(shape.max ?? MAX_STRING, MAX_STRING)),
  };
  const choices: fc.Arbitrary<string>[] = [fc.string(length)];
  const pattern = shape.pattern === undefined ? null : compileJavaPattern(shape.pattern);
  const matching = pattern && matchingArbitrary(pattern);
  if (matching) choices.push(matching.filter((s) => s.length <= (shape.max ?? 1024)));
  if (/Name$|Arn$/.test(name)) choices.push(names);
  return fc.oneof(...choices);
}

/** Strings matching `pattern`, or undefined where fast-check cannot read it (lookbehinds). */
function matchingArbitrary(pattern: RegExp): fc.Arbitrary<string> | undefined {
  try {
    return fc.stringMatching(pattern);
  } catch {
    return undefined;
  }
}

const DEEP = '\u0000deep:';
const DEEP_PLACEHOLDER = /"\\u0000deep:([[{])(\d+)"/g;

/** The request's JSON text, each deep-nesting placeholder expanded into arrays or objects nested that deep. */
export function toJsonBody(input: unknown): string {
  const text = JSON.stringify(input) ?? '';
  return text.replace(DEEP_PLACEHOLDER, (_match, open: string, depth: string) => {
    const n = Number(depth);
    return open === '[' ? `${'['.repeat(n)}1${']'.repeat(n)}` : `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
  });
}

/** One way a client gets a request wrong. */
export type Mutation =
  | { readonly kind: 'wrong-type'; readonly value: unknown }
  | { readonly kind: 'drop' }
  | { readonly kind: 'over-long' }
  | { readonly kind: 'bad-pattern' }
  | { readonly kind: 'huge-number'; readonly value: number }
  | { readonly kind: 'deep-nesting'; readonly depth: number }
  | { readonly kind: 'unknown-member' };

export const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('wrong-type' as const),
    value: fc.oneof(
      fc.constant(null),
      fc.boolean(),
      fc.integer(),
      fc.double(),
      fc.string({ maxLength: 8 }),
      fc.constant([]),
      fc.constant({}),
      fc.constant([1, 'a', null]),
      fc.constant({ nested: { x: 1 } }),
    ),
  }),
  fc.constant({ kind: 'drop' as const }),
  fc.constant({ kind: 'over-long' as const }),
  fc.constant({ kind: 'bad-pattern' as const }),
  fc.record({
    kind: fc.constant('huge-number' as const),
    value: fc.constantFrom(1e308, -1e308, 2 ** 53 + 2, 2 ** 63, -(2 ** 63), 2 ** 31, -(2 ** 31) - 1, 0.5, -1),
  }),
  fc.record({ kind: fc.constant('deep-nesting' as const), depth: fc.constantFrom(50, 5_000, 100_000) }),
  fc.constant({ kind: 'unknown-member' as const }),
);

/**
 * Applies `mutation` at the node `path` picks (each step an index into the node's members or
 * items, modulo their count; the walk stops at a leaf). Returns a new value.
 */
export function mutate(value: unknown, path: readonly number[], mutation: Mutation): unknown {
  const [step, ...rest] = path;
  const children = childKeys(value);
  if (step !== undefined && children.length > 0 && rest.length > 0) {
    const key = children[step % children.length] as string | number;
    const copy = Array.isArray(value) ? [...value] : { ...(value as Record<string, unknown>) };
    (copy as Record<string | number, unknown>)[key] = mutate(
      (value as Record<string | number, unknown>)[key],
      rest,
      mutation,
    );
    return copy;
  }
  return mutateHere(value, step ?? 0, mutation);
}

function childKeys(value: unknown): (string | number)[] {
  if (Array.isArray(value)) return value.map((_, i) => i);
  if (value !== null && typeof value === 'object') return Object.keys(value);
  return [];
}

function mutateHere(value: unknown, step: number, mutation: Mutation): unknown {
  switch (mutation.kind) {
    case 'wrong-type':
      return mutation.value;
    case 'drop': {
      const keys = childKeys(value);
      if (keys.length === 0 || Array.isArray(value)) return undefined;
      const { [String(keys[step % keys.length])]: _dropped, ...rest } = value as Record<string, unknown>;
      return rest;
    }
    case 'over-long':
      // Past the longest string the SageMaker model allows (100,000).
      return typeof value === 'string' ? value.padEnd(100_001, 'x') : 'x'.repeat(100_001);
    case 'bad-pattern':
      return ' \u0000<>?*|\\';
    case 'huge-number':
      return mutation.value;
    case 'deep-nesting':
      // A placeholder that toJsonBody expands: a nested value would overflow the stack of
      // whatever walks it first, fast-check's own printing of a counterexample included.
      return `${DEEP}${step % 2 === 0 ? '[' : '{'}${mutation.depth}`;
    case 'unknown-member':
      return value !== null && typeof value === 'object' && !Array.isArray(value)
        ? { ...value, NotAMember: 'x' }
        : { NotAMember: 'x' };
  }
}
