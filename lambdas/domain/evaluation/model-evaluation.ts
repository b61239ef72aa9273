/**
 * `Understudy.DescribeModelEvaluation`: a model package version's offline quality next to its
 * online quality, and its shadows' quality against it on the same labelled events.
 *
 * - Offline: the statistics.json its ValidationSpecification's evaluation wrote (ModelMetrics.ModelQuality).
 * - Online: per endpoint serving the package, its model-quality monitoring executions'
 *   statistics.json (the most recent `MaxWindows`, default 100), oldest first — its window, the labelled events behind it, each metric with
 *   its confidence interval, compared with offline (`online-vs-offline.ts`: a one-sided z-test,
 *   Bonferroni across the window's metrics). An execution joins the captures of all production
 *   variants: its metrics are the package's only when every production variant serves it, and
 *   otherwise they are shown but not compared (`Comparable: false`).
 * - Shadows: per shadow variant of those endpoints, production's and the shadow's captures of a
 *   window (default the last 24 hours) joined with the ground truth and paired (`shadow-pairing.ts`).
 */

import { getEndpoint } from '../hosting/endpoints.js';
import { getModel } from '../hosting/models.js';
import { parseS3Uri } from '../kernel/artifact.js';
import type { ControlContext } from '../kernel/context.js';
import { ValidationException } from '../kernel/errors.js';
import type { ObjectStore } from '../kernel/ports.js';
import { COLLECTIONS } from '../kernel/records.js';
import { executionsOf } from '../model-monitor/executions.js';
import type { ModelQualityJobDefinitionRecord, ScheduleRecord } from '../model-monitor/records.js';
import type { GroundTruthFile } from '../model-quality/ground-truth.js';
import type { Metric, ModelQualityStatistics, ProblemType } from '../model-quality/metrics.js';
import { getModelPackage, type PackageRecord } from '../model-registry/model-packages.js';
import { compareWithOffline } from './online-vs-offline.js';
import { offlineEvaluationOf } from './package-baseline.js';
import { capturedPredictions, pairOnLabels } from './shadow-pairing.js';
import { CONSTRAINED_METRICS, type MetricsSection } from './suggested-constraints.js';

const SECTION: Record<ProblemType, MetricsSection> = {
  BinaryClassification: 'binary_classification_metrics',
  MulticlassClassification: 'multiclass_classification_metrics',
  Regression: 'regression_metrics',
};
const ALPHA = 0.05;
const DAY_SECONDS = 86_400;

export interface DescribeModelEvaluationInput {
  readonly ModelPackageArn?: string;
  readonly EndpointName?: string;
  /** The shadow comparison's window, epoch seconds; default the 24 hours before now. */
  readonly ShadowWindowStart?: number;
  readonly ShadowWindowEnd?: number;
  /** The most recent monitoring windows shown per endpoint. @default DEFAULT_MAX_WINDOWS */
  readonly MaxWindows?: number;
}

export const DEFAULT_MAX_WINDOWS = 100;

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

async function readStatistics(
  objects: ObjectStore,
  uri: string,
): Promise<ModelQualityStatistics | undefined> {
  const text = await objects.getText(uri);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as ModelQualityStatistics;
  } catch {
    return undefined;
  }
}

type Metrics = Record<string, Metric | undefined>;

/** The metrics the view shows: value, interval, SageMaker's standard deviation. */
function shown(metrics: Metrics, section: MetricsSection) {
  return Object.fromEntries(
    Object.keys(CONSTRAINED_METRICS[section].metrics).flatMap((name) => {
      const m = metrics[name];
      return m
        ? [
            [
              name,
              {
                Value: m.value,
                StandardDeviation: m.standard_deviation,
                ConfidenceInterval: {
                  Lower: m.confidence_interval.lower,
                  Upper: m.confidence_interval.upper,
                  Level: m.confidence_interval.confidence_level,
                  Method: m.confidence_interval.method,
                },
              },
            ],
          ]
        : [];
    }),
  );
}

/** The endpoints whose production variants serve the package, and whether all of them do. */
async function servingVariants(ctx: ControlContext, endpointName: string, packageArn: string) {
  const endpoint = await getEndpoint(ctx, endpointName);
  const variants = await Promise.all(
    endpoint.internal.variants.map(async (v) => ({
      name: v.VariantName,
      packageArn: (await getModel(ctx, v.ModelName).catch(() => undefined))?.internal.modelPackageArn,
    })),
  );
  const serving = variants.filter((v) => v.packageArn === packageArn).map((v) => v.name);
  return { endpoint, serving, all: serving.length === variants.length };
}

