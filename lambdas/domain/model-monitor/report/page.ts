/**
 * The monitoring execution's HTML report: one self-contained page (inline CSS and SVG, no
 * scripts, no external assets) that a person can open from S3 and read. Header with the
 * window and its outcome; the constraint violations; a summary row per feature; then per
 * feature the baseline and current histograms side by side on shared buckets, and the numbers
 * behind every check — SageMaker's L∞ distance and the calibrated test with its effect sizes —
 * saying which rule, if any, flagged it.
 *
 * Pure: the same input gives the same page (no clock, no I/O). Every string that comes from
 * the data — feature names, category values, parse errors, endpoint and schedule names — is
 * HTML-escaped.
 */
import type { ParseSummary } from '../statistics/accumulator.js';
import type { CheckOutcome, ConstraintCheckResult, DriftDistance } from '../statistics/checks.js';
import { completenessOf, type FeatureHistograms, featureHistograms } from '../statistics/distributions.js';
import { type DriftReport, type DriftRule, driftFindings, type FeatureDrift } from '../statistics/drift.js';
import type { ConstraintViolation, FeatureStatistics, Statistics } from '../statistics/schemas.js';

/** Who and what the report is about; the execution knows these. */
export interface MonitoringReportMetadata {
  readonly endpointName: string;
  readonly scheduleName: string;
  /** The data analysis window (ISO-8601 strings or Dates; shown in UTC). */
  readonly windowStart: string | Date;
  readonly windowEnd: string | Date;
  /** Shown when given (e.g. the monitoring execution's id or ARN). */
  readonly executionId?: string;
  /** When the report was made; left out when not given (the renderer reads no clock). */
  readonly generatedAt?: string | Date;
}

/** Everything the report shows: the execution's results, as the monitoring domain returns them. */
export interface MonitoringReportInput {
  readonly metadata: MonitoringReportMetadata;
  /** The baseline's statistics.json. */
  readonly baseline: Statistics;
  /** The window's statistics.json (`DatasetAccumulator.toStatistics()`). */
  readonly current: Statistics;
  /** How the window's capture records parsed (`DatasetAccumulator.summary`). */
  readonly parse: ParseSummary;
  /** `checkConstraints(...)` on the window. */
  readonly checks: ConstraintCheckResult;
  /** `detectDrift(baseline, current, ...)`. */
  readonly drift: DriftReport;
}

/** Categories drawn per categorical histogram; the rest are summed into one bar. */
const MAX_CATEGORIES = 10;
const NUMERIC_BUCKETS = 10;

const RULE_LABELS: Record<DriftRule, string> = {
  l_infinity: 'L∞ distance (SageMaker baseline_drift_check)',
  'ks+effect': 'KS test + effect size (calibrated)',
  'chi2+effect': 'Chi-square test + effect size (calibrated)',
};

const CORRECTION_LABELS: Record<DriftReport['correction'], string> = {
  'benjamini-hochberg': 'Benjamini–Hochberg',
  bonferroni: 'Bonferroni',
  none: 'none',
};

const OUTCOME_LABELS: Record<CheckOutcome, string> = {
  NoData: 'No data',
  Completed: 'Completed',
  CompletedWithViolations: 'Completed with violations',
};

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const esc = escapeHtml;

function count(n: number): string {
  if (!Number.isFinite(n)) return num(n);
  const s = String(Math.round(Math.abs(n))).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return n < 0 ? `−${s}` : s;
}

/** A number in at most 4 significant digits (exponent form when very large or small). */
function num(x: number | undefined | null): string {
  if (x === undefined || x === null || Number.isNaN(x)) return '—';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (Number.isInteger(x) && a < 1e9) return count(x);
  if (a >= 1e9 || a < 1e-3) return x.toExponential(2).replace('-', '−');
  const s = x.toPrecision(4);
  const trimmed = s.includes('.') ? s.replace(/\.?0+$/, '') : s;
  return trimmed.replace('-', '−');
}

function pValue(p: number | undefined): string {
  if (p === undefined || Number.isNaN(p)) return '—';
  // 0 when the tail probability is below what the test's floating-point arithmetic resolves.
  if (p <= 0) return '≈ 0';
  if (p < 1e-4) return p.toExponential(2).replace('-', '−');
  return Number(p.toPrecision(3)).toString();
}

