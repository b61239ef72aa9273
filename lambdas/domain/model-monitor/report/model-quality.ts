/**
 * The model-quality execution's HTML report, in the data-quality report's style (its CSS and
 * formatting): one self-contained page (inline CSS and SVG, no scripts, no external assets)
 * with the window and outcome, the constraint violations, every metric with its standard
 * deviation, confidence interval, best-constant-classifier value and constraint, the confusion
 * matrix, the ROC and precision–recall curves (binary), and the headline metrics over the
 * schedule's earlier executions with their intervals, when there are any.
 *
 * Pure: the same input gives the same page. Every string from the data (labels, names,
 * descriptions) is HTML-escaped.
 */
import type {
  ConfusionMatrix,
  Metric,
  ModelQualityStatistics,
  ProblemType,
} from '../../model-quality/metrics.js';
import { count, escapeHtml as esc, num, percent, time } from './format.js';
import { CSS } from './page.js';

export interface ModelQualityReportViolation {
  readonly metric_name: string;
  readonly constraint_check_type: string;
  readonly description: string;
}

/** One earlier (or this) execution's headline metrics, for the chart over time. */
export interface ModelQualityHistoryPoint {
  readonly scheduledTime: string;
  readonly metrics: Readonly<Record<string, Metric | undefined>>;
}

/** CBPE's estimate from probabilities alone (stats/performance-estimation.ts). */
export interface ModelQualityEstimateSide {
  readonly count: number;
  readonly accuracy: number;
  readonly interval: { readonly lower: number; readonly upper: number };
  /** Expected ROC AUC (binary), the macro mean of one-vs-rest AUCs (multiclass). */
  readonly auc: number;
}
export interface ModelQualityEstimate {
  /** Over every capture of the window: what is known before any label. */
  readonly window: ModelQualityEstimateSide;
  /** Over the labelled captures only: comparable with the realised accuracy. */
  readonly labelled: ModelQualityEstimateSide;
  readonly realisedAccuracy?: number;
}

export interface ModelQualityReportInput {
  readonly metadata: {
    readonly endpointName: string;
    readonly scheduleName: string;
    readonly windowStart: string;
    readonly windowEnd: string;
    readonly executionId?: string;
    readonly generatedAt?: string | Date;
  };
  readonly problemType: ProblemType;
  readonly statistics: ModelQualityStatistics;
  readonly constraints: Readonly<Record<string, { threshold: number; comparison_operator: string }>>;
  readonly violations: readonly ModelQualityReportViolation[];
  readonly join: {
    readonly labelled: number;
    readonly unlabelledCaptures: number;
    readonly labelsWithoutCapture: number;
    readonly replacedLabels: number;
    readonly malformedLabelLines: number;
    /** Labels joined to a capture that the problem type cannot read: left out of the metrics. */
    readonly wrongTypeLabels: number;
    readonly unreadableCaptures: number;
  };
  readonly estimate?: ModelQualityEstimate;
  /** This schedule's executions, oldest first, this one last. */
  readonly history: readonly ModelQualityHistoryPoint[];
}

const SECTION = {
  BinaryClassification: 'binary_classification_metrics',
  MulticlassClassification: 'multiclass_classification_metrics',
  Regression: 'regression_metrics',
} as const;

/** The metrics charted over time, per problem type. */
export const HEADLINE_METRICS: Record<ProblemType, readonly string[]> = {
  BinaryClassification: ['accuracy', 'f1', 'auc'],
  MulticlassClassification: ['accuracy', 'weighted_f1'],
  Regression: ['mae', 'rmse', 'r2'],
};

const W = 520;
const BLUE = '#2f6fc4';
const GREY = '#7d8ea3';
const RED = '#c8412f';

const isMetric = (m: unknown): m is Metric =>
  typeof m === 'object' && m !== null && 'value' in m && 'standard_deviation' in m;
const numberOf = (x: number | 'NaN' | undefined): number | undefined =>
  typeof x === 'number' ? x : undefined;

