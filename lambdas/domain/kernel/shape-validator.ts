/**
 * Validates a request against a botocore service model's input shape: required members,
 * types, enums, string patterns and length, numeric ranges, list lengths; unknown members are
 * refused. Hand-written because no maintained JavaScript library validates server-side
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
    const shown = typeof value === 'string' ? value : JSON.stringify(value);
    const fail = (constraint: string) =>
      errors.push(`Value '${truncate(shown)}' at '${where}' failed to satisfy constraint: ${constraint}`);
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
        const length = [...value].length;
        if (shape.min !== undefined && length < shape.min)
          fail(`Member must have length greater than or equal to ${shape.min}`);
        if (shape.max !== undefined && length > shape.max)
          fail(`Member must have length less than or equal to ${shape.max}`);
        const pattern = shape.pattern === undefined ? null : this.regex(shape.pattern);
        if (pattern && !pattern.test(value))
          fail(`Member must satisfy regular expression pattern: ${shape.pattern}`);
        return;
      }
      case 'integer':
      case 'long':
        if (typeof value !== 'number' || !Number.isInteger(value))
          return void fail('Member must be an integer');
        this.range(shape, value, fail);
        return;
      case 'float':
      case 'double':
        if (typeof value !== 'number' || !Number.isFinite(value)) return void fail('Member must be a number');
        this.range(shape, value, fail);
        return;
      case 'boolean':
        if (typeof value !== 'boolean') fail('Member must be a boolean');
        return;
      case 'timestamp':
        if (typeof value !== 'number' && (typeof value !== 'string' || Number.isNaN(Date.parse(value))))
          fail('Member must be a timestamp');
        return;
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

  /** Service-model patterns are Java regexes; the few JavaScript cannot compile are skipped. */
  private regex(pattern: string): RegExp | null {
    let compiled = this.patterns.get(pattern);
    if (compiled === undefined) {
      try {
        compiled = new RegExp(`^(?:${pattern})$`, 'u');
      } catch {
        compiled = null;
      }
      this.patterns.set(pattern, compiled);
    }
    return compiled;
  }
}

function join(path: string, name: string): string {
  const camel = name.charAt(0).toLowerCase() + name.slice(1);
  return path ? `${path}.${camel}` : camel;
}

function truncate(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
