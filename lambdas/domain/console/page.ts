/**
 * The console: one HTML page of what the platform holds (endpoints with their variants and
 * weights, shadow tests with their verdicts, the model registry, monitoring schedules with
 * their latest executions), rendered from the Describe/List answers the handler gathers.
 * Pure: no I/O, no clock, no script in the page (the console's Content-Security-Policy
 * allows none). Every value from the registry is escaped with `escape-html` (pillarjs,
 * Express's escaper): names, messages and tags are user input.
 */
import escapeHtml from 'escape-html';

export interface ConsoleVariant {
  readonly VariantName: string;
  readonly ModelName?: string;
  readonly CurrentWeight?: number;
  readonly DesiredWeight?: number;
  readonly InstanceType?: string;
}

export interface ConsoleEndpoint {
  readonly EndpointName: string;
  readonly EndpointStatus: string;
  readonly EndpointConfigName?: string;
  readonly FailureReason?: string;
  readonly LastModifiedTime?: number;
  readonly ProductionVariants: readonly ConsoleVariant[];
  readonly ShadowProductionVariants?: readonly ConsoleVariant[];
  /** Data capture: on, and at which sampling percentage. */
  readonly DataCapture?: { readonly EnableCapture: boolean; readonly SamplingPercentage?: number };
}

export interface ConsoleShadowVariant {
  readonly ShadowVariantName: string;
  readonly Verdict?: string;
  readonly RequestsMirrored?: number;
  readonly RequestsCompared?: number;
  /** Agreeing rows over compared rows; null before any row is compared. */
  readonly AgreementRate?: number | null;
}

export interface ConsoleExperiment {
  readonly Name: string;
  readonly Status: string;
  readonly EndpointName?: string;
  readonly ShadowVariants: readonly ConsoleShadowVariant[];
  /** Why the figures are missing (the report could not be read), shown instead of them. */
  readonly ReportError?: string;
}

export interface ConsolePackage {
  readonly ModelPackageVersion?: number;
  readonly ModelPackageArn: string;
  readonly ModelApprovalStatus?: string;
  readonly ModelPackageStatus?: string;
  readonly CreationTime?: number;
}

export interface ConsolePackageGroup {
  readonly ModelPackageGroupName: string;
  readonly ModelPackageGroupStatus?: string;
  readonly Packages: readonly ConsolePackage[];
}

export interface ConsoleSchedule {
  readonly MonitoringScheduleName: string;
  readonly MonitoringScheduleStatus: string;
  readonly MonitoringType?: string;
  readonly EndpointName?: string;
  readonly LastExecution?: {
    readonly MonitoringExecutionStatus: string;
    readonly ScheduledTime?: number;
    readonly FailureReason?: string;
  };
  /** Whether a finished execution has a report to link to. */
  readonly HasReport: boolean;
}

export interface ConsoleData {
  readonly endpoints: readonly ConsoleEndpoint[];
  readonly experiments: readonly ConsoleExperiment[];
  readonly packageGroups: readonly ConsolePackageGroup[];
  readonly schedules: readonly ConsoleSchedule[];
  /** Lists cut at the console's limit, by section name. */
  readonly truncated?: readonly string[];
}

export type ReportKind = 'shadow' | 'monitor';

export interface ConsolePageOptions {
  /** Who is looking (the signing key) and with which role. */
  readonly caller: { readonly accessKeyId: string; readonly role: string };
  readonly region: string;
  readonly generatedAt: Date;
  /** When the page's presigned URL stops working, shown so nobody wonders why links fail later. */
  readonly expiresAt: Date;
  /** The href of a report (the handler carries the page's presigned parameters into it). */
  readonly reportHref: (kind: ReportKind, name: string) => string;
}

const esc = (value: unknown): string => escapeHtml(String(value ?? ''));

function time(epochSeconds: number | undefined): string {
  if (epochSeconds === undefined || !Number.isFinite(epochSeconds)) return '–';
  return new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function num(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(digits)));
}

function statusBadge(status: string): string {
  const tone = /Fail|Violations|Different|Rejected|OutOfService/i.test(status)
    ? 'bad'
    : /InService|Completed|Running|Scheduled|Approved|NoDifference/i.test(status)
      ? 'good'
      : 'neutral';
  return `<span class="status ${tone}">${esc(status)}</span>`;
}