/** A share as a percentage that never rounds a shortfall up to 100%. */
function percent(x: number | null | undefined): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '—';
  const s = (x * 100).toFixed(2);
  if (x < 1 && s === '100.00') return '> 99.99%';
  if (x > 0 && s === '0.00') return '< 0.01%';
  return `${s}%`;
}

function time(t: string | Date): string {
  if (t instanceof Date) return Number.isNaN(t.getTime()) ? String(t) : t.toISOString();
  return t;
}

/** What is known about one feature across the inputs. */
interface FeatureView {
  readonly name: string;
  readonly baseline?: FeatureStatistics;
  readonly current?: FeatureStatistics;
  readonly distance?: DriftDistance;
  readonly drift?: FeatureDrift;
  readonly skipped?: string;
  readonly violations: ConstraintViolation[];
  readonly flaggedBy: DriftRule[];
}

function featureViews(input: MonitoringReportInput): FeatureView[] {
  const { baseline, current, checks, drift } = input;
  const names: string[] = [];
  const seen = new Set<string>();
  for (const f of [...baseline.features, ...current.features]) {
    if (!seen.has(f.name)) {
      seen.add(f.name);
      names.push(f.name);
    }
  }
  for (const v of checks.violations) {
    if (!seen.has(v.feature_name)) {
      seen.add(v.feature_name);
      names.push(v.feature_name);
    }
  }
  const byName = <T extends { name: string }>(list: readonly T[]) => new Map(list.map((x) => [x.name, x]));
  const baseByName = byName(baseline.features);
  const currentByName = byName(current.features);
  const distances = new Map(checks.distances.map((d) => [d.feature, d]));
  const drifts = new Map(drift.features.map((d) => [d.feature, d]));
  const skipped = new Map(drift.skipped.map((s) => [s.feature, s.reason]));
  const flagged = new Map(driftFindings(checks.distances, drift).map((f) => [f.feature, f.flaggedBy]));
  const views = names.map((name): FeatureView => {
    const view: {
      -readonly [K in keyof FeatureView]: FeatureView[K];
    } = {
      name,
      violations: checks.violations.filter((v) => v.feature_name === name),
      flaggedBy: flagged.get(name) ?? [],
    };
    const b = baseByName.get(name);
    const c = currentByName.get(name);
    const d = distances.get(name);
    const t = drifts.get(name);
    const s = skipped.get(name);
    if (b) view.baseline = b;
    if (c) view.current = c;
    if (d) view.distance = d;
    if (t) view.drift = t;
    if (s !== undefined) view.skipped = s;
    return view;
  });
  // Features with findings first, each group in the baseline's order.
  const hasFindings = (v: FeatureView) => v.flaggedBy.length > 0 || v.violations.length > 0;
  return [...views.filter(hasFindings), ...views.filter((v) => !hasFindings(v))];
}

