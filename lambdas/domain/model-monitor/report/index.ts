/**
 * The monitoring execution's HTML report: what it shows (view-model.ts), drawn as a page
 * (page.ts) with inline SVG charts (charts.ts).
 *
 * Pure: the same input gives the same page (no clock, no I/O).
 */
import { renderPage } from './page.js';
import { type MonitoringReportInput, reportView } from './view-model.js';

export type { MonitoringReportInput, MonitoringReportMetadata } from './view-model.js';

/** Renders the execution's report as one self-contained HTML page. */
export function renderMonitoringReport(input: MonitoringReportInput): string {
  return renderPage(reportView(input));
}

export {
  HEADLINE_METRICS,
  type ModelQualityEstimate,
  type ModelQualityEstimateSide,
  type ModelQualityHistoryPoint,
  type ModelQualityReportInput,
  renderModelQualityReport,
} from './model-quality.js';
