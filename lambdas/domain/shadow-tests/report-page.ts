/**
 * The shadow comparison as one self-contained HTML page (inline CSS and SVG, no script, no
 * request to anywhere), readable offline: per shadow variant its verdict and figures, the
 * distribution of production's and the shadow's outputs over the report's bins, and both
 * sides' latency percentiles. Hand-written SVG rather than a chart library: a library would
 * have to be inlined into every file, and these are two kinds of bar chart.
 */
import type { ShadowReport } from './report.js';

export interface ShadowReportPage {
  readonly InferenceExperimentName?: string;
  readonly EndpointName: string;
  readonly Status?: string;
  readonly ShadowVariants: readonly (ShadowReport & { readonly ShadowVariantName: string })[];
}

const COLORS = { production: '#7d8ea3', shadow: '#2f6fc4' };
const W = 560;

function esc(value: unknown): string {
  return String(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function fixed(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(digits)));
}

function shares(counts: readonly number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => (total > 0 ? c / total : 0));
}

/** Grouped bars: for each bin, production's and the shadow's share of outputs. */
function distributionChart(d: NonNullable<ShadowReport['OutputDistribution']>): string {
  const production = shares(d.Production);
  const shadow = shares(d.Shadow);
  const max = Math.max(...production, ...shadow, 1e-9);
  const H = 200;
  const top = 10;
  const bottom = 40;
  const left = 40;
  const plot = H - top - bottom;
  const slot = (W - left - 10) / d.Bins.length;
  const bar = Math.max(1, slot / 2 - 2);
  const bars = d.Bins.flatMap((bin, i) => {
    const x = left + i * slot + 1;
    const rect = (side: 'production' | 'shadow', share: number, dx: number, n: number) => {
      const h = (share / max) * plot;
      return `<rect class="bar ${side}" data-bin="${esc(bin)}" data-count="${n}" x="${(x + dx).toFixed(1)}" y="${(top + plot - h).toFixed(1)}" width="${bar.toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[side]}"><title>${esc(`${side} ${bin}: ${n} (${(share * 100).toFixed(1)}%)`)}</title></rect>`;
    };
    const label =
      d.Bins.length <= 12
        ? `<text x="${(x + slot / 2).toFixed(1)}" y="${H - bottom + 14}" font-size="9" text-anchor="middle">${esc(bin.length > 14 ? `${bin.slice(0, 13)}…` : bin)}</text>`
        : '';
    return [
      rect('production', production[i] ?? 0, 0, d.Production[i] ?? 0),
      rect('shadow', shadow[i] ?? 0, bar + 1, d.Shadow[i] ?? 0),
      label,
    ];
  });
  const axis = `<line x1="${left}" y1="${top + plot}" x2="${W - 10}" y2="${top + plot}" stroke="#999"/><text x="${left - 4}" y="${top + 8}" font-size="9" text-anchor="end">${(max * 100).toFixed(0)}%</text><text x="${left - 4}" y="${top + plot}" font-size="9" text-anchor="end">0</text>`;
  return `<svg class="chart" data-chart="distribution" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="output distribution">${axis}${bars.join('')}</svg>`;
}

/** P50, P90, P99 of each side, milliseconds. */
function latencyChart(latency: ShadowReport['Latency']): string {
  const rows = [
    ['P50', latency.Production.P50, latency.Shadow.P50],
    ['P90', latency.Production.P90, latency.Shadow.P90],
    ['P99', latency.Production.P99, latency.Shadow.P99],
  ] as const;
  const max = Math.max(1e-9, ...rows.flatMap(([, p, s]) => [p ?? 0, s ?? 0]));
  const left = 50;
  const rowH = 34;
  const H = rows.length * rowH + 10;
  const bars = rows.flatMap(([name, p, s], i) => {
    const y = 5 + i * rowH;
    const bar = (side: 'production' | 'shadow', v: number | null, dy: number) => {
      const w = ((v ?? 0) / max) * (W - left - 90);
      return `<rect class="bar ${side}" data-percentile="${name}" data-ms="${v ?? ''}" x="${left}" y="${y + dy}" width="${w.toFixed(1)}" height="13" fill="${COLORS[side]}"></rect><text x="${(left + w + 4).toFixed(1)}" y="${y + dy + 10}" font-size="10">${fixed(v, 3)} ms</text>`;
    };
    return [
      `<text x="${left - 6}" y="${y + 18}" font-size="11" text-anchor="end">${name}</text>`,
      bar('production', p, 0),
      bar('shadow', s, 15),
    ];
  });
  return `<svg class="chart" data-chart="latency" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="latency">${bars.join('')}</svg>`;
}