async function onlineWindows(
  ctx: ControlContext,
  objects: ObjectStore,
  endpointName: string,
  problemType: ProblemType,
  offline: Metrics | undefined,
  comparable: boolean,
  maxWindows: number,
) {
  const section = SECTION[problemType];
  const schedules = (await ctx.store.list<ScheduleRecord>(COLLECTIONS.monitoringSchedule)).filter(
    (s) => s.EndpointName === endpointName && s.MonitoringType === 'ModelQuality',
  );
  const executions = (
    await Promise.all(schedules.map((s) => executionsOf(ctx.store, s.MonitoringScheduleName)))
  )
    .flat()
    .sort((a, b) => a.ScheduledTime - b.ScheduledTime)
    .slice(-maxWindows);
  return Promise.all(
    executions.map(async (e) => {
      const base = {
        MonitoringScheduleName: e.MonitoringScheduleName,
        ScheduledTime: e.ScheduledTime,
        DataAnalysisStartTime: iso(e.internal.window.start),
        DataAnalysisEndTime: iso(e.internal.window.end),
        MonitoringExecutionStatus: e.MonitoringExecutionStatus,
        ...(e.FailureReason && { FailureReason: e.FailureReason }),
      };
      const uri = e.internal.reports?.statistics;
      const done =
        e.MonitoringExecutionStatus === 'Completed' ||
        e.MonitoringExecutionStatus === 'CompletedWithViolations';
      const statistics = done && uri ? await readStatistics(objects, uri) : undefined;
      const metrics = statistics?.[section] as Metrics | undefined;
      if (!statistics || !metrics) return base;
      const comparisons =
        comparable && offline
          ? compareWithOffline(offline, metrics, CONSTRAINED_METRICS[section].metrics, ALPHA)
          : [];
      return {
        ...base,
        StatisticsS3Uri: uri,
        LabelledEvents: statistics.dataset.item_count,
        Metrics: shown(metrics, section),
        ...(comparable &&
          offline && {
            ComparedWithOffline: comparisons,
            SignificantlyWorseThanOffline: comparisons.some((c) => c.SignificantlyWorse),
          }),
      };
    }),
  );
}

/** Ground-truth files under `{prefix}/[{endpoint}/]yyyy/mm/dd/hh/` collected from `from` on. */
async function groundTruthFiles(
  objects: ObjectStore,
  prefixUri: string,
  endpoint: string,
  from: number,
): Promise<GroundTruthFile[]> {
  const prefix = `${prefixUri.replace(/\/+$/, '')}/`;
  const hourOf = /^(?:[^/]+\/)?(\d{4})\/(\d{2})\/(\d{2})\/(\d{2})\/[^/]+\.jsonl$/;
  const first = Math.floor(from / 3600) * 3600;
  const listed = (await objects.list(`${prefix}${endpoint}/`)).concat(
    (await objects.list(prefix)).filter((o) => /^\d{4}\//.test(o.uri.slice(prefix.length))),
  );
  const files: GroundTruthFile[] = [];
  for (const o of listed) {
    const m = hourOf.exec(o.uri.slice(prefix.length));
    if (!m) continue;
    const hour = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4])) / 1000;
    if (hour < first) continue;
    files.push({
      key: o.uri.slice(prefix.length).replace(/^[^/]+\/(?=\d{4}\/)/, ''),
      text: (await objects.getText(o.uri)) ?? '',
    });
  }
  return files.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Where an endpoint's labels are: its model-quality job definition's, else PutGroundTruth's default. */
async function groundTruthPrefix(ctx: ControlContext, endpointName: string, captureDestination: string) {
  const definitions = await ctx.store.list<ModelQualityJobDefinitionRecord>(
    COLLECTIONS.modelQualityJobDefinition,
  );
  const named = definitions.find((d) => d.ModelQualityJobInput.EndpointInput?.EndpointName === endpointName)
    ?.ModelQualityJobInput.GroundTruthS3Input.S3Uri;
  if (named) return named;
  const bucket = parseS3Uri(`${captureDestination}/x`)?.bucket;
  return `s3://${bucket}/ground-truth`;
}

