/**
 * Two-sample tests, effect sizes and multiple-testing corrections (PSI and Jensen–Shannon are
 * in divergence.ts). Distributions come from jstat (chi-square CDF through its regularised
 * incomplete gamma). jstat has no Kolmogorov distribution, no two-sample KS and no p-value
 * corrections, so those are written here — each is a short, textbook formula, checked
 * against scipy in test/unit/monitoring-reference.test.ts to 1e-9.
 */
import jstat from 'jstat';

const { jStat } = jstat;

/**
 * Survival function of the Kolmogorov distribution, P(K > λ) (scipy.special.kolmogorov).
 * For λ < 1 the theta-function form converges fastest (cdf = √(2π)/λ Σ e^{−(2k−1)²π²/(8λ²)});
 * above, the alternating series 2 Σ (−1)^{k−1} e^{−2k²λ²}.
 */
export function kolmogorovSf(lambda: number): number {
  if (!(lambda > 0)) return 1;
  if (lambda < 1) {
    const c = -(Math.PI * Math.PI) / (8 * lambda * lambda);
    let cdf = 0;
    for (let k = 1; k < 100; k++) {
      const term = Math.exp((2 * k - 1) * (2 * k - 1) * c);
      cdf += term;
      if (term < 1e-17 * cdf) break;
    }
    return Math.min(1, Math.max(0, 1 - (Math.sqrt(2 * Math.PI) / lambda) * cdf));
  }
  let sf = 0;
  for (let k = 1; k < 100; k++) {
    const term = Math.exp(-2 * k * k * lambda * lambda);
    sf += k % 2 === 1 ? term : -term;
    if (term < 1e-17) break;
  }
  return Math.min(1, Math.max(0, 2 * sf));
}

/**
 * Exact two-sided p-value P(D ≥ d) of the two-sample KS statistic for continuous data, by the
 * lattice-path recursion of Hodges (1957) as R's `psmirnov` implements it: O(n·m) time,
 * O(max(n, m)) memory. With ties (binned data) it is conservative.
 */
export function ksPValueExact(d: number, n: number, m: number): number {
  if (d <= 0) return 1;
  const small = Math.min(n, m);
  const large = Math.max(n, m);
  const md = small;
  const nd = large;
  const q = (0.5 + Math.floor(d * md * nd - 1e-7)) / (md * nd);
  const u = new Float64Array(large + 1);
  for (let j = 0; j <= large; j++) u[j] = j / nd > q ? 0 : 1;
  for (let i = 1; i <= small; i++) {
    const w = i / (i + large);
    u[0] = i / md > q ? 0 : w * (u[0] as number);
    for (let j = 1; j <= large; j++) {
      u[j] = Math.abs(i / md - j / nd) > q ? 0 : w * (u[j] as number) + (u[j - 1] as number);
    }
  }
  return Math.min(1, Math.max(0, 1 - (u[large] as number)));
}

export type KsPValueMethod = 'exact' | 'asymptotic';

/**
 * Two-sided p-value of a two-sample KS statistic `d` between samples of sizes n and m:
 * exact (`ksPValueExact`) when n·m ≤ `exactMaxProduct` (1,000,000 by default, a few ms),
 * else the asymptotic Kolmogorov distribution at the effective size n·m/(n+m),
 * P(K > √(nm/(n+m))·d), which is slightly conservative for finite samples.
 * (scipy's `ks_2samp(method='asymp')` instead evaluates the one-sample finite-n distribution
 * `kstwo` at n = round(nm/(n+m)); the two agree to about 1/√(nm/(n+m)) relative.)
 */
export function ksPValue(
  d: number,
  n: number,
  m: number,
  options: { method?: 'auto' | KsPValueMethod; exactMaxProduct?: number } = {},
): { pValue: number; method: KsPValueMethod } {
  const method =
    options.method === undefined || options.method === 'auto'
      ? n * m <= (options.exactMaxProduct ?? 1_000_000)
        ? 'exact'
        : 'asymptotic'
      : options.method;
  if (method === 'exact') return { pValue: ksPValueExact(d, n, m), method };
  return { pValue: kolmogorovSf(Math.sqrt((n * m) / (n + m)) * d), method };
}