function table(head: readonly string[], rows: readonly string[], empty: string): string {
  if (rows.length === 0) return `<p class="empty">${esc(empty)}</p>`;
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function variantList(variants: readonly ConsoleVariant[], shadow: boolean): string {
  return variants
    .map(
      (v) =>
        `<li class="variant${shadow ? ' shadow' : ''}" data-variant="${esc(v.VariantName)}">${shadow ? 'shadow ' : ''}<b>${esc(v.VariantName)}</b>` +
        (v.ModelName ? ` → ${esc(v.ModelName)}` : '') +
        (shadow ? '' : ` · weight <span class="weight">${esc(num(v.CurrentWeight))}</span>`) +
        (v.DesiredWeight !== undefined && v.DesiredWeight !== v.CurrentWeight
          ? ` (desired ${esc(num(v.DesiredWeight))})`
          : '') +
        '</li>',
    )
    .join('');
}

function endpointsSection(endpoints: readonly ConsoleEndpoint[]): string {
  const rows = endpoints.map((e) => {
    const capture = e.DataCapture?.EnableCapture
      ? `capture ${esc(num(e.DataCapture.SamplingPercentage))}%`
      : 'no capture';
    return (
      `<tr data-endpoint="${esc(e.EndpointName)}"><td class="name">${esc(e.EndpointName)}</td>` +
      `<td class="endpoint-status" data-status="${esc(e.EndpointStatus)}">${statusBadge(e.EndpointStatus)}` +
      (e.FailureReason ? `<div class="reason">${esc(e.FailureReason)}</div>` : '') +
      `</td><td><ul>${variantList(e.ProductionVariants, false)}${variantList(e.ShadowProductionVariants ?? [], true)}</ul></td>` +
      `<td>${esc(e.EndpointConfigName ?? '–')}<div class="muted">${capture}</div></td>` +
      `<td>${esc(time(e.LastModifiedTime))}</td></tr>`
    );
  });
  return table(
    ['endpoint', 'status', 'variants and weights', 'config', 'last modified'],
    rows,
    'No endpoints.',
  );
}

function experimentsSection(experiments: readonly ConsoleExperiment[], options: ConsolePageOptions): string {
  const rows = experiments.map((x) => {
    const figures = x.ReportError
      ? `<td colspan="4" class="reason">${esc(x.ReportError)}</td>`
      : `<td>${x.ShadowVariants.map((s) => `<div>${esc(s.ShadowVariantName)}</div>`).join('')}</td>` +
        `<td>${x.ShadowVariants.map((s) => `<div class="verdict">${statusBadge(s.Verdict ?? '–')}</div>`).join('')}</td>` +
        `<td>${x.ShadowVariants.map((s) => `<div class="agreement">${esc(s.AgreementRate == null ? '–' : `${num(s.AgreementRate * 100)}%`)}</div>`).join('')}</td>` +
        `<td>${x.ShadowVariants.map((s) => `<div class="compared">${esc(num(s.RequestsCompared))} of ${esc(num(s.RequestsMirrored))}</div>`).join('')}</td>`;
    return (
      `<tr data-experiment="${esc(x.Name)}"><td class="name">${esc(x.Name)}</td>` +
      `<td data-status="${esc(x.Status)}">${statusBadge(x.Status)}</td><td>${esc(x.EndpointName ?? '–')}</td>${figures}` +
      `<td><a class="report" href="${esc(options.reportHref('shadow', x.Name))}">report</a></td></tr>`
    );
  });
  return table(
    ['experiment', 'status', 'endpoint', 'shadow', 'verdict', 'agreement', 'compared of mirrored', ''],
    rows,
    'No inference experiments.',
  );
}

function registrySection(groups: readonly ConsolePackageGroup[]): string {
  const rows = groups.map(
    (g) =>
      `<tr data-group="${esc(g.ModelPackageGroupName)}"><td class="name">${esc(g.ModelPackageGroupName)}</td>` +
      `<td>${esc(g.ModelPackageGroupStatus ?? '–')}</td><td>${
        g.Packages.length === 0
          ? '<span class="muted">no versions</span>'
          : `<ul>${g.Packages.map(
              (p) =>
                `<li data-package="${esc(p.ModelPackageArn)}">v${esc(p.ModelPackageVersion ?? '?')} ` +
                `<span class="approval">${statusBadge(p.ModelApprovalStatus ?? 'PendingManualApproval')}</span>` +
                ` <span class="muted">${esc(p.ModelPackageStatus ?? '')} ${esc(time(p.CreationTime))}</span></li>`,
            ).join('')}</ul>`
      }</td></tr>`,
  );
  return table(['model package group', 'status', 'versions (approval)'], rows, 'No model package groups.');
}

function monitoringSection(schedules: readonly ConsoleSchedule[], options: ConsolePageOptions): string {
  const rows = schedules.map((s) => {
    const last = s.LastExecution;
    return (
      `<tr data-schedule="${esc(s.MonitoringScheduleName)}"><td class="name">${esc(s.MonitoringScheduleName)}</td>` +
      `<td data-status="${esc(s.MonitoringScheduleStatus)}">${statusBadge(s.MonitoringScheduleStatus)}</td>` +
      `<td>${esc(s.MonitoringType ?? 'DataQuality')}</td><td>${esc(s.EndpointName ?? '–')}</td>` +
      `<td class="last-execution">${
        last
          ? `${statusBadge(last.MonitoringExecutionStatus)} ${esc(time(last.ScheduledTime))}` +
            (last.FailureReason ? `<div class="reason">${esc(last.FailureReason)}</div>` : '')
          : '<span class="muted">none yet</span>'
      }</td><td>${
        s.HasReport
          ? `<a class="report" href="${esc(options.reportHref('monitor', s.MonitoringScheduleName))}">report</a>`
          : ''
      }</td></tr>`
    );
  });
  return table(
    ['schedule', 'status', 'type', 'endpoint', 'latest execution', ''],
    rows,
    'No monitoring schedules.',
  );
}

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d2733}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid #e3e7ec}
th{font-weight:600;color:#4a5766;font-size:12px}ul{margin:0;padding-left:16px}.muted,.empty{color:#6b7785}
.status{padding:1px 6px;border-radius:8px;font-size:12px;background:#eef1f4}.good{background:#dff3e4}.bad{background:#fbe1e1}
.reason{color:#a33;font-size:12px}.note{background:#fff7dd;padding:6px 10px}`;

/** The console page: a complete HTML document. */
export function renderConsolePage(data: ConsoleData, options: ConsolePageOptions): string {
  const truncated = data.truncated ?? [];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
<title>Understudy console</title><style>${STYLE}</style></head><body>
<h1>Understudy console</h1>
<p class="muted">${esc(options.region)} · signed by ${esc(options.caller.accessKeyId)} (${esc(options.caller.role)}) · generated ${esc(options.generatedAt.toISOString())} · this link and its report links work until <span class="expires">${esc(options.expiresAt.toISOString())}</span>; run <code>understudy console</code> for a new one</p>
${truncated.length > 0 ? `<p class="note">Only the first entries are shown of: ${esc(truncated.join(', '))}.</p>` : ''}
<section id="endpoints"><h2>Endpoints (${data.endpoints.length})</h2>${endpointsSection(data.endpoints)}</section>
<section id="experiments"><h2>Shadow tests (${data.experiments.length})</h2>${experimentsSection(data.experiments, options)}</section>
<section id="registry"><h2>Model registry (${data.packageGroups.length})</h2>${registrySection(data.packageGroups)}</section>
<section id="monitoring"><h2>Monitoring schedules (${data.schedules.length})</h2>${monitoringSection(data.schedules, options)}</section>
</body></html>
`;
}

/** A small page for a refused or failed console request, named as the API names the error. */
export function renderConsoleError(type: string, message: string, statusCode: number): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><title>${esc(type)}</title><style>${STYLE}</style></head><body>
<h1 class="error-type">${esc(type)}</h1><p class="error-message">${esc(message)}</p>
<p class="muted">HTTP ${esc(statusCode)}. The console opens from a presigned URL: run <code>understudy console</code> for one.</p>
</body></html>
`;
}
