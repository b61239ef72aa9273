/**
 * `GET /console` and `GET /console/report` on the control function: who may look
 * (`domain/console/access.ts`), what there is to see (gathered here through the same
 * Describe/List operations every client calls, so the console shows what the API says), and
 * the pages (`domain/console/page.ts`, the shadow report page, the monitor's report.html).
 */
import type { AccessKeyResolver } from '../domain/auth/identity.js';
import {
  type ConsoleRoute,
  expiryOf,
  otherParameters,
  reportHref,
  verifyConsoleRequest,
} from '../domain/console/access.js';
import {
  type ConsoleData,
  type ConsoleEndpoint,
  type ConsoleExperiment,
  type ConsolePackageGroup,
  type ConsoleSchedule,
  type ConsoleVariant,
  renderConsoleError,
  renderConsolePage,
} from '../domain/console/page.js';
import type { ControlContext } from '../domain/kernel/context.js';
import { ApiError, ResourceNotFound, ValidationException } from '../domain/kernel/errors.js';
import type { Log } from '../domain/kernel/log.js';
import { renderShadowReportPage, type ShadowReportPage } from '../domain/shadow-tests/report-page.js';
import type { HttpRequest, HttpResult } from '../shared/http.js';

/** Entries per section: the console is an overview; the CLI and the API list the rest. */
export const CONSOLE_LIMIT = 100;
const FINISHED = new Set(['Completed', 'CompletedWithViolations']);

/**
 * What a browser may do with these pages: no script, no request elsewhere (styles and SVG are
 * inline), not framed, not cached, and no Referer: the URLs carry a signature.
 */
const PAGE_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy':
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

// biome-ignore lint/suspicious/noExplicitAny: the operations' outputs, read field by field below.
type Output = any;

/** The control plane's dispatch (validation included), given by the handler: control-plane.ts imports this module. */
type Dispatch = (ctx: ControlContext, operation: string, input: unknown) => Promise<unknown>;
/** The caller's control context and the way to run operations in it. */
interface Api {
  readonly ctx: ControlContext;
  readonly dispatch: Dispatch;
}

const call = (api: Api, operation: string, input: object): Promise<Output> =>
  api.dispatch(api.ctx, operation, input) as Promise<Output>;

/** Up to CONSOLE_LIMIT entries of a List operation, following NextToken. */
async function listAll(
  api: Api,
  operation: string,
  input: object,
  field: string,
): Promise<{ items: Output[]; truncated: boolean }> {
  const items: Output[] = [];
  let token: string | undefined;
  do {
    const page = await call(api, operation, {
      ...input,
      MaxResults: 100,
      ...(token ? { NextToken: token } : {}),
    });
    items.push(...((page[field] as Output[] | undefined) ?? []));
    token = page.NextToken;
  } while (token && items.length < CONSOLE_LIMIT);
  return {
    items: items.slice(0, CONSOLE_LIMIT),
    truncated: items.length > CONSOLE_LIMIT || token !== undefined,
  };
}

function variantsOf(described: Output[] | undefined, configured: Output[] | undefined): ConsoleVariant[] {
  return (described ?? configured ?? []).map((v: Output) => {
    const config = (configured ?? []).find((c: Output) => c.VariantName === v.VariantName);
    return {
      VariantName: v.VariantName,
      ...(config?.ModelName ? { ModelName: config.ModelName } : {}),
      ...(config?.InstanceType ? { InstanceType: config.InstanceType } : {}),
      CurrentWeight: v.CurrentWeight ?? config?.InitialVariantWeight,
      ...(v.DesiredWeight !== undefined ? { DesiredWeight: v.DesiredWeight } : {}),
    };
  });
}

async function endpoints(api: Api): Promise<{ items: ConsoleEndpoint[]; truncated: boolean }> {
  const listed = await listAll(api, 'ListEndpoints', { SortBy: 'Name', SortOrder: 'Ascending' }, 'Endpoints');
  const items = await Promise.all(
    listed.items.map(async (summary: Output): Promise<ConsoleEndpoint> => {
      const endpoint = await call(api, 'DescribeEndpoint', { EndpointName: summary.EndpointName });
      const config = await call(api, 'DescribeEndpointConfig', {
        EndpointConfigName: endpoint.EndpointConfigName,
      }).catch((error: unknown) => {
        // A config deleted under a live endpoint leaves the variants' models unknown, not the page broken.
        if (error instanceof ApiError && error.statusCode < 500) return undefined;
        throw error;
      });
      const capture = endpoint.DataCaptureConfig;
      return {
        EndpointName: endpoint.EndpointName,
        EndpointStatus: endpoint.EndpointStatus,
        EndpointConfigName: endpoint.EndpointConfigName,
        ...(endpoint.FailureReason ? { FailureReason: endpoint.FailureReason } : {}),
        LastModifiedTime: endpoint.LastModifiedTime,
        ProductionVariants: variantsOf(endpoint.ProductionVariants, config?.ProductionVariants),
        ShadowProductionVariants: variantsOf(
          endpoint.ShadowProductionVariants,
          config?.ShadowProductionVariants,
        ),
        ...(capture
          ? {
              DataCapture: {
                EnableCapture: Boolean(capture.EnableCapture),
                SamplingPercentage: capture.CurrentSamplingPercentage,
              },
            }
          : {}),
      };
    }),
  );
  return { items, truncated: listed.truncated };
}