/**
 * deequ's `linf_robust`: the L∞ distance less the two-sample KS critical value
 * c·√((n+m)/(nm)), floored at 0. deequ fixes c = 1.8 (≈ the critical value at α ≈ 0.003,
 * since c(α) = √(−ln(α/2)/2)); `criticalValueCoefficient` lets a caller pick another.
 */
export function lInfinityRobust(
  simple: number,
  n: number,
  m: number,
  criticalValueCoefficient = 1.8,
): number {
  return Math.max(0, simple - criticalValueCoefficient * Math.sqrt((n + m) / (n * m)));
}

/** The KS critical-value coefficient c(α) = √(−ln(α/2)/2) for a two-sided test at level α. */
export function ksCriticalCoefficient(alpha: number): number {
  return Math.sqrt(-Math.log(alpha / 2) / 2);
}

export interface ChiSquareResult {
  readonly statistic: number;
  readonly dof: number;
  readonly pValue: number;
}

/**
 * Pearson's chi-square test of homogeneity on an r×k table of counts (rows: samples, columns:
 * categories), without Yates' correction — scipy's `chi2_contingency(table, correction=False)`.
 * Columns that are empty in every row are dropped. The p-value is 1 − P(dof/2, χ²/2) with
 * jstat's regularised incomplete gamma.
 */
export function chiSquareHomogeneity(table: readonly (readonly number[])[]): ChiSquareResult {
  const rows = table.length;
  const width = table[0]?.length ?? 0;
  const colTotals: number[] = [];
  for (let j = 0; j < width; j++) {
    let s = 0;
    for (const row of table) s += row[j] ?? 0;
    colTotals.push(s);
  }
  const keep = colTotals.map((s, j) => (s > 0 ? j : -1)).filter((j) => j >= 0);
  const rowTotals = table.map((row) => keep.reduce((s, j) => s + (row[j] ?? 0), 0));
  const total = rowTotals.reduce((s, x) => s + x, 0);
  const dof = (rows - 1) * (keep.length - 1);
  if (dof <= 0 || total === 0) return { statistic: 0, dof: Math.max(0, dof), pValue: 1 };
  let statistic = 0;
  for (let i = 0; i < rows; i++) {
    for (const j of keep) {
      const expected = ((rowTotals[i] as number) * (colTotals[j] as number)) / total;
      if (expected === 0) continue;
      const diff = (table[i]?.[j] ?? 0) - expected;
      statistic += (diff * diff) / expected;
    }
  }
  return { statistic, dof, pValue: chiSquareSf(statistic, dof) };
}

/** P(χ²_dof > x). */
export function chiSquareSf(x: number, dof: number): number {
  if (!(x > 0)) return 1;
  return Math.min(1, Math.max(0, 1 - jStat.lowRegGamma(dof / 2, x / 2)));
}

/**
 * Benjamini–Hochberg adjusted p-values (step-up, FDR): for sorted p₍ᵢ₎, min over j ≥ i of
 * p₍ⱼ₎·m/j, capped at 1 — scipy.stats.false_discovery_control(ps, method='bh'). Rejecting
 * where the adjusted value is ≤ α controls the FDR at α, and the family-wise error at α when
 * no feature has drifted.
 */
export function benjaminiHochberg(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0]);
  const adjusted = new Array<number>(m);
  let running = 1;
  for (let r = m - 1; r >= 0; r--) {
    const [p, i] = order[r] as readonly [number, number];
    running = Math.min(running, (p * m) / (r + 1));
    adjusted[i] = Math.min(1, running);
  }
  return adjusted;
}

/** Bonferroni adjusted p-values min(1, m·p): family-wise error control under any dependence. */
export function bonferroni(pValues: readonly number[]): number[] {
  return pValues.map((p) => Math.min(1, p * pValues.length));
}
