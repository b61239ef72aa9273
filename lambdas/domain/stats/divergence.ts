/**
 * Divergences between two histograms over the same bins (counts or weights, normalised
 * here): Jensen–Shannon distance and the Population Stability Index. Shadow tests compare
 * production's and the shadow's outputs with them, Model Monitor a baseline and a window.
 *
 * Hand-written: neither jstat nor sketches-js has them, they are a few lines, and no library
 * fixes PSI's smoothing. Checked against SciPy in test/unit/shadow-statistics.test.ts and
 * test/unit/monitoring-reference.test.ts.
 */

/**
 * Jensen–Shannon distance, base 2: sqrt(½ KL(p‖m) + ½ KL(q‖m)) with m = (p + q)/2, in [0, 1].
 * Matches `scipy.spatial.distance.jensenshannon(p, q, base=2)`. No smoothing is needed:
 * m is positive wherever p or q is, and 0·log 0 is taken as 0.
 */
export function jensenShannonDistance(p: readonly number[], q: readonly number[]): number {
  const [pn, qn] = normalisePair(p, q);
  let divergence = 0;
  for (let i = 0; i < pn.length; i++) {
    const a = pn[i] as number;
    const b = qn[i] as number;
    const m = (a + b) / 2;
    if (a > 0) divergence += 0.5 * a * Math.log2(a / m);
    if (b > 0) divergence += 0.5 * b * Math.log2(b / m);
  }
  // Rounding can leave a tiny negative for identical inputs, or a hair above 1.
  return Math.sqrt(Math.min(1, Math.max(0, divergence)));
}

/**
 * How PSI keeps an empty bin from making ln(a/e) infinite, applied to each side's proportions
 * pᵢ over k bins:
 * - `additive`: pᵢ' = (pᵢ + ε) / (1 + k·ε), which keeps each side a distribution and leaves
 *   populated bins all but unchanged. Shadow reports use it (their published numbers, and
 *   scripts/fixtures/shadow-statistics.py, are computed so).
 * - `floor`: pᵢ' = max(pᵢ, ε), not renormalised (Evidently's choice). Model Monitor uses it
 *   (its drift reports, and scripts/fixtures/monitoring-reference.py, are computed so).
 *
 * The two give different numbers wherever a bin is empty or nearly so, and each capability's
 * numbers are published and pinned by fixtures, so the rule is the caller's explicit choice.
 */
export type PsiSmoothing = 'additive' | 'floor';

/** The ε both capabilities smooth PSI with. */
export const DEFAULT_PSI_EPSILON = 1e-4;

/**
 * Population Stability Index of `actual` (shadow, current window) against `expected`
 * (production, baseline) over the same bins: Σ (aᵢ − eᵢ) · ln(aᵢ / eᵢ), natural log, on the
 * proportions smoothed by `smoothing` (see PsiSmoothing). The conventional reading (Siddiqi):
 * < 0.1 stable, 0.1–0.25 moderate shift, > 0.25 major.
 */
export function populationStabilityIndex(
  expected: readonly number[],
  actual: readonly number[],
  smoothing: PsiSmoothing,
  epsilon = DEFAULT_PSI_EPSILON,
): number {
  if (!(epsilon > 0)) throw new RangeError(`epsilon must be positive; got ${epsilon}`);
  const [e, a] = normalisePair(expected, actual);
  const k = e.length;
  const smooth =
    smoothing === 'additive'
      ? (x: number) => (x + epsilon) / (1 + k * epsilon)
      : (x: number) => Math.max(x, epsilon);
  let psi = 0;
  for (let i = 0; i < k; i++) {
    const ei = smooth(e[i] as number);
    const ai = smooth(a[i] as number);
    psi += (ai - ei) * Math.log(ai / ei);
  }
  return psi;
}

function normalisePair(p: readonly number[], q: readonly number[]): [number[], number[]] {
  if (p.length !== q.length || p.length === 0) {
    throw new RangeError(
      `histograms need the same, non-zero number of bins; got ${p.length} and ${q.length}`,
    );
  }
  return [normalise(p), normalise(q)];
}

function normalise(counts: readonly number[]): number[] {
  let total = 0;
  for (const c of counts) {
    if (!(c >= 0) || !Number.isFinite(c)) throw new RangeError(`bin counts must be finite and ≥ 0; got ${c}`);
    total += c;
  }
  if (total === 0) throw new RangeError('a histogram is empty');
  return counts.map((c) => c / total);
}
