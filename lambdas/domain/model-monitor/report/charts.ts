/**
 * The report's charts: inline SVG histograms of one feature, baseline and current window side
 * by side on the same scale. Numeric features get bars over their shared buckets; categorical
 * ones horizontal bars of their most frequent values, the rest summed into one bar.
 */
import type { FeatureHistograms } from '../statistics/distributions.js';
import { count, escapeHtml as esc, percent, truncate } from './format.js';
import type { FeatureChart, Side } from './view-model.js';

/** Categories drawn per categorical histogram; the rest are summed into one bar. */
const MAX_CATEGORIES = 10;

const W = 520;
/** Series colours; the page's legend swatches use them too. */
export const COLORS = { baseline: '#7d8ea3', current: '#2f6fc4', drifted: '#c8412f' };

/** A feature's charts; `flagged` draws its current window in the drift colour. */
export function featureCharts(chart: FeatureChart | undefined, flagged: boolean): string {
  if (!chart) {
    return '<p class="muted charts-none">No histogram: the feature has no comparable distribution on both sides.</p>';
  }
  const { histograms: h, sides } = chart;
  const shares = {
    baseline: shareOf(h.baseline),
    current: shareOf(h.current),
  };
  const note = sides.length === 1 ? `<p class="muted">Only the ${sides[0]} has this feature.</p>` : '';
  if (h.kind === 'numeric') {
    const yMax = niceMax(Math.max(...sides.flatMap((s) => shares[s])));
    return `${note}<div class="charts">${sides.map((s) => numericChart(h, s, yMax, flagged)).join('')}</div>`;
  }
  const order = categoryOrder(h, sides);
  const xMax = niceMax(
    Math.max(...sides.flatMap((s) => order.map((group) => sumAt(shares[s], group.indices)))),
  );
  return `${note}<div class="charts">${sides
    .map((s) => categoricalChart(h, s, order, xMax, flagged))
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

function seriesColor(side: Side, flagged: boolean): string {
  return side === 'baseline' ? COLORS.baseline : flagged ? COLORS.drifted : COLORS.current;
}

/** One side's chart: its caption over an SVG of `height` holding `parts`. */
function figure(h: FeatureHistograms, side: Side, height: number, what: string, parts: readonly string[]) {
  const counts = h[side];
  const total = counts.reduce((a, b) => a + b, 0);
  const caption = `<figcaption><span class="swatch ${side}"></span>${side === 'baseline' ? 'Baseline' : 'Current window'} · ${count(total)} values <span class="muted">(share of values per bar)</span></figcaption>`;
  return `<figure class="chart" data-series="${side}">${caption}<svg viewBox="0 0 ${W} ${height}" width="${W}" height="${height}" role="img" aria-label="${esc(`${h.feature}: ${side} ${what}`)}">${parts.join('')}</svg></figure>`;
}

function axisNumber(x: number): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e5 || a < 1e-2) return x.toExponential(1).replace('-', '−');
  return Number(x.toPrecision(3)).toString().replace('-', '−');
}

function numericChart(h: FeatureHistograms, side: Side, yMax: number, flagged: boolean): string {
  const H = 190;
  const left = 46;
  const right = 12;
  const top = 10;
  const bottom = 24;
  const plotW = W - left - right;
  const plotH = H - top - bottom;
  const counts = h[side];
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
  return figure(h, side, H, 'histogram', parts);
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
function categoryOrder(h: FeatureHistograms, sides: readonly Side[]): CategoryGroup[] {
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

function categoricalChart(
  h: FeatureHistograms,
  side: Side,
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
  const counts = h[side];
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
  return figure(h, side, H, 'top values', parts);
}