/** Renders the execution's report as one self-contained HTML page. */
export function renderMonitoringReport(input: MonitoringReportInput): string {
  const { metadata } = input;
  const noData = input.checks.outcome === 'NoData' || input.current.dataset.item_count === 0;
  const views = noData ? [] : featureViews(input);
  const title = `Model Monitor report — ${metadata.endpointName} / ${metadata.scheduleName}`;
  const body = [
    header(input, noData),
    noData ? noDataPanel(input) : '',
    noData ? '' : violationsSection(input.checks.violations),
    noData ? '' : summarySection(input, views),
    noData ? '' : views.map((v, i) => featureSection(v, i, input.drift)).join('\n'),
  ].join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

function header(input: MonitoringReportInput, noData: boolean): string {
  const { metadata, parse, checks, drift } = input;
  const outcome = noData ? 'NoData' : checks.outcome;
  const rows = input.current.dataset.item_count;
  const tested = drift.features.length;
  const facts: [string, string][] = [
    ['Endpoint', esc(metadata.endpointName)],
    ['Monitoring schedule', esc(metadata.scheduleName)],
    ['Window start', esc(time(metadata.windowStart))],
    ['Window end', esc(time(metadata.windowEnd))],
    ['Capture records', count(parse.records)],
    ['Rows analysed', count(rows)],
    ['Unparseable records', count(parse.unparseable)],
  ];
  if (metadata.executionId !== undefined) facts.push(['Execution', esc(metadata.executionId)]);
  if (metadata.generatedAt !== undefined) facts.push(['Generated', esc(time(metadata.generatedAt))]);
  const driftLine = noData
    ? ''
    : `<p class="chips"><span class="chip ${checks.violations.length > 0 ? 'bad' : 'ok'}">${count(checks.violations.length)} constraint violation${checks.violations.length === 1 ? '' : 's'}</span>
<span class="chip ${drift.drifted.length > 0 ? 'bad' : 'ok'}">${count(drift.drifted.length)} of ${count(tested)} features drifted (calibrated test)</span>
<span class="chip">α = ${num(drift.alpha)}, correction: ${esc(CORRECTION_LABELS[drift.correction])}; effect thresholds: PSI ≥ ${num(drift.thresholds.psi)} or W₁/σ ≥ ${num(drift.thresholds.wassersteinNormalized)}</span></p>`;
  return `<header>
<h1>Model Monitor report <span class="outcome ${esc(outcome)}" data-outcome="${esc(outcome)}">${esc(OUTCOME_LABELS[outcome])}</span></h1>
<dl class="facts">${facts.map(([k, v]) => `<div><dt>${k}</dt><dd>${v}</dd></div>`).join('')}</dl>
${driftLine}
${unparseableNote(parse)}
</header>`;
}

function unparseableNote(parse: ParseSummary): string {
  if (parse.unparseable === 0) return '';
  const share = parse.records > 0 ? ` (${percent(parse.unparseable / parse.records)} of records)` : '';
  const reasons =
    parse.errors.length > 0
      ? `<ul class="reasons">${parse.errors.map((e) => `<li><code>${esc(e)}</code></li>`).join('')}</ul>`
      : '';
  return `<div class="note warn"><strong>${count(parse.unparseable)} record${parse.unparseable === 1 ? '' : 's'} could not be parsed${share}</strong> and were left out of the statistics. ${parse.errors.length > 0 ? 'Example reasons:' : ''}${reasons}</div>`;
}

function noDataPanel(input: MonitoringReportInput): string {
  const message =
    input.checks.message ?? input.drift.message ?? 'The window holds no rows to compare with the baseline.';
  return `<section class="nodata" data-nodata="true">
<h2>No data in this window</h2>
<p>${esc(message)}</p>
<p>Nothing was checked: no constraint was evaluated and no drift test was run. The baseline has ${count(input.baseline.features.length)} feature${input.baseline.features.length === 1 ? '' : 's'} (${count(input.baseline.dataset.item_count)} rows).</p>
</section>`;
}

function violationsSection(violations: readonly ConstraintViolation[]): string {
  if (violations.length === 0) {
    return `<section><h2>Constraint violations</h2><p class="muted">None: every constraint held.</p></section>`;
  }
  const rows = violations
    .map(
      (v) =>
        `<tr><td class="name">${esc(v.feature_name)}</td><td><code>${esc(v.constraint_check_type)}</code></td><td>${esc(v.description)}</td></tr>`,
    )
    .join('\n');
  return `<section><h2>Constraint violations (${count(violations.length)})</h2>
<table class="violations"><colgroup><col style="width:22%"><col style="width:210px"><col></colgroup><thead><tr><th>Feature</th><th>Check type</th><th>Description</th></tr></thead>
<tbody>
${rows}
</tbody></table></section>`;
}

function typeOf(v: FeatureView): string {
  const b = v.baseline?.inferred_type;
  const c = v.current?.inferred_type;
  if (b && c && b !== c) return `${b} → ${c}`;
  return b ?? c ?? 'Unknown';
}

function summarySection(input: MonitoringReportInput, views: readonly FeatureView[]): string {
  const rows = views
    .map((v, i) => {
      const d = v.distance;
      const t = v.drift;
      const flagged = v.flaggedBy.length > 0;
      const status = flagged
        ? v.flaggedBy.map((r) => ruleBadge(r)).join(' ')
        : v.violations.length > 0
          ? '<span class="badge warn">violations</span>'
          : '<span class="muted">—</span>';
      return `<tr class="${flagged ? 'flagged' : ''}"><td class="name"><a href="#feature-${i}">${esc(v.name)}</a></td><td>${esc(typeOf(v))}</td><td>${percent(v.baseline ? completenessOf(v.baseline) : null)}</td><td>${percent(v.current ? completenessOf(v.current) : null)}</td><td class="num${d?.exceeded ? ' over' : ''}">${d ? `${num(d.value)}${d.method === 'ChiSquared' ? ' (p)' : ''}` : '—'}</td><td class="num${t?.significant ? ' over' : ''}">${t ? pValue(t.adjustedPValue) : '—'}</td><td class="num${t && t.effect.psi >= input.drift.thresholds.psi ? ' over' : ''}">${t ? num(t.effect.psi) : '—'}</td><td class="num${t?.effect.wassersteinNormalized !== undefined && t.effect.wassersteinNormalized >= input.drift.thresholds.wassersteinNormalized ? ' over' : ''}">${t?.effect.wassersteinNormalized !== undefined ? num(t.effect.wassersteinNormalized) : '—'}</td><td>${status}</td></tr>`;
    })
    .join('\n');
  return `<section><h2>Features</h2>
<p class="muted">Features with findings first. Values past their threshold are in red.</p>
<table class="summary"><thead><tr><th>Feature</th><th>Type</th><th>Completeness<br>baseline</th><th>Completeness<br>current</th><th>L∞ distance</th><th>Adjusted p</th><th>PSI</th><th>W₁/σ</th><th>Flagged by</th></tr></thead>
<tbody>
${rows}
</tbody></table></section>`;
}

function ruleBadge(rule: DriftRule): string {
  return `<span class="badge bad" data-rule="${esc(rule)}">${esc(RULE_LABELS[rule])}</span>`;
}

function featureSection(v: FeatureView, index: number, drift: DriftReport): string {
  const flagged = v.flaggedBy.length > 0;
  const verdict = flagged
    ? `<p class="verdict bad">Flagged by: ${v.flaggedBy.map(ruleBadge).join(' ')}</p>`
    : `<p class="verdict ok">${esc(notFlaggedReason(v, drift))}</p>`;
  const violations =
    v.violations.length > 0
      ? `<ul class="feature-violations">${v.violations.map((x) => `<li><code>${esc(x.constraint_check_type)}</code> ${esc(x.description)}</li>`).join('')}</ul>`
      : '';
  return `<section class="feature${flagged ? ' flagged' : ''}" id="feature-${index}" data-feature="${esc(v.name)}" data-flagged="${flagged}">
<h2><span class="name">${esc(v.name)}</span> <span class="type">${esc(typeOf(v))}</span></h2>
${verdict}
${violations}
${charts(v, flagged)}
<div class="tables">${statisticsTable(v)}${testsTable(v, drift)}</div>
</section>`;
}

function notFlaggedReason(v: FeatureView, drift: DriftReport): string {
  if (!v.baseline) return 'Not in the baseline (an extra column): not compared.';
  if (!v.current) return 'Absent from this window: not compared.';
  const t = v.drift;
  if (!t) return `Not flagged. Calibrated test not run: ${v.skipped ?? 'no comparable distribution'}.`;
  if (t.significant && !t.effectExceeded) {
    return `Not flagged: the difference is statistically significant (adjusted p = ${pValue(t.adjustedPValue)}) but smaller than the effect thresholds (PSI < ${num(drift.thresholds.psi)} and W₁/σ < ${num(drift.thresholds.wassersteinNormalized)}).`;
  }
  if (!t.significant && t.effectExceeded) {
    return `Not flagged: the effect size passes its threshold but the test is not significant (adjusted p = ${pValue(t.adjustedPValue)} > α = ${num(drift.alpha)}).`;
  }
  return 'Not flagged: no significant drift.';
}

function charts(v: FeatureView, flagged: boolean): string {
  const both = v.baseline && v.current ? featureHistograms(v.baseline, v.current, NUMERIC_BUCKETS) : null;
  let histograms: FeatureHistograms | null = both;
  let sides: ('baseline' | 'current')[] = ['baseline', 'current'];
  if (!histograms) {
    // One side only (a missing or extra column, or a changed type): draw what there is.
    const only = v.current ?? v.baseline;
    const self = only ? featureHistograms(only, only, NUMERIC_BUCKETS) : null;
    if (self && v.current && (!v.baseline || v.baseline.inferred_type === 'Unknown')) {
      histograms = self;
      sides = ['current'];
    } else if (self && v.baseline && !v.current) {
      histograms = self;
      sides = ['baseline'];
    }
  }
  if (!histograms) {
    return '<p class="muted charts-none">No histogram: the feature has no comparable distribution on both sides.</p>';
  }
  const h = histograms;
  const shares = {
    baseline: shareOf(h.baseline),
    current: shareOf(h.current),
  };
  const note = sides.length === 1 ? `<p class="muted">Only the ${sides[0]} has this feature.</p>` : '';
  if (h.kind === 'numeric') {
    const yMax = niceMax(Math.max(...sides.flatMap((s) => shares[s])));
    return `${note}<div class="charts">${sides
      .map((s) => numericChart(h, s, s === 'baseline' ? h.baseline : h.current, yMax, flagged))
      .join('')}</div>`;
  }
  const order = categoryOrder(h, sides);
  const xMax = niceMax(
    Math.max(...sides.flatMap((s) => order.map((group) => sumAt(shares[s], group.indices)))),
  );
  return `${note}<div class="charts">${sides
    .map((s) => categoricalChart(h, s, s === 'baseline' ? h.baseline : h.current, order, xMax, flagged))
    .join('')}</div>`;
}

function shareOf(counts: readonly number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => (total > 0 ? c / total : 0));
}