async function experiments(api: Api): Promise<{ items: ConsoleExperiment[]; truncated: boolean }> {
  const listed = await listAll(api, 'ListInferenceExperiments', {}, 'InferenceExperiments');
  const items = await Promise.all(
    listed.items.map(async (summary: Output): Promise<ConsoleExperiment> => {
      try {
        const report = await call(api, 'Understudy.DescribeShadowReport', {
          InferenceExperimentName: summary.Name,
        });
        return {
          Name: summary.Name,
          Status: report.Status ?? summary.Status,
          EndpointName: report.EndpointName,
          ShadowVariants: (report.ShadowVariants ?? []).map((s: Output) => ({
            ShadowVariantName: s.ShadowVariantName,
            Verdict: s.Verdict,
            RequestsMirrored: s.RequestsMirrored,
            RequestsCompared: s.RequestsCompared,
            AgreementRate: s.AgreementRate?.Value ?? null,
          })),
        };
      } catch (error) {
        if (!(error instanceof ApiError) || error.statusCode >= 500) throw error;
        return { Name: summary.Name, Status: summary.Status, ShadowVariants: [], ReportError: error.message };
      }
    }),
  );
  return { items, truncated: listed.truncated };
}

async function packageGroups(api: Api): Promise<{ items: ConsolePackageGroup[]; truncated: boolean }> {
  const listed = await listAll(
    api,
    'ListModelPackageGroups',
    { SortBy: 'Name', SortOrder: 'Ascending' },
    'ModelPackageGroupSummaryList',
  );
  let truncated = listed.truncated;
  const items = await Promise.all(
    listed.items.map(async (group: Output): Promise<ConsolePackageGroup> => {
      const packages = await listAll(
        api,
        'ListModelPackages',
        {
          ModelPackageGroupName: group.ModelPackageGroupName,
          SortBy: 'CreationTime',
          SortOrder: 'Descending',
        },
        'ModelPackageSummaryList',
      );
      truncated ||= packages.truncated;
      return {
        ModelPackageGroupName: group.ModelPackageGroupName,
        ModelPackageGroupStatus: group.ModelPackageGroupStatus,
        Packages: packages.items.map((p: Output) => ({
          ModelPackageArn: p.ModelPackageArn,
          ModelPackageVersion: p.ModelPackageVersion,
          ModelApprovalStatus: p.ModelApprovalStatus,
          ModelPackageStatus: p.ModelPackageStatus,
          CreationTime: p.CreationTime,
        })),
      };
    }),
  );
  return { items, truncated };
}

const latestExecutions = (api: Api, schedule: string, max: number) =>
  call(api, 'ListMonitoringExecutions', {
    MonitoringScheduleName: schedule,
    SortBy: 'ScheduledTime',
    SortOrder: 'Descending',
    MaxResults: max,
  }).then((page) => (page.MonitoringExecutionSummaries ?? []) as Output[]);

async function schedules(api: Api): Promise<{ items: ConsoleSchedule[]; truncated: boolean }> {
  const listed = await listAll(
    api,
    'ListMonitoringSchedules',
    { SortBy: 'Name', SortOrder: 'Ascending' },
    'MonitoringScheduleSummaries',
  );
  const items = await Promise.all(
    listed.items.map(async (s: Output): Promise<ConsoleSchedule> => {
      const executions = await latestExecutions(api, s.MonitoringScheduleName, 20);
      const last = executions[0];
      return {
        MonitoringScheduleName: s.MonitoringScheduleName,
        MonitoringScheduleStatus: s.MonitoringScheduleStatus,
        MonitoringType: s.MonitoringType,
        EndpointName: s.EndpointName,
        ...(last
          ? {
              LastExecution: {
                MonitoringExecutionStatus: last.MonitoringExecutionStatus,
                ScheduledTime: last.ScheduledTime,
                ...(last.FailureReason ? { FailureReason: last.FailureReason } : {}),
              },
            }
          : {}),
        HasReport: executions.some((e) => FINISHED.has(e.MonitoringExecutionStatus) && e.ProcessingJobArn),
      };
    }),
  );
  return { items, truncated: listed.truncated };
}