/** Renders the execution's model-quality report as one HTML page. */
export function renderModelQualityReport(input: ModelQualityReportInput): string {
  const { metadata, problemType, statistics } = input;
  const section = (statistics[SECTION[problemType]] ?? {}) as Record<string, unknown>;
  const title = `Model quality report — ${metadata.endpointName} / ${metadata.scheduleName}`;
  const matrix = section.confusion_matrix as ConfusionMatrix | undefined;
  const roc = section.receiver_operating_characteristic_curve as
    | { false_positive_rates: number[]; true_positive_rates: number[] }
    | undefined;
  const pr = section.precision_recall_curve as { precisions: number[]; recalls: number[] } | undefined;
  const curves = [
    roc
      ? curveChart(
          'ROC curve',
          'False positive rate',
          'True positive rate',
          roc.false_positive_rates,
          roc.true_positive_rates,
          true,
          metricValue(section.auc),
          'AUC',
        )
      : '',
    pr
      ? curveChart(
          'Precision–recall curve',
          'Recall',
          'Precision',
          pr.recalls,
          pr.precisions,
          false,
          metricValue(section.au_prc),
          'AUPRC',
        )
      : '',
  ].filter(Boolean);
  const body = [
    header(input),
    violationsSection(input.violations),
    metricsSection(section, input.constraints, new Set(input.violations.map((v) => v.metric_name))),
    matrix ? confusionSection(matrix) : '',
    curves.length > 0
      ? `<section class="curves"><h2>Curves</h2><div class="charts">${curves.join('')}</div></section>`
      : '',
    input.estimate ? estimateSection(input.estimate) : '',
    historySection(input),
  ].join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}${MQ_CSS}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

function metricValue(m: unknown): number | undefined {
  return isMetric(m) ? numberOf(m.value) : undefined;
}

function header({ metadata, problemType, statistics, violations, join }: ModelQualityReportInput): string {
  const outcome = violations.length > 0 ? 'CompletedWithViolations' : 'Completed';
  const facts: [string, string][] = [
    ['Endpoint', esc(metadata.endpointName)],
    ['Monitoring schedule', esc(metadata.scheduleName)],
    ['Problem type', esc(problemType)],
    ['Window start', esc(time(metadata.windowStart))],
    ['Window end', esc(time(metadata.windowEnd))],
    ['Labelled predictions', count(statistics.dataset.item_count)],
    ['Captures without a label yet', count(join.unlabelledCaptures)],
    ['Labels without a capture', count(join.labelsWithoutCapture)],
    ['Labels replaced by a later one', count(join.replacedLabels)],
    ['Malformed label lines', count(join.malformedLabelLines)],
    ['Labels of the wrong type (left out)', count(join.wrongTypeLabels)],
    ['Unreadable capture records', count(join.unreadableCaptures)],
  ];
  if (metadata.executionId !== undefined) facts.push(['Execution', esc(metadata.executionId)]);
  if (metadata.generatedAt !== undefined) facts.push(['Generated', esc(time(metadata.generatedAt))]);
  return `<header>
<h1>Model quality report <span class="outcome ${outcome}" data-outcome="${outcome}">${outcome === 'Completed' ? 'No violations' : 'Violations'}</span></h1>
<dl class="facts">${facts.map(([k, v]) => `<div><dt>${k}</dt><dd>${v}</dd></div>`).join('')}</dl>
<p class="chips"><span class="chip ${violations.length > 0 ? 'bad' : 'ok'}">${count(violations.length)} constraint violation${violations.length === 1 ? '' : 's'}</span>
<span class="chip">${count(join.labelled)} of ${count(join.labelled + join.unlabelledCaptures)} captured predictions labelled (${percent(join.labelled / Math.max(1, join.labelled + join.unlabelledCaptures))})</span></p>
</header>`;
}

