/**
 * Validates a request against a botocore service model's input shape: required members,
 * types, enums, string patterns and length, numeric ranges (integers within Java's int and
 * long, as SageMaker's servers read them), list and map lengths, blobs (base64, their decoded
 * length), timestamps (epoch seconds or ISO 8601); unknown members are refused, so that a
 * misspelt member is an error rather than a setting silently ignored (botocore validates on
 * the client and never sends one). Hand-written because no maintained JavaScript library validates server-side
 * against a Smithy/botocore JSON model (SDK clients do no validation), and translating each
 * shape into zod by hand would copy the spec with room for drift. Messages follow AWS's
 * "1 validation error detected: Value '…' at '…' failed to satisfy constraint: …" form.
 */
export interface ShapeRef {
  readonly shape: string;
}

export interface Shape {
  readonly type: string;
  readonly required?: readonly string[];
  readonly members?: Readonly<Record<string, ShapeRef>>;
  readonly member?: ShapeRef;
  readonly key?: ShapeRef;
  readonly value?: ShapeRef;
  readonly enum?: readonly string[];
  readonly pattern?: string;
  readonly min?: number;
  readonly max?: number;
}

export interface ServiceModel {
  readonly operations: Readonly<Record<string, { readonly input?: string }>>;
  readonly shapes: Readonly<Record<string, Shape>>;
}

const MAX_REPORTED = 5;

export class ShapeValidator {
  private readonly patterns = new Map<string, RegExp | null>();

  constructor(private readonly model: ServiceModel) {}

  /** Returns the list of violations (empty when valid). */
  validate(operation: string, input: unknown): string[] {
    const inputShape = this.model.operations[operation]?.input;
    const errors: string[] = [];
    if (inputShape) this.check(inputShape, input, '', errors);
    return errors;
  }

  /**
   * The string values of `input` whose shape passes `test`, with their paths (as violations
   * name them). Walks only members the model names: run it on validated input.
   */
  stringsOf(
    operation: string,
    input: unknown,
    test: (shape: Shape) => boolean,
  ): { path: string; value: string }[] {
    const found: { path: string; value: string }[] = [];
    const walk = (shapeName: string, value: unknown, path: string): void => {
      const shape = this.model.shapes[shapeName];
      if (!shape || value === undefined || value === null) return;
      if (shape.type === 'string' && typeof value === 'string' && test(shape)) found.push({ path, value });
      else if (shape.type === 'structure' && typeof value === 'object') {
        for (const [name, member] of Object.entries(value as Record<string, unknown>)) {
          const ref = shape.members?.[name];
          if (ref) walk(ref.shape, member, join(path, name));
        }
      } else if (shape.type === 'list' && Array.isArray(value) && shape.member) {
        const { member } = shape;
        for (const [i, item] of value.entries()) walk(member.shape, item, `${path}.${i + 1}.member`);
      } else if (shape.type === 'map' && typeof value === 'object' && shape.value) {
        const { value: ref } = shape;
        for (const [k, v] of Object.entries(value as Record<string, unknown>))
          walk(ref.shape, v, `${path}.${k}`);
      }
    };
    const inputShape = this.model.operations[operation]?.input;
    if (inputShape) walk(inputShape, input, '');
    return found;
  }

  /** Formats violations the way AWS services do. */
  static describe(errors: readonly string[]): string {
    const shown = errors.slice(0, MAX_REPORTED);
    const noun = errors.length === 1 ? 'error' : 'errors';
    return `${errors.length} validation ${noun} detected: ${shown.join('; ')}`;
  }