function sumAt(values: readonly number[], indices: readonly number[]): number {
  let s = 0;
  for (const i of indices) s += values[i] as number;
  return s;
}

/** A round axis maximum at or above x (1, 2, 2.5, 5 × 10^k), at most 1. */
function niceMax(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= x - 1e-12) return Math.min(1, m * p);
  return 1;
}

const W = 520;
const COLORS = { baseline: '#7d8ea3', current: '#2f6fc4', drifted: '#c8412f' };

function seriesColor(side: 'baseline' | 'current', flagged: boolean): string {
  return side === 'baseline' ? COLORS.baseline : flagged ? COLORS.drifted : COLORS.current;
}

function caption(side: 'baseline' | 'current', counts: readonly number[]): string {
  const total = counts.reduce((a, b) => a + b, 0);
  return `<figcaption><span class="swatch ${side}"></span>${side === 'baseline' ? 'Baseline' : 'Current window'} · ${count(total)} values <span class="muted">(share of values per bar)</span></figcaption>`;
}

function axisNumber(x: number): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e5 || a < 1e-2) return x.toExponential(1).replace('-', '−');
  return Number(x.toPrecision(3)).toString().replace('-', '−');
}

function numericChart(
  h: FeatureHistograms,
  side: 'baseline' | 'current',
  counts: readonly number[],
  yMax: number,
  flagged: boolean,
): string {
  const H = 190;
  const left = 46;
  const right = 12;
  const top = 10;
  const bottom = 24;
  const plotW = W - left - right;
  const plotH = H - top - bottom;
  const n = counts.length;
  const shares = shareOf(counts);
  const bw = plotW / Math.max(1, n);
  const color = seriesColor(side, flagged);
  const parts: string[] = [];
  for (const f of [0, 0.5, 1]) {
    const y = top + plotH - f * plotH;
    parts.push(
      `<line class="grid" x1="${left}" x2="${W - right}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}"/>`,
      `<text class="tick" x="${left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end">${esc(percent0(f * yMax))}</text>`,
    );
  }
  counts.forEach((c, i) => {
    const share = shares[i] as number;
    const height = (share / yMax) * plotH;
    const x = left + i * bw + 1;
    const y = top + plotH - height;
    parts.push(
      `<rect data-series="${side}" data-count="${c}" x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(1, bw - 2).toFixed(1)}" height="${height.toFixed(1)}" fill="${color}"><title>${esc(h.labels[i] ?? '')}: ${count(c)} (${percent(share)})</title></rect>`,
    );
  });
  // Bucket boundaries under the axis: every other one when there are many.
  const bounds = boundaries(h);
  const step = bounds.length > 7 ? 2 : 1;
  bounds.forEach((b, i) => {
    if (i % step !== 0 && i !== bounds.length - 1) return;
    if (i === bounds.length - 2 && step === 2 && (bounds.length - 1) % 2 !== 0) return;
    const x = left + i * bw;
    parts.push(
      `<line class="axis" x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${top + plotH}" y2="${top + plotH + 4}"/>`,
      `<text class="tick" x="${x.toFixed(1)}" y="${top + plotH + 17}" text-anchor="${i === 0 ? 'start' : i === bounds.length - 1 ? 'end' : 'middle'}">${esc(axisNumber(b))}</text>`,
    );
  });
  parts.push(`<line class="axis" x1="${left}" x2="${W - right}" y1="${top + plotH}" y2="${top + plotH}"/>`);
  return `<figure class="chart" data-series="${side}">${caption(side, counts)}<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(`${h.feature}: ${side} histogram`)}">${parts.join('')}</svg></figure>`;
}