function violationsSection(violations: readonly ModelQualityReportViolation[]): string {
  if (violations.length === 0) {
    return '<section class="violations"><h2>Constraint violations</h2><p class="muted">None: every constrained metric met its threshold.</p></section>';
  }
  const rows = violations
    .map(
      (v) =>
        `<tr><td class="name">${esc(v.metric_name)}</td><td><code>${esc(v.constraint_check_type)}</code></td><td>${esc(v.description)}</td></tr>`,
    )
    .join('');
  return `<section class="violations"><h2>Constraint violations</h2><table><thead><tr><th>Metric</th><th>Check</th><th>Description</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function metricsSection(
  section: Record<string, unknown>,
  constraints: ModelQualityReportInput['constraints'],
  violated: ReadonlySet<string>,
): string {
  const names = Object.keys(section).filter(
    (n) => isMetric(section[n]) && !n.endsWith('_best_constant_classifier'),
  );
  const rows = names
    .map((name) => {
      const m = section[name] as Metric;
      const ci = m.confidence_interval;
      const best = section[`${name}_best_constant_classifier`];
      const c = constraints[name];
      const bad = violated.has(name);
      return `<tr class="${bad ? 'flagged' : ''}" data-metric="${esc(name)}"><td class="name">${esc(name)}</td><td class="num${bad ? ' over' : ''}">${num(numberOf(m.value))}</td><td class="num">${num(numberOf(m.standard_deviation))}</td><td class="num">${ci ? `${num(ci.lower)} – ${num(ci.upper)} <span class="muted">(${percent(ci.confidence_level)}, ${esc(ci.method === 'wilson' ? 'Wilson' : 'bootstrap')})</span>` : '—'}</td><td class="num">${isMetric(best) ? num(numberOf(best.value)) : '—'}</td><td>${c ? `<code>${esc(c.comparison_operator)}</code> ${num(c.threshold)}` : '<span class="muted">—</span>'}</td></tr>`;
    })
    .join('');
  return `<section class="metrics"><h2>Metrics</h2><table><thead><tr><th>Metric</th><th>Value</th><th>Standard deviation</th><th>Confidence interval</th><th>Best constant classifier</th><th>Constraint</th></tr></thead><tbody>${rows}</tbody></table>
<p class="muted">Standard deviation as SageMaker computes it (five 80% subsamples; — below 200 labelled predictions). The interval is Understudy's: Wilson for proportions, a percentile bootstrap otherwise.</p></section>`;
}

function confusionSection(matrix: ConfusionMatrix): string {
  const actual = Object.keys(matrix);
  const predicted = [...new Set([...actual, ...actual.flatMap((a) => Object.keys(matrix[a] ?? {}))])];
  const max = Math.max(1, ...actual.flatMap((a) => predicted.map((p) => matrix[a]?.[p] ?? 0)));
  const head = predicted.map((p) => `<th>${esc(p)}</th>`).join('');
  const rows = actual
    .map((a) => {
      const cells = predicted
        .map((p) => {
          const n = matrix[a]?.[p] ?? 0;
          const shade = (0.08 + 0.6 * (n / max)).toFixed(2);
          const color = a === p ? `rgba(47,111,196,${shade})` : `rgba(200,65,47,${shade})`;
          return `<td class="num cell" data-actual="${esc(a)}" data-predicted="${esc(p)}" style="background:${color}">${count(n)}</td>`;
        })
        .join('');
      return `<tr><th>${esc(a)}</th>${cells}</tr>`;
    })
    .join('');
  return `<section class="confusion"><h2>Confusion matrix</h2><table class="matrix"><thead><tr><th>true ↓ / predicted →</th>${head}</tr></thead><tbody>${rows}</tbody></table></section>`;
}