async function shadowComparisons(
  ctx: ControlContext,
  objects: ObjectStore,
  endpointName: string,
  problemType: ProblemType,
  servingVariants: readonly string[],
  input: DescribeModelEvaluationInput,
) {
  const endpoint = await getEndpoint(ctx, endpointName);
  const capture = endpoint.internal.capture;
  // The shadows of the package's variants: theirs are the production answers compared.
  const shadows = (endpoint.internal.shadows ?? []).filter((s) => servingVariants.includes(s.sourceVariant));
  if (!capture || shadows.length === 0) return [];
  const end = input.ShadowWindowEnd ?? ctx.now().getTime() / 1000;
  const start = input.ShadowWindowStart ?? end - DAY_SECONDS;
  if (!(start < end))
    throw new ValidationException('ShadowWindowStart must be earlier than ShadowWindowEnd.');
  const window = { start, end };
  const labels = await groundTruthFiles(
    objects,
    await groundTruthPrefix(ctx, endpointName, capture.destination),
    endpointName,
    start,
  );
  return Promise.all(
    shadows.map(async (shadow) => {
      const described = {
        EndpointName: endpointName,
        ProductionVariantName: shadow.sourceVariant,
        ShadowVariantName: shadow.VariantName,
        ...(shadow.experimentName && { InferenceExperimentName: shadow.experimentName }),
        WindowStart: iso(start),
        WindowEnd: iso(end),
      };
      if (!shadow.destination)
        return { ...described, Verdict: 'InsufficientData', Reason: 'The shadow is not captured.' };
      const [production, candidate] = await Promise.all([
        capturedPredictions(objects, capture.destination, endpointName, shadow.sourceVariant, window),
        capturedPredictions(objects, shadow.destination, endpointName, shadow.VariantName, window),
      ]);
      const paired = pairOnLabels(problemType, production, candidate, labels, ALPHA);
      const c = paired.comparison;
      return {
        ...described,
        LabelledEventsPaired: paired.pairedEvents,
        LabelledEventsUnpaired: paired.unpairedEvents,
        Test: paired.test,
        Alpha: c.alpha,
        PValue: c.pValue,
        Verdict: c.verdict,
        ...('productionAccuracy' in c
          ? {
              ProductionAccuracy: c.productionAccuracy,
              ShadowAccuracy: c.shadowAccuracy,
              AccuracyDifference: {
                Estimate: c.accuracyDifference.estimate,
                Lower: c.accuracyDifference.interval.lower,
                Upper: c.accuracyDifference.interval.upper,
                Level: c.accuracyDifference.confidenceLevel,
              },
            }
          : {
              MeanSquaredErrorDifference: {
                Estimate: c.squaredErrorDifference.estimate,
                Lower: c.squaredErrorDifference.interval.lower,
                Upper: c.squaredErrorDifference.interval.upper,
                Level: c.squaredErrorDifference.confidenceLevel,
              },
            }),
      };
    }),
  );
}

async function packageEvaluation(
  ctx: ControlContext,
  objects: ObjectStore,
  pkg: PackageRecord,
  endpointNames: readonly string[],
  input: DescribeModelEvaluationInput,
) {
  const offline = offlineEvaluationOf(pkg);
  const problemType = offline?.problemType as ProblemType | undefined;
  const statistics = offline ? await readStatistics(objects, offline.statisticsUri) : undefined;
  const section = problemType && SECTION[problemType];
  const offlineMetrics = section ? (statistics?.[section] as Metrics | undefined) : undefined;
  const endpoints = await Promise.all(
    endpointNames.map(async (name) => {
      const { serving, all } = await servingVariants(ctx, name, pkg.ModelPackageArn);
      if (!problemType) return { EndpointName: name, VariantNames: serving, Windows: [], Shadows: [] };
      return {
        EndpointName: name,
        VariantNames: serving,
        Comparable: all,
        ...(!all && {
          Reason: `Monitoring executions join the captures of every production variant, and not all of them serve ${pkg.ModelPackageArn}.`,
        }),
        Windows: await onlineWindows(
          ctx,
          objects,
          name,
          problemType,
          offlineMetrics,
          all,
          input.MaxWindows ?? DEFAULT_MAX_WINDOWS,
        ),
        Shadows: await shadowComparisons(ctx, objects, name, problemType, serving, input),
      };
    }),
  );
  return {
    ModelPackageArn: pkg.ModelPackageArn,
    ...(problemType && { ProblemType: problemType }),
    Offline:
      offline && statistics && section && offlineMetrics
        ? {
            StatisticsS3Uri: offline.statisticsUri,
            ConstraintsS3Uri: offline.constraintsUri,
            LabelledEvents: statistics.dataset.item_count,
            Metrics: shown(offlineMetrics, section),
          }
        : undefined,
    ...(!offline && {
      Reason: 'The package was registered without a ValidationSpecification: it has no offline evaluation.',
    }),
    Endpoints: endpoints,
    SignificanceTest:
      "online worse than offline: one-sided z-test on the difference of two independent estimates, standard errors from each metric's confidence interval, Bonferroni across the window's metrics, alpha 0.05",
  };
}

export async function describeModelEvaluation(ctx: ControlContext, input: DescribeModelEvaluationInput) {
  const objects = ctx.objects;
  if (!objects)
    throw new Error('The control plane was built without an object store: evaluations cannot be read.');
  if ((input.ModelPackageArn === undefined) === (input.EndpointName === undefined)) {
    throw new ValidationException('Give ModelPackageArn or EndpointName, one of them.');
  }
  if (input.ModelPackageArn !== undefined) {
    const pkg = await getModelPackage(ctx, input.ModelPackageArn);
    const endpoints = ctx.packageUsage ? await ctx.packageUsage.endpointsServing(pkg.ModelPackageArn) : [];
    return { ModelPackages: [await packageEvaluation(ctx, objects, pkg, endpoints, input)] };
  }
  const endpointName = input.EndpointName as string;
  const endpoint = await getEndpoint(ctx, endpointName);
  const arns = new Set<string>();
  for (const variant of endpoint.internal.variants) {
    const packageArn = (await getModel(ctx, variant.ModelName)).internal.modelPackageArn;
    if (packageArn) arns.add(packageArn);
  }
  const packages = await Promise.all([...arns].sort().map((arn) => getModelPackage(ctx, arn)));
  return {
    ModelPackages: await Promise.all(
      packages.map((pkg) => packageEvaluation(ctx, objects, pkg, [endpointName], input)),
    ),
  };
}
