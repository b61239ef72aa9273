/**
 * The monitoring execution's HTML report as one self-contained page (inline CSS and SVG, no
 * scripts, no external assets) that a person can open from S3 and read: header with the
 * window and its outcome; the constraint violations; a summary row per feature; then per
 * feature its charts and the numbers behind every check — SageMaker's L∞ distance and the
 * calibrated test with its effect sizes — saying which rule, if any, flagged it.
 *
 * Every string that comes from the data — feature names, category values, parse errors,
 * endpoint and schedule names — is HTML-escaped here or in the charts.
 */
import type { ParseSummary } from '../statistics/accumulator.js';
import { completenessOf } from '../statistics/distributions.js';
import type { DriftReport, DriftRule } from '../statistics/drift.js';
import type { ConstraintViolation, FeatureStatistics } from '../statistics/schemas.js';
import { COLORS, featureCharts } from './charts.js';
import { count, escapeHtml as esc, num, percent, pValue, time, truncate } from './format.js';
import {
  CORRECTION_LABELS,
  type FeatureView,
  featureChart,
  type MonitoringReportInput,
  notFlaggedReason,
  OUTCOME_LABELS,
  type ReportView,
  RULE_LABELS,
  typeOf,
} from './view-model.js';

/** The report's page: the whole HTML document for its view. */
export function renderPage(view: ReportView): string {
  const { input, noData, features } = view;
  const { metadata } = input;
  const title = `Model Monitor report — ${metadata.endpointName} / ${metadata.scheduleName}`;
  const body = [
    header(view),
    noData ? noDataPanel(input) : '',
    noData ? '' : violationsSection(input.checks.violations),
    noData ? '' : summarySection(input, features),
    noData ? '' : features.map((v, i) => featureSection(v, i, input.drift)).join('\n'),
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

function header({ input, noData, outcome }: ReportView): string {
  const { metadata, parse, checks, drift } = input;
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
${featureCharts(featureChart(v), flagged)}
<div class="tables">${statisticsTable(v)}${testsTable(v, drift)}</div>
</section>`;
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

export const CSS = `
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