/** A curve in the unit square, with the chance diagonal for ROC. */
function curveChart(
  title: string,
  xLabel: string,
  yLabel: string,
  xs: readonly number[],
  ys: readonly number[],
  diagonal: boolean,
  area: number | undefined,
  areaName: string,
): string {
  const H = 300;
  const left = 46;
  const top = 10;
  const size = H - top - 34;
  const x = (v: number) => left + v * size;
  const y = (v: number) => top + size - v * size;
  const parts: string[] = [];
  for (const f of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(
      `<line class="grid" x1="${x(0)}" x2="${x(1)}" y1="${y(f).toFixed(1)}" y2="${y(f).toFixed(1)}"/>`,
      `<text class="tick" x="${left - 6}" y="${(y(f) + 4).toFixed(1)}" text-anchor="end">${f}</text>`,
      `<text class="tick" x="${x(f).toFixed(1)}" y="${top + size + 16}" text-anchor="middle">${f}</text>`,
    );
  }
  if (diagonal)
    parts.push(
      `<line class="axis" stroke-dasharray="4 4" x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}"/>`,
    );
  const points = xs.map((v, i) => `${x(v).toFixed(1)},${y(ys[i] ?? 0).toFixed(1)}`).join(' ');
  parts.push(
    `<polyline data-points="${xs.length}" fill="none" stroke="${BLUE}" stroke-width="2" points="${points}"/>`,
  );
  parts.push(`<text class="tick" x="${x(0.5)}" y="${H - 4}" text-anchor="middle">${esc(xLabel)}</text>`);
  parts.push(
    `<text class="tick" transform="translate(12 ${y(0.5)}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`,
  );
  const caption = `<figcaption>${esc(title)}${area !== undefined ? ` <span class="muted">${areaName} ${num(area)}</span>` : ''}</figcaption>`;
  return `<figure class="chart">${caption}<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">${parts.join('')}</svg></figure>`;
}

function estimateSection({ window, labelled, realisedAccuracy }: ModelQualityEstimate): string {
  const inside =
    realisedAccuracy !== undefined &&
    realisedAccuracy >= labelled.interval.lower &&
    realisedAccuracy <= labelled.interval.upper;
  const row = (what: string, e: ModelQualityEstimateSide) =>
    `<tr><td>${what}</td><td class="num">${count(e.count)}</td><td class="num">${num(e.accuracy)}</td><td class="num">${num(e.interval.lower)} – ${num(e.interval.upper)}</td><td class="num">${num(e.auc)}</td></tr>`;
  const verdict =
    realisedAccuracy === undefined
      ? ''
      : `<p class="${inside ? 'verdict ok' : 'verdict'}" data-inside="${inside}">Realised accuracy on the labelled predictions: <strong>${num(realisedAccuracy)}</strong>, ${inside ? 'inside' : '<strong>outside</strong>'} the estimate's 95% interval${inside ? '' : ': the probabilities are not calibrated on this traffic, or the labelled predictions are not like the rest'}.</p>`;
  return `<section class="estimate"><h2>Estimated from probabilities (CBPE)</h2>
<table><thead><tr><th>Predictions</th><th>Count</th><th>Expected accuracy</th><th>95% interval</th><th>Expected AUC</th></tr></thead><tbody>${row('All captured in the window (known before labels)', window)}${row('Labelled ones', labelled)}</tbody></table>
${verdict}<p class="muted">Confidence-based performance estimation assumes calibrated probabilities (P(correct) equals the predicted probability); check the model's calibration offline before trusting it.</p></section>`;
}

function historySection(input: ModelQualityReportInput): string {
  const { history, problemType } = input;
  if (history.length < 2) {
    return '<section class="history"><h2>Quality over time</h2><p class="muted">This is the schedule\'s first execution with statistics: the chart over time appears from the second one.</p></section>';
  }
  const charts = HEADLINE_METRICS[problemType].map((name) =>
    historyChart(name, history, input.constraints[name]?.threshold),
  );
  return `<section class="history"><h2>Quality over time</h2><p class="muted">${count(history.length)} executions of this schedule, oldest first; the band is each execution's confidence interval, the dashed line the constraint.</p><div class="charts">${charts.join('')}</div></section>`;
}