function percent0(x: number): string {
  const s = (x * 100).toFixed(x * 100 >= 10 || x === 0 ? 0 : 1);
  return `${s}%`;
}

/** The bucket boundaries of a numeric histogram: lowest value, the edges, highest value. */
function boundaries(h: FeatureHistograms): number[] {
  const e = h.edges;
  if (e.length >= 2) {
    const w = (e[1] as number) - (e[0] as number);
    return [(e[0] as number) - w, ...e, (e[e.length - 1] as number) + w];
  }
  // One bucket (every value equal): its label is "(lo, hi]".
  const m = /^\((.*), (.*)\]$/.exec(h.labels[0] ?? '');
  const lo = Number(m?.[1]);
  const hi = Number(m?.[2]);
  return Number.isFinite(lo) && Number.isFinite(hi) ? (lo === hi ? [lo] : [lo, hi]) : [];
}

interface CategoryGroup {
  readonly label: string;
  readonly indices: number[];
  readonly title: string;
}

/** The most frequent categories (by the larger of the two shares), then the rest as one group. */
function categoryOrder(h: FeatureHistograms, sides: readonly ('baseline' | 'current')[]): CategoryGroup[] {
  const sa = shareOf(h.baseline);
  const sc = shareOf(h.current);
  const weight = (i: number) =>
    Math.max(
      sides.includes('baseline') ? (sa[i] as number) : 0,
      sides.includes('current') ? (sc[i] as number) : 0,
    );
  const order = h.labels
    .map((label, i) => ({ label, i }))
    .sort((a, b) => weight(b.i) - weight(a.i) || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  const limit = order.length > MAX_CATEGORIES + 1 ? MAX_CATEGORIES : order.length;
  const groups: CategoryGroup[] = order
    .slice(0, limit)
    .map(({ label, i }) => ({ label, indices: [i], title: label }));
  const rest = order.slice(limit);
  if (rest.length > 0) {
    groups.push({
      label: `(${count(rest.length)} other values)`,
      indices: rest.map((r) => r.i),
      title: `${count(rest.length)} less frequent values, summed`,
    });
  }
  return groups;
}

function truncate(s: string, max: number): string {
  const chars = [...s];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : s;
}

function categoricalChart(
  h: FeatureHistograms,
  side: 'baseline' | 'current',
  counts: readonly number[],
  groups: readonly CategoryGroup[],
  xMax: number,
  flagged: boolean,
): string {
  const rowH = 20;
  const top = 6;
  const labelW = 150;
  const valueW = 62;
  const H = top + groups.length * rowH + 8;
  const plotW = W - labelW - valueW;
  const shares = shareOf(counts);
  const color = seriesColor(side, flagged);
  const parts = groups.map((g, r) => {
    const c = sumAt(counts, g.indices);
    const share = sumAt(shares, g.indices);
    const y = top + r * rowH;
    const width = (share / xMax) * plotW;
    return `<text class="cat" x="${labelW - 6}" y="${y + 14}" text-anchor="end">${esc(truncate(g.label, 22))}<title>${esc(g.title)}</title></text><rect data-series="${side}" data-count="${c}" data-category="${esc(g.label)}" x="${labelW}" y="${y + 3}" width="${width.toFixed(1)}" height="${rowH - 6}" fill="${color}"><title>${esc(g.title)}: ${count(c)} (${percent(share)})</title></rect><text class="tick" x="${(labelW + width + 4).toFixed(1)}" y="${y + 14}">${esc(percent(share))}</text>`;
  });
  parts.push(`<line class="axis" x1="${labelW}" x2="${labelW}" y1="${top}" y2="${H - 8}"/>`);
  return `<figure class="chart" data-series="${side}">${caption(side, counts)}<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(`${h.feature}: ${side} top values`)}">${parts.join('')}</svg></figure>`;
}

function statisticsTable(v: FeatureView): string {
  const b = v.baseline;
  const c = v.current;
  const rows: [string, string, string][] = [
    ['Inferred type', esc(b?.inferred_type ?? '—'), esc(c?.inferred_type ?? 'absent')],
    ['Completeness', percent(b ? completenessOf(b) : null), percent(c ? completenessOf(c) : null)],
  ];
  const nb = b?.numerical_statistics;
  const nc = c?.numerical_statistics;
  if (nb || nc) {
    rows.push(
      ['Numeric values', nb ? count(nb.common.num_present) : '—', nc ? count(nc.common.num_present) : '—'],
      ['Mean', num(nb?.mean), num(nc?.mean)],
      ['Standard deviation', num(nb?.std_dev), num(nc?.std_dev)],
      ['Min', num(nb?.min), num(nc?.min)],
      ['Max', num(nb?.max), num(nc?.max)],
    );
  }
  const sb = b?.string_statistics;
  const sc = c?.string_statistics;
  if (sb || sc) {
    rows.push(
      ['Values present', sb ? count(sb.common.num_present) : '—', sc ? count(sc.common.num_present) : '—'],
      ['Distinct values', sb ? count(sb.distinct_count) : '—', sc ? count(sc.distinct_count) : '—'],
      ['Most frequent', esc(topValue(sb) ?? '—'), esc(topValue(sc) ?? '—')],
    );
  }
  return `<table class="numbers"><thead><tr><th>Statistic</th><th>Baseline</th><th>Current</th></tr></thead><tbody>${rows
    .map(([k, x, y]) => `<tr><td>${k}</td><td class="num">${x}</td><td class="num">${y}</td></tr>`)
    .join('')}</tbody></table>`;
}

function topValue(s: FeatureStatistics['string_statistics']): string | undefined {
  const buckets = s?.distribution?.categorical?.buckets;
  if (!buckets || buckets.length === 0) return undefined;
  let best = buckets[0] as { value: string; count: number };
  for (const b of buckets) if (b.count > best.count) best = b;
  return truncate(best.value, 40);
}

function testsTable(v: FeatureView, drift: DriftReport): string {
  const rows: [string, string, string, string][] = [];
  const d = v.distance;
  if (d) {
    if (d.method === 'ChiSquared') {
      rows.push([
        'Chi-square p-value (baseline_drift_check)',
        pValue(d.value),
        `&lt; ${num(d.threshold)}`,
        flag(d.exceeded, 'below'),
      ]);
      rows.push(['L∞ distance (simple)', num(d.simple), '', '']);
    } else {
      rows.push([
        `L∞ distance, ${esc(d.method)} (baseline_drift_check)`,
        num(d.value),
        `&gt; ${num(d.threshold)}`,
        flag(d.exceeded),
      ]);
      rows.push([
        `L∞ ${d.method === 'Robust' ? 'simple' : 'robust'}`,
        num(d.method === 'Robust' ? d.simple : d.robust),
        '',
        '',
      ]);
    }
  }
  const t = v.drift;
  if (t) {
    const bound =
      t.statisticErrorBound !== undefined && t.statisticErrorBound > 0
        ? ` <span class="muted">(sketch error ≤ ${num(t.statisticErrorBound)})</span>`
        : '';
    const dof = t.dof !== undefined ? ` <span class="muted">(dof ${count(t.dof)})</span>` : '';
    rows.push([
      t.test === 'ks' ? 'KS statistic D' : 'Chi-square statistic χ²',
      `${num(t.statistic)}${bound}${dof}`,
      '',
      '',
    ]);
    rows.push([`p-value (${esc(t.pValueMethod)})`, pValue(t.pValue), '', '']);
    rows.push([
      `Adjusted p-value (${esc(CORRECTION_LABELS[drift.correction])}, ${count(drift.features.length)} tests)`,
      pValue(t.adjustedPValue),
      `≤ ${num(drift.alpha)}`,
      flag(t.significant, 'significant'),
    ]);
    rows.push([
      'PSI',
      num(t.effect.psi),
      `≥ ${num(drift.thresholds.psi)}`,
      flag(t.effect.psi >= drift.thresholds.psi),
    ]);
    rows.push(['Jensen–Shannon distance', num(t.effect.jensenShannon), '', '']);
    if (t.effect.wassersteinNormalized !== undefined) {
      const over = t.effect.wassersteinNormalized >= drift.thresholds.wassersteinNormalized;
      rows.push([
        'Wasserstein W₁ / baseline σ',
        num(t.effect.wassersteinNormalized),
        `≥ ${num(drift.thresholds.wassersteinNormalized)}`,
        flag(over),
      ]);
    }
    if (t.effect.wasserstein !== undefined) rows.push(['Wasserstein W₁', num(t.effect.wasserstein), '', '']);
    rows.push([
      'Calibrated rule',
      t.rule ? esc(RULE_LABELS[t.rule]) : 'not flagged (needs significant and effect over threshold)',
      '',
      flag(t.drifted, 'drifted'),
    ]);
  } else if (v.skipped !== undefined) {
    rows.push(['Calibrated test', `not run: ${esc(v.skipped)}`, '', '']);
  }
  if (rows.length === 0) return '';
  return `<table class="numbers tests"><thead><tr><th>Test</th><th>Value</th><th>Flags at</th><th></th></tr></thead><tbody>${rows
    .map(
      ([k, x, th, f]) =>
        `<tr><td>${k}</td><td class="num">${x}</td><td class="num muted">${th}</td><td>${f}</td></tr>`,
    )
    .join('')}</tbody></table>`;
}

function flag(on: boolean, word = 'exceeded'): string {
  return on ? `<span class="flag bad">✖ ${word}</span>` : '<span class="flag ok">✓</span>';
}

const CSS = `
*{box-sizing:border-box}
body{margin:0;background:#f4f6f9;color:#1d2733;font:14px/1.45 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1120px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 12px;display:flex;align-items:center;gap:12px;flex-wrap:wrap}
h2{font-size:17px;margin:0 0 10px}
header,section{background:#fff;border:1px solid #dde3ea;border-radius:8px;padding:18px 20px;margin-bottom:18px}
.outcome{font-size:13px;font-weight:600;padding:3px 10px;border-radius:12px;background:#e4f4e8;color:#1f6b35}
.outcome.CompletedWithViolations{background:#fbe5e1;color:#a12b1a}
.outcome.NoData{background:#eceff3;color:#4a5868}
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(240px,1fr));gap:8px 20px;margin:0 0 12px}
.facts div{min-width:0}
.facts dt{font-size:11px;text-transform:uppercase;letter-spacing:.04em;color:#6a7786}
.facts dd{margin:0;font-weight:600;overflow-wrap:anywhere}
.chips{display:flex;flex-wrap:wrap;gap:8px;margin:0}
.chip{font-size:12px;padding:3px 10px;border-radius:12px;background:#eef1f5;color:#33414f}
.chip.ok{background:#e4f4e8;color:#1f6b35}.chip.bad{background:#fbe5e1;color:#a12b1a}
.note{margin-top:12px;padding:10px 12px;border-radius:6px}
.note.warn{background:#fff6e0;border:1px solid #f0d58c}
.violations code{white-space:nowrap}
.reasons{margin:6px 0 0;padding-left:20px}
code{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f0f2f5;padding:1px 4px;border-radius:3px;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #e8ecf1;vertical-align:top}
th{font-size:12px;color:#5a6876;font-weight:600;background:#f8fafc}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.over{color:#b3261e;font-weight:600}
td.name,.name{overflow-wrap:anywhere}
tr.flagged td:first-child{border-left:3px solid #c8412f}
a{color:#2056a8;text-decoration:none}
.muted{color:#6a7786}
.badge{display:inline-block;font-size:11px;font-weight:600;padding:2px 8px;border-radius:10px;margin:1px 0}
.badge.bad{background:#fbe5e1;color:#a12b1a}.badge.warn{background:#fff1cc;color:#7a5300}
section.feature.flagged{border-left:4px solid #c8412f}
section.feature h2 .type{font-size:12px;font-weight:500;color:#6a7786;margin-left:6px}
.verdict{margin:0 0 10px}.verdict.ok{color:#4a5868}
.feature-violations{margin:0 0 10px;padding-left:20px;color:#7a2a1e}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(500px,1fr));gap:12px;margin-bottom:12px}
figure{margin:0;min-width:0}
figcaption{font-size:12px;font-weight:600;color:#33414f;margin-bottom:4px;display:flex;align-items:center;gap:6px}
figcaption .muted{font-weight:400}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;background:${COLORS.baseline}}
.swatch.current{background:${COLORS.current}}
section.feature.flagged .swatch.current{background:${COLORS.drifted}}
svg{max-width:100%;height:auto;display:block}
svg .grid{stroke:#e6eaef;stroke-width:1}
svg .axis{stroke:#9aa6b2;stroke-width:1}
svg text{font-size:11px;fill:#5a6876;font-family:inherit}
svg text.cat{fill:#1d2733}
.tables{display:grid;grid-template-columns:minmax(0,2fr) minmax(0,3fr);gap:16px;align-items:start}
.tests td.num{white-space:normal}
.flag{font-size:12px;white-space:nowrap}.flag.ok{color:#2d7a44}.flag.bad{color:#b3261e;font-weight:600}
.nodata{background:#f9fafb;border:2px dashed #b8c2cc;text-align:center;padding:36px}
.nodata h2{font-size:22px}
@media (max-width:900px){.tables{grid-template-columns:1fr}}
`;