function variantSection(v: ShadowReportPage['ShadowVariants'][number]): string {
  const rate = v.AgreementRate;
  const ci = rate.ConfidenceInterval;
  const figures: [string, string, string][] = [
    ['Verdict', 'Verdict', v.Verdict],
    ['Task', 'TaskKind', v.TaskKind],
    ['Requests mirrored', 'RequestsMirrored', String(v.RequestsMirrored)],
    ['Requests compared', 'RequestsCompared', String(v.RequestsCompared)],
    ['Rows compared', 'RowsCompared', String(v.RowsCompared)],
    ['Agreement', 'AgreementRate', rate.Value === null ? '–' : `${(rate.Value * 100).toFixed(2)}%`],
    [
      'Agreement 95% interval',
      'AgreementInterval',
      rate.Value === null ? '–' : `${(ci.Lower * 100).toFixed(2)}% – ${(ci.Upper * 100).toFixed(2)}%`,
    ],
    ['Shadow errors', 'ShadowErrors', String(v.ShadowErrors.Total)],
    ['|difference| p50 / p99', 'Difference', `${fixed(v.Difference.P50)} / ${fixed(v.Difference.P99)}`],
    ['Jensen–Shannon distance', 'JensenShannon', fixed(v.JensenShannon)],
    ['PSI', 'Psi', fixed(v.Psi)],
  ];
  const table = figures
    .map(
      ([label, key, value]) => `<tr><th>${esc(label)}</th><td data-metric="${key}">${esc(value)}</td></tr>`,
    )
    .join('');
  const distribution = v.OutputDistribution
    ? distributionChart(v.OutputDistribution)
    : '<p class="muted">No output distribution yet: a side has no outputs.</p>';
  return `<section class="variant" data-variant="${esc(v.ShadowVariantName)}">
<h2>Shadow <code>${esc(v.ShadowVariantName)}</code> <span class="verdict ${esc(v.Verdict)}">${esc(v.Verdict)}</span></h2>
<p class="muted">${esc(v.VerdictTest.Description)}</p>
<table class="figures">${table}</table>
<h3>Outputs: production vs shadow <span class="legend"><span class="swatch production"></span>production <span class="swatch shadow"></span>shadow</span></h3>
<p class="muted">Share of outputs per bin (${esc(v.Divergence.Binning === 'Labels' ? 'one bin per label' : "production's quantile intervals")}).</p>
${distribution}
<h3>Latency</h3>
${latencyChart(v.Latency)}
</section>`;
}

/** The whole page. */
export function renderShadowReportPage(report: ShadowReportPage, generatedAt: Date): string {
  const title = `Shadow test ${report.InferenceExperimentName ?? report.EndpointName}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:60rem;color:#1d2733;padding:0 1rem}
h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:2rem}h3{font-size:1rem;margin-top:1.2rem}
.muted{color:#5f6b7a;font-size:12px}table.figures{border-collapse:collapse}
table.figures th{text-align:left;font-weight:500;padding:2px 16px 2px 0;color:#3a4654}
table.figures td{font-variant-numeric:tabular-nums}
.verdict{font-size:12px;padding:2px 8px;border-radius:10px;background:#e6e9ee}
.verdict.NoDifference{background:#d8f0dd}.verdict.Different{background:#f7dcd6}
.swatch{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px}
.swatch.production{background:${COLORS.production}}.swatch.shadow{background:${COLORS.shadow}}
.legend{font-weight:400;font-size:12px}
</style></head><body>
<h1>${esc(title)}</h1>
<p>Endpoint <code>${esc(report.EndpointName)}</code>${report.Status ? `, status <span data-metric="Status">${esc(report.Status)}</span>` : ''}. Generated ${esc(generatedAt.toISOString())} from Understudy.DescribeShadowReport.</p>
${report.ShadowVariants.map(variantSection).join('\n')}
</body></html>
`;
}
