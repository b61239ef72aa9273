/**
 * Bounded keyed tallies (output labels, segments) that stay mergeable.
 *
 * When there are more keys than the cap, the keys kept are the `cap` keys with the smallest
 * hash (ties by key) and the rest are folded into one "other" tally. That rule, unlike
 * "keep the busiest", makes merging exactly associative and commutative: a key is kept in
 * the final result iff its hash is among the `cap` smallest of all keys ever seen, and such
 * a key was then among the smallest of every partial merge too, so it was never folded and
 * its tally is complete. "Keep the busiest" would fold a key in one merge order and keep it
 * in another. Below the cap (the usual case: a few classes, a categorical feature) every
 * key is kept exactly; above it, the kept keys are a uniform pseudo-random sample of keys.
 */
export interface Capped<T> {
  readonly kept: ReadonlyMap<string, T>;
  readonly other: T;
}

export function capByHash<T>(
  entries: ReadonlyMap<string, T>,
  cap: number,
  other: T,
  add: (a: T, b: T) => T,
): Capped<T> {
  if (entries.size <= cap) return { kept: entries, other };
  const ranked = [...entries.keys()]
    .map((key) => ({ key, hash: fnv1a(key) }))
    .sort((a, b) => a.hash - b.hash || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const kept = new Map<string, T>();
  let folded = other;
  for (const [i, { key }] of ranked.entries()) {
    const value = entries.get(key) as T;
    if (i < cap) kept.set(key, value);
    else folded = add(folded, value);
  }
  return { kept, other: folded };
}

/** Adds two keyed tallies key by key. */
export function addMaps<T>(
  a: ReadonlyMap<string, T>,
  b: ReadonlyMap<string, T>,
  add: (x: T, y: T) => T,
): Map<string, T> {
  const out = new Map(a);
  for (const [key, value] of b) {
    const existing = out.get(key);
    out.set(key, existing === undefined ? value : add(existing, value));
  }
  return out;
}

/** 32-bit FNV-1a over UTF-16 code units: small, fast, stable across runtimes. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
