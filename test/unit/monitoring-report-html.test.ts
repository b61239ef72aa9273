import { describe, expect, it } from 'vitest';
import {
  type MonitoringReportInput,
  type MonitoringReportMetadata,
  renderMonitoringReport,
} from '../../lambdas/domain/model-monitor/report/index.js';
import {
  checkConstraints,
  DatasetAccumulator,
  detectDrift,
  featureHistograms,
  type Statistics,
  suggestBaseline,
} from '../../lambdas/domain/model-monitor/statistics/index.js';
import { SeededRandom } from '../support/seeded-random.js';

const METADATA: MonitoringReportMetadata = {
  endpointName: 'churn-prod',
  scheduleName: 'churn-hourly',
  windowStart: '2026-11-25T12:00:00Z',
  windowEnd: new Date('2026-11-25T13:00:00Z'),
};

/** One report's input: a baseline of `n` rows and a window built by `cells`. */
function reportInput(
  names: readonly string[],
  baselineRow: () => string[],
  windowRow: (i: number) => string[],
  options: { baselineRows?: number; windowRows?: number; extraPayloads?: string[] } = {},
): MonitoringReportInput {
  const { statistics: baseline, constraints } = suggestBaseline(
    Array.from({ length: options.baselineRows ?? 3000 }, baselineRow),
    names,
  );
  const acc = DatasetAccumulator.forBaseline(baseline);
  const rows = Array.from({ length: options.windowRows ?? 2000 }, (_, i) => windowRow(i).join(','));
  acc.addCaptureFile(
    rows
      .map((data) =>
        JSON.stringify({
          captureData: {
            endpointInput: { observedContentType: 'text/csv', mode: 'INPUT', data, encoding: 'CSV' },
          },
          eventMetadata: { eventId: 'e', inferenceTime: '2026-11-25T12:00:00Z' },
          eventVersion: '0',
        }),
      )
      .concat(options.extraPayloads ?? [])
      .join('\n'),
  );
  const current = acc.toStatistics();
  return {
    metadata: METADATA,
    baseline,
    current,
    parse: acc.summary,
    checks: checkConstraints({ constraints, baseline, current }),
    drift: detectDrift(baseline, current),
  };
}

/** The HTML of one feature's section (by its escaped name). */
function section(html: string, escapedName: string): string {
  const start = html.indexOf(`<section class="feature`);
  const sections = html.slice(start).split('</section>');
  const found = sections.find((s) => s.includes(`data-feature="${escapedName}"`));
  if (found === undefined) throw new Error(`no section for ${escapedName}`);
  return found;
}

/** data-count of every bar of one series in a feature's section, in order. */
function barCounts(featureHtml: string, series: 'baseline' | 'current'): number[] {
  return [...featureHtml.matchAll(/<rect data-series="(baseline|current)" data-count="(\d+(?:\.\d+)?)"/g)]
    .filter((m) => m[1] === series)
    .map((m) => Number(m[2]));
}

const REGIONS = ['north', 'south', 'east', 'west'];