export async function gatherConsoleData(api: Api): Promise<ConsoleData> {
  const [e, x, g, s] = await Promise.all([
    endpoints(api),
    experiments(api),
    packageGroups(api),
    schedules(api),
  ]);
  const truncated = [
    ...(e.truncated ? ['endpoints'] : []),
    ...(x.truncated ? ['shadow tests'] : []),
    ...(g.truncated ? ['model registry'] : []),
    ...(s.truncated ? ['monitoring schedules'] : []),
  ];
  return {
    endpoints: e.items,
    experiments: x.items,
    packageGroups: g.items,
    schedules: s.items,
    ...(truncated.length > 0 ? { truncated } : {}),
  };
}

/** The latest finished execution's report.html of a monitoring schedule. */
async function monitorReport(api: Api, schedule: string): Promise<string> {
  await call(api, 'DescribeMonitoringSchedule', { MonitoringScheduleName: schedule });
  const finished = (await latestExecutions(api, schedule, 100)).find(
    (e) => FINISHED.has(e.MonitoringExecutionStatus) && e.ProcessingJobArn,
  );
  if (!finished) throw new ResourceNotFound(`Monitoring schedule ${schedule} has no finished execution yet.`);
  const job = await call(api, 'DescribeProcessingJob', {
    ProcessingJobName: String(finished.ProcessingJobArn).split('/').pop(),
  });
  const folder: string | undefined = job.ProcessingOutputConfig?.Outputs?.[0]?.S3Output?.S3Uri;
  const html =
    folder && api.ctx.objects
      ? await api.ctx.objects.getText(`${folder.replace(/\/$/, '')}/report.html`)
      : undefined;
  if (html === undefined) {
    throw new ResourceNotFound(`The latest finished execution of ${schedule} wrote no report.html.`);
  }
  return html;
}

async function report(api: Api, query: string): Promise<string> {
  const params = otherParameters(query);
  const kind = params.get('kind');
  const name = params.get('name');
  if (!name) throw new ValidationException('GET /console/report needs the parameters kind and name.');
  if (kind === 'shadow') {
    const figures = await call(api, 'Understudy.DescribeShadowReport', { InferenceExperimentName: name });
    return renderShadowReportPage(figures as ShadowReportPage, api.ctx.now());
  }
  if (kind === 'monitor') return monitorReport(api, name);
  throw new ValidationException(`Report kind '${kind ?? ''}' is not one of: shadow, monitor.`);
}

export interface ConsoleDeps {
  readonly keys: AccessKeyResolver;
  readonly log: Log;
  readonly now: () => Date;
  /** The control context for the verified caller. */
  readonly context: (caller: ControlContext['caller']) => ControlContext;
  /** Runs one operation as the API does (`dispatch` of control-plane.ts). */
  readonly dispatch: Dispatch;
}

/** Serves one console request; every refusal or failure is a small HTML page with the error's type. */
export async function serveConsole(
  route: ConsoleRoute,
  request: HttpRequest,
  deps: ConsoleDeps,
): Promise<HttpResult> {
  const common = { ...PAGE_HEADERS, 'x-amzn-RequestId': request.requestId };
  try {
    const caller = await verifyConsoleRequest(route, request, deps.keys, deps.now());
    const ctx = deps.context(caller);
    const api: Api = { ctx, dispatch: deps.dispatch };
    const body =
      route === 'page'
        ? renderConsolePage(await gatherConsoleData(api), {
            caller,
            region: ctx.region,
            generatedAt: ctx.now(),
            expiresAt: expiryOf(request.rawQueryString) ?? ctx.now(),
            reportHref: (kind, name) => reportHref(request.path, request.rawQueryString, kind, name),
          })
        : await report(api, request.rawQueryString);
    deps.log.info('console', { route, caller: caller.accessKeyId, requestId: request.requestId });
    return { statusCode: 200, headers: common, body };
  } catch (error) {
    const known =
      error instanceof ApiError && error.statusCode < 500
        ? error
        : new ApiError(
            'InternalFailure',
            500,
            'An internal error occurred. Try again; the request id identifies it.',
          );
    if (known !== error)
      deps.log.error('console request failed', { requestId: request.requestId, error: String(error) });
    return {
      statusCode: known.statusCode,
      headers: { ...common, 'x-amzn-ErrorType': known.type },
      body: renderConsoleError(known.type, known.message, known.statusCode),
    };
  }
}