function historyChart(
  name: string,
  history: readonly ModelQualityHistoryPoint[],
  threshold: number | undefined,
): string {
  const H = 200;
  const left = 52;
  const right = 12;
  const top = 10;
  const bottom = 40;
  const plotW = W - left - right;
  const plotH = H - top - bottom;
  const points = history.map((h) => {
    const m = h.metrics[name];
    return {
      at: h.scheduledTime,
      value: m ? numberOf(m.value) : undefined,
      lower: m?.confidence_interval?.lower,
      upper: m?.confidence_interval?.upper,
    };
  });
  const values = points
    .flatMap((p) => [p.value, p.lower, p.upper])
    .filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (threshold !== undefined) values.push(threshold);
  if (values.length === 0)
    return `<figure class="chart"><figcaption>${esc(name)}</figcaption><p class="muted">No values.</p></figure>`;
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (hi - lo < 1e-9) {
    lo -= 0.05;
    hi += 0.05;
  }
  const step = plotW / Math.max(1, points.length - 1);
  const x = (i: number) => left + i * step;
  const y = (v: number) => top + plotH - ((v - lo) / (hi - lo)) * plotH;
  const parts: string[] = [];
  for (const f of [0, 0.5, 1]) {
    const v = lo + f * (hi - lo);
    parts.push(
      `<line class="grid" x1="${left}" x2="${W - right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/>`,
      `<text class="tick" x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${esc(num(v))}</text>`,
    );
  }
  const band = points
    .map((p, i) =>
      p.lower !== undefined && p.upper !== undefined ? { i, lower: p.lower, upper: p.upper } : undefined,
    )
    .filter((b) => b !== undefined);
  if (band.length > 1) {
    const upper = band.map((b) => `${x(b.i).toFixed(1)},${y(b.upper).toFixed(1)}`);
    const lower = band.map((b) => `${x(b.i).toFixed(1)},${y(b.lower).toFixed(1)}`).reverse();
    parts.push(`<polygon fill="${BLUE}" fill-opacity="0.15" points="${[...upper, ...lower].join(' ')}"/>`);
  }
  if (threshold !== undefined) {
    parts.push(
      `<line stroke="${RED}" stroke-dasharray="5 4" x1="${left}" x2="${W - right}" y1="${y(threshold).toFixed(1)}" y2="${y(threshold).toFixed(1)}"><title>constraint ${esc(num(threshold))}</title></line>`,
    );
  }
  const line = points
    .map((p, i) => (p.value === undefined ? undefined : `${x(i).toFixed(1)},${y(p.value).toFixed(1)}`))
    .filter(Boolean)
    .join(' ');
  parts.push(`<polyline fill="none" stroke="${BLUE}" stroke-width="2" points="${line}"/>`);
  points.forEach((p, i) => {
    if (p.value === undefined) return;
    const last = i === points.length - 1;
    parts.push(
      `<circle data-at="${esc(p.at)}" data-value="${p.value}" cx="${x(i).toFixed(1)}" cy="${y(p.value).toFixed(1)}" r="${last ? 4 : 3}" fill="${last ? BLUE : GREY}"><title>${esc(time(p.at))}: ${esc(num(p.value))}${p.lower !== undefined ? ` (${esc(num(p.lower))} – ${esc(num(p.upper))})` : ''}</title></circle>`,
    );
  });
  const first = points[0]?.at;
  const lastAt = points[points.length - 1]?.at;
  if (first && lastAt) {
    parts.push(
      `<text class="tick" x="${left}" y="${H - 12}" text-anchor="start">${esc(time(first))}</text>`,
      `<text class="tick" x="${W - right}" y="${H - 12}" text-anchor="end">${esc(time(lastAt))}</text>`,
    );
  }
  return `<figure class="chart" data-metric="${esc(name)}"><figcaption>${esc(name)}</figcaption><svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(`${name} over time`)}">${parts.join('')}</svg></figure>`;
}

const MQ_CSS = `
.matrix{width:auto}.matrix td.cell{min-width:64px;text-align:center;font-weight:600}
.matrix th{white-space:nowrap}
`;
