/** A value nested in single-element lists, unwrapped (`[[3]]` → 3). */
export function unwrapSingle(value: unknown): unknown {
  let v = value;
  while (Array.isArray(v) && v.length === 1) v = v[0];
  return v;
}
