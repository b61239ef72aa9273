/**
 * The small JSONPath subset a data-quality job definition uses to pick features out of JSON
 * payloads, and capture redaction to name the fields it drops or hashes: `$`, `.name`,
 * `['name']` / `["name"]`, `[3]`, `[*]` and `.*`. No package for JSONPath is installed and
 * this subset is ~60 lines, so it is written here.
 * Examples: `$.features`, `$.instances[*]`, `$.inputs.a`, `$['my key'][0]`.
 */

type Step = { kind: 'key'; key: string } | { kind: 'index'; index: number } | { kind: 'wildcard' };

export interface JsonPath {
  readonly expression: string;
  /** True when the path can match several nodes (it has a wildcard). */
  readonly multiple: boolean;
  /** All nodes the path matches in `doc`, in document order. */
  evaluate(doc: unknown): unknown[];
  /**
   * Where each match sits: its container and the key or index in it, so a caller can replace
   * or remove the matched values. The root itself (`$`) has no container and is never listed.
   */
  locate(doc: unknown): JsonSlot[];
}

/** A matched value's place: `container[key]`. */
export interface JsonSlot {
  readonly container: Record<string, unknown> | unknown[];
  readonly key: string | number;
}

export class InvalidJsonPathError extends Error {
  constructor(expression: string, reason: string) {
    super(`invalid JSONPath '${expression}': ${reason}`);
    this.name = 'InvalidJsonPathError';
  }
}

export function compileJsonPath(expression: string): JsonPath {
  const steps: Step[] = [];
  const text = expression.trim();
  if (!text.startsWith('$')) throw new InvalidJsonPathError(expression, "it must start with '$'");
  let i = 1;
  while (i < text.length) {
    const c = text[i];
    if (c === '.') {
      i++;
      if (text[i] === '*') {
        steps.push({ kind: 'wildcard' });
        i++;
        continue;
      }
      const match = /^[A-Za-z_$][\w$-]*/.exec(text.slice(i));
      if (!match) throw new InvalidJsonPathError(expression, `expected a name after '.' at ${i}`);
      steps.push({ kind: 'key', key: match[0] });
      i += match[0].length;
    } else if (c === '[') {
      const close = findClose(text, i);
      if (close < 0) throw new InvalidJsonPathError(expression, `unclosed '[' at ${i}`);
      const inner = text.slice(i + 1, close).trim();
      if (inner === '*') steps.push({ kind: 'wildcard' });
      else if (/^-?\d+$/.test(inner)) steps.push({ kind: 'index', index: Number(inner) });
      else if (/^'.*'$|^".*"$/.test(inner)) steps.push({ kind: 'key', key: inner.slice(1, -1) });
      else throw new InvalidJsonPathError(expression, `unsupported selector [${inner}]`);
      i = close + 1;
    } else {
      throw new InvalidJsonPathError(expression, `unexpected '${c}' at ${i}`);
    }
  }
  const multiple = steps.some((s) => s.kind === 'wildcard');
  return {
    expression,
    multiple,
    evaluate(doc: unknown): unknown[] {
      if (steps.length === 0) return [doc];
      return slots(doc, steps).map(({ container, key }) => (container as Record<string, unknown>)[key]);
    },
    locate(doc: unknown): JsonSlot[] {
      return slots(doc, steps);
    },
  };
}

/** The slots the steps lead to from `doc`, in document order. */
function slots(doc: unknown, steps: readonly Step[]): JsonSlot[] {
  let nodes: unknown[] = [doc];
  let found: JsonSlot[] = [];
  for (const step of steps) {
    found = [];
    for (const node of nodes) {
      if (node === null || typeof node !== 'object') continue;
      if (step.kind === 'wildcard') {
        if (Array.isArray(node))
          for (let i = 0; i < node.length; i++) found.push({ container: node, key: i });
        else
          for (const key of Object.keys(node))
            found.push({ container: node as Record<string, unknown>, key });
      } else if (step.kind === 'index') {
        if (Array.isArray(node)) {
          const index = step.index < 0 ? node.length + step.index : step.index;
          if (node[index] !== undefined) found.push({ container: node, key: index });
        }
      } else if (!Array.isArray(node) && Object.hasOwn(node, step.key)) {
        found.push({ container: node as Record<string, unknown>, key: step.key });
      }
    }
    nodes = found.map(({ container, key }) => (container as Record<string, unknown>)[key]);
  }
  return found;
}

function findClose(text: string, open: number): number {
  let quote: string | null = null;
  for (let i = open + 1; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === ']') {
      return i;
    }
  }
  return -1;
}