describe('renderMonitoringReport', () => {
  const r = new SeededRandom(5);
  const names = ['income', 'age', 'region'];
  const baseRow = () => [
    r.normal(5000, 800).toFixed(2),
    String(18 + r.poisson(20)),
    REGIONS[r.categorical([4, 3, 2, 1])] as string,
  ];
  // income shifts by one standard deviation; age and region do not move.
  const input = reportInput(names, baseRow, () => {
    const row = baseRow();
    row[0] = r.normal(5800, 800).toFixed(2);
    return row;
  });
  const html = renderMonitoringReport(input);

  it('flags the drifted feature with the rules that flagged it, and only that one', () => {
    expect(input.drift.drifted).toEqual(['income']);
    const income = section(html, 'income');
    expect(income).toContain('data-flagged="true"');
    expect(income).toContain('data-rule="ks+effect"');
    expect(income).toContain('data-rule="l_infinity"');
    expect(income).toContain('baseline_drift_check');
    for (const name of ['age', 'region']) {
      const other = section(html, name);
      expect(other).toContain('data-flagged="false"');
      expect(other).not.toContain('data-rule=');
    }
    expect(html).toContain('data-outcome="CompletedWithViolations"');
    // The violations table lists the L∞ violation with its description.
    const violation = input.checks.violations.find((v) => v.feature_name === 'income');
    expect(violation?.constraint_check_type).toBe('baseline_drift_check');
    expect(html).toContain(violation?.description);
  });

  it('shows the numbers behind each test', () => {
    const income = section(html, 'income');
    for (const label of [
      'KS statistic D',
      'Adjusted p-value (Benjamini–Hochberg',
      'PSI',
      'Jensen–Shannon distance',
      'Wasserstein W₁ / baseline σ',
      'L∞ distance, Robust',
      'Completeness',
      'Standard deviation',
    ]) {
      expect(income).toContain(label);
    }
    expect(section(html, 'region')).toContain('Chi-square statistic χ²');
    expect(html).toContain('2026-11-25T13:00:00.000Z');
  });

  it('draws bars whose counts are the shared-bucket histogram counts', () => {
    for (const name of ['income', 'age', 'region']) {
      const base = input.baseline.features.find((f) => f.name === name);
      const cur = input.current.features.find((f) => f.name === name);
      if (!base || !cur) throw new Error(name);
      const expected = featureHistograms(base, cur, 10);
      if (!expected) throw new Error(name);
      const s = section(html, name);
      const drawnBase = barCounts(s, 'baseline');
      const drawnCur = barCounts(s, 'current');
      if (expected.kind === 'numeric') {
        expect(drawnBase).toEqual(expected.baseline);
        expect(drawnCur).toEqual(expected.current);
      } else {
        // Categorical bars follow frequency order: compare as a multiset per category.
        const byCategory = (series: 'baseline' | 'current') =>
          Object.fromEntries(
            [...s.matchAll(/<rect data-series="(\w+)" data-count="(\d+)" data-category="([^"]*)"/g)]
              .filter((m) => m[1] === series)
              .map((m) => [m[3], Number(m[2])]),
          );
        const want = (counts: number[]) => Object.fromEntries(expected.labels.map((l, i) => [l, counts[i]]));
        expect(byCategory('baseline')).toEqual(want(expected.baseline));
        expect(byCategory('current')).toEqual(want(expected.current));
      }
      expect(drawnBase.reduce((a, b) => a + b, 0)).toBe(expected.baseline.reduce((a, b) => a + b, 0));
    }
  });

  it('sums categories beyond the top ten into one bar', () => {
    const values = Array.from({ length: 15 }, (_, i) => `v${i}`);
    const rr = new SeededRandom(9);
    const row = () => [values[rr.categorical(values.map((_, i) => 15 - i))] as string];
    const many = reportInput(['segment'], row, row);
    const s = section(renderMonitoringReport(many), 'segment');
    const base = barCounts(s, 'baseline');
    expect(base).toHaveLength(11);
    expect(s).toContain('(5 other values)');
    expect(base.reduce((a, b) => a + b, 0)).toBe(3000);
  });

  it('escapes every string that comes from the data', () => {
    const evilName = '<script>alert(1)</script>';
    const evilAttr = '"><img src=x onerror=alert(2)>';
    const evilValue = '<b onmouseover=alert(3)>x</b>&';
    const rr = new SeededRandom(3);
    const row = () => [rr.normal(0, 1).toFixed(3), rr.uniform() < 0.5 ? evilValue : 'plain'];
    const evil = reportInput([evilName, evilAttr], row, row, {
      extraPayloads: ['{"captureData": <svg onload=alert(4)>'],
    });
    const page = renderMonitoringReport({
      ...evil,
      metadata: { ...METADATA, endpointName: '<i>ep</i>', scheduleName: "s'</title><script>x()</script>" },
    });
    expect(page).not.toMatch(/<script/i);
    expect(page).not.toMatch(/<img/i);
    expect(page).not.toMatch(/<b onmouseover/i);
    expect(page).not.toMatch(/<svg onload/i);
    expect(page).not.toContain('<i>ep</i>');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('&quot;&gt;&lt;img src=x onerror=alert(2)&gt;');
    expect(page).toContain('&lt;b onmouseover=alert(3)&gt;x&lt;/b&gt;&amp;');
    expect(page).toContain('&lt;i&gt;ep&lt;/i&gt;');
    // The bad capture line is counted as unparseable and its reason shown, escaped.
    expect(evil.parse.unparseable).toBe(1);
    expect(page).toContain('1 record could not be parsed');
    // Self-contained: no scripts, no external resources.
    expect(page).not.toMatch(/\b(src|href)="(https?:)?\/\//);
    expect(page).not.toContain('<link');
  });

  it('renders an empty window as a clear "no data" page', () => {
    const { statistics: baseline, constraints } = suggestBaseline(
      Array.from({ length: 100 }, baseRow),
      names,
    );
    const acc = DatasetAccumulator.forBaseline(baseline);
    acc.addCaptureFile('not json\n');
    const current: Statistics = acc.toStatistics();
    const checks = checkConstraints({ constraints, baseline, current });
    expect(checks.outcome).toBe('NoData');
    const page = renderMonitoringReport({
      metadata: METADATA,
      baseline,
      current,
      parse: acc.summary,
      checks,
      drift: detectDrift(baseline, current),
    });
    expect(page).toContain('data-outcome="NoData"');
    expect(page).toContain('No data in this window');
    expect(page).toContain(checks.message);
    expect(page).toContain('1 record could not be parsed');
    expect(page).not.toContain('<rect');
    expect(page).not.toContain('class="feature');
    expect(page.startsWith('<!DOCTYPE html>')).toBe(true);
  });

  it('is deterministic', () => {
    expect(renderMonitoringReport(input)).toBe(html);
  });
});