  private check(shapeName: string, value: unknown, path: string, errors: string[]): void {
    const shape = this.model.shapes[shapeName];
    if (!shape || value === undefined || value === null) return;
    const where = path || 'request';
    // Rendered only on failure, and bounded: a valid request's values are never serialized.
    const fail = (constraint: string) =>
      errors.push(`Value '${render(value)}' at '${where}' failed to satisfy constraint: ${constraint}`);
    switch (shape.type) {
      case 'structure': {
        if (typeof value !== 'object' || Array.isArray(value)) return void fail('Member must be an object');
        const record = value as Record<string, unknown>;
        for (const name of shape.required ?? []) {
          if (record[name] === undefined || record[name] === null) {
            errors.push(
              `Value null at '${join(path, name)}' failed to satisfy constraint: Member must not be null`,
            );
          }
        }
        for (const [name, member] of Object.entries(record)) {
          const ref = shape.members?.[name];
          if (!ref) {
            errors.push(`Unknown member '${name}' at '${where}'`);
            continue;
          }
          this.check(ref.shape, member, join(path, name), errors);
        }
        return;
      }
      case 'list': {
        if (!Array.isArray(value)) return void fail('Member must be a list');
        if (shape.min !== undefined && value.length < shape.min)
          fail(`Member must have length greater than or equal to ${shape.min}`);
        if (shape.max !== undefined && value.length > shape.max)
          fail(`Member must have length less than or equal to ${shape.max}`);
        value.forEach((item, i) => {
          if (shape.member) this.check(shape.member.shape, item, `${where}.${i + 1}.member`, errors);
        });
        return;
      }
      case 'map': {
        if (typeof value !== 'object' || Array.isArray(value)) return void fail('Member must be a map');
        const entries = Object.entries(value as Record<string, unknown>);
        if (shape.min !== undefined && entries.length < shape.min)
          fail(`Member must have length greater than or equal to ${shape.min}`);
        if (shape.max !== undefined && entries.length > shape.max)
          fail(`Member must have length less than or equal to ${shape.max}`);
        for (const [k, v] of entries) {
          if (shape.key) this.check(shape.key.shape, k, `${where}.key`, errors);
          if (shape.value) this.check(shape.value.shape, v, `${where}.${k}`, errors);
        }
        return;
      }
      case 'string': {
        if (typeof value !== 'string') return void fail('Member must be a string');
        if (shape.enum && !shape.enum.includes(value))
          return void fail(`Member must satisfy enum value set: [${shape.enum.join(', ')}]`);
        const length = codePoints(value, shape.max);
        if (shape.min !== undefined && length < shape.min)
          fail(`Member must have length greater than or equal to ${shape.min}`);
        if (shape.max !== undefined && length > shape.max) {
          // Not matched against the pattern too: a megabyte of text through a service
          // model's regex costs more than the answer is worth.
          return void fail(`Member must have length less than or equal to ${shape.max}`);
        }
        const pattern = shape.pattern === undefined ? null : this.regex(shape.pattern);
        if (pattern && !pattern.test(value))
          fail(`Member must satisfy regular expression pattern: ${shape.pattern}`);
        return;
      }
      case 'integer':
      case 'long': {
        const [lowest, highest] = shape.type === 'integer' ? INT : LONG;
        if (typeof value !== 'number' || !Number.isInteger(value) || value < lowest || value > highest)
          return void fail(`Member must be an integer between ${lowest} and ${highest}`);
        this.range(shape, value, fail);
        return;
      }
      case 'float':
      case 'double':
        if (typeof value !== 'number' || !Number.isFinite(value)) return void fail('Member must be a number');
        this.range(shape, value, fail);
        return;
      case 'boolean':
        if (typeof value !== 'boolean') fail('Member must be a boolean');
        return;
      case 'timestamp':
        if (!isTimestamp(value)) fail('Member must be a timestamp: epoch seconds or ISO 8601');
        return;
      case 'blob': {
        // JSON carries blobs as base64; the limits are on the decoded bytes.
        if (typeof value !== 'string' || !BASE64.test(value)) return void fail('Member must be base64');
        const bytes = Buffer.byteLength(value, 'base64');
        if (shape.min !== undefined && bytes < shape.min)
          fail(`Member must have length greater than or equal to ${shape.min}`);
        if (shape.max !== undefined && bytes > shape.max)
          fail(`Member must have length less than or equal to ${shape.max}`);
        return;
      }
      default:
        return;
    }
  }

  private range(shape: Shape, value: number, fail: (constraint: string) => void): void {
    if (shape.min !== undefined && value < shape.min)
      fail(`Member must have value greater than or equal to ${shape.min}`);
    if (shape.max !== undefined && value > shape.max)
      fail(`Member must have value less than or equal to ${shape.max}`);
  }

  /** Service-model patterns are Java regexes, compiled once each (see compileJavaPattern). */
  private regex(pattern: string): RegExp | null {
    let compiled = this.patterns.get(pattern);
    if (compiled === undefined) {
      compiled = compileJavaPattern(pattern);
      this.patterns.set(pattern, compiled);
    }
    return compiled;
  }
}

/** Java's int and long, as far as a JSON number is exact. */
const INT = [-(2 ** 31), 2 ** 31 - 1] as const;
const LONG = [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER] as const;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/** The string's length in code points, as the model counts it; counting stops past `max`. */
function codePoints(text: string, max = Number.POSITIVE_INFINITY): number {
  let count = 0;
  for (const _ of text) if (++count > max) return count;
  return count;
}

function isTimestamp(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  return typeof value === 'string' && ISO_8601.test(value) && !Number.isNaN(Date.parse(value));
}

/**
 * A service-model (Java) pattern as a whole-string JavaScript regex, or null for the rare one
 * JavaScript cannot read. Java accepts a quantifier on an anchor (`([\p{L}]*)${1,128}`, which
 * means no more than `$`); JavaScript refuses it, so such quantifiers are dropped rather than
 * the whole pattern skipped.
 */
export function compileJavaPattern(pattern: string): RegExp | null {
  for (const source of [pattern, pattern.replace(/(?<!\\)([$^])(?:\{\d+(?:,\d*)?\}|[*+?])/g, '$1')]) {
    try {
      return new RegExp(`^(?:${source})$`, 'u');
    } catch {
      // try the next reading
    }
  }
  return null;
}

/** A value for an error message: strings as they are, other values as JSON, 200 characters at most. */
function render(value: unknown): string {
  if (typeof value === 'string') return truncate(value);
  try {
    return truncate(JSON.stringify(value));
  } catch {
    // Too deep to serialize (callers refuse such bodies first; this keeps the validator safe alone).
    return Array.isArray(value) ? '[…]' : '{…}';
  }
}

function join(path: string, name: string): string {
  const camel = name.charAt(0).toLowerCase() + name.slice(1);
  return path ? `${path}.${camel}` : camel;
}

function truncate(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
