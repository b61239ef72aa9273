/**
 * One model-quality execution: the captured predictions of the window joined with the ground
 * truth collected since the window began, scored in SageMaker's statistics.json layout and
 * checked against SageMaker's model-quality constraints file.
 *
 * 1. the window's capture files (as the data-quality runner lists them), each record reduced
 *    to its eventId, inferenceId and prediction: `InferenceAttribute` (a column index of CSV
 *    output, a key or `$.`JSONPath of JSON output) is the predicted label or value;
 *    `ProbabilityAttribute` is the positive class's score, a label by
 *    `ProbabilityThresholdAttribute` when there is no inference attribute;
 * 2. ground-truth files under `{GroundTruthS3Input.S3Uri}/[{endpoint}/]yyyy/mm/dd/hh/` of the
 *    hours from the window's start to the run time, joined on inferenceId else eventId;
 * 3. `statistics.json` and `constraint_violations.json` under the execution's folder; the join's
 *    counts in the exit message; CloudWatch metrics (`aws/sagemaker/Endpoints/model-metrics`, one
 *    per metric) and the alert on violations, as the data-quality runner sends them.
 *
 * Constraints (`constraints.json`): `{"version": 0.0, "binary_classification_constraints" |
 * "multiclass_classification_constraints" | "regression_constraints": {metric: {"threshold",
 * "comparison_operator"}}}`; a metric violates when `value <operator> threshold` holds
 * (`LessThanThreshold` on accuracy: accuracy below the threshold). A violation is
 * `{"metric_name", "constraint_check_type": operator, "description"}`.
 */

import type { EndpointRecord } from '../hosting/endpoints.js';
import { ValidationException } from '../kernel/errors.js';
import { COLLECTIONS } from '../kernel/records.js';
import {
  type CapturedPrediction,
  type GroundTruthFile,
  joinGroundTruth,
  labelFor,
} from '../model-quality/ground-truth.js';
import {
  type LabelledPredictions,
  type Metric,
  type ModelQualityStatistics,
  modelQualityStatistics,
} from '../model-quality/metrics.js';
import { estimateMulticlassPerformance, estimatePerformance } from '../stats/performance-estimation.js';
import {
  type AnalysisResult,
  captureFiles,
  ExecutionFailure,
  type MonitorDeps,
  mapLimited,
  publishing,
} from './execution-support.js';
import { jobOptions } from './job-options.js';
import type { DimensionedDatum } from './ports.js';
import type { ExecutionRecord, ModelQualityJob } from './records.js';
import {
  HEADLINE_METRICS,
  type ModelQualityEstimate,
  type ModelQualityHistoryPoint,
  renderModelQualityReport,
} from './report/index.js';
import { compileJsonPath, decodeCaptureData, formatMonitoringFile } from './statistics/index.js';

/** Model Monitor's namespace for model-quality metrics of real-time endpoints. */
export const MODEL_METRICS_NAMESPACE = 'aws/sagemaker/Endpoints/model-metrics';

export const COMPARISON_OPERATORS = [
  'LessThanThreshold',
  'GreaterThanThreshold',
  'LessThanOrEqualToThreshold',
  'GreaterThanOrEqualToThreshold',
] as const;
export type ComparisonOperator = (typeof COMPARISON_OPERATORS)[number];

const CONSTRAINTS_KEY = {
  BinaryClassification: 'binary_classification_constraints',
  MulticlassClassification: 'multiclass_classification_constraints',
  Regression: 'regression_constraints',
} as const;
const METRICS_KEY = {
  BinaryClassification: 'binary_classification_metrics',
  MulticlassClassification: 'multiclass_classification_metrics',
  Regression: 'regression_metrics',
} as const;

export type ModelQualityProblemType = ModelQualityJob['problemType'];

/** The metrics section of a model-quality statistics.json for the problem type. */
export function metricsOf(
  statistics: ModelQualityStatistics,
  problemType: ModelQualityProblemType,
): Record<string, unknown> {
  return (statistics[METRICS_KEY[problemType]] ?? {}) as Record<string, unknown>;
}

export interface ModelQualityViolation {
  readonly metric_name: string;
  readonly constraint_check_type: ComparisonOperator;
  readonly description: string;
}

type MetricConstraints = Record<string, { threshold: number; comparison_operator: ComparisonOperator }>;

/** The constraints of one problem type in a model-quality constraints.json; ExecutionFailure if broken. */
export function parseModelQualityConstraints(
  text: string,
  problemType: ModelQualityJob['problemType'],
  uri: string,
): MetricConstraints {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new ExecutionFailure(`The constraints ${uri} are not JSON: ${(error as Error).message}.`);
  }
  const key = CONSTRAINTS_KEY[problemType];
  const section = (doc as Record<string, unknown> | null)?.[key];
  if (section === undefined) {
    const other = Object.values(CONSTRAINTS_KEY).find((k) => (doc as Record<string, unknown>)?.[k]);
    throw new ExecutionFailure(
      `The constraints ${uri} have no ${key}${other ? ` (they hold ${other}: the problem type does not match)` : ''}.`,
    );
  }
  if (typeof section !== 'object' || section === null || Array.isArray(section)) {
    throw new ExecutionFailure(`The constraints ${uri}: ${key} must be an object of metrics.`);
  }
  const out: MetricConstraints = {};
  for (const [metric, c] of Object.entries(section as Record<string, unknown>)) {
    const { threshold, comparison_operator: op } = (c ?? {}) as Record<string, unknown>;
    if (typeof threshold !== 'number' || !COMPARISON_OPERATORS.includes(op as ComparisonOperator)) {
      throw new ExecutionFailure(
        `The constraints ${uri}: ${key}.${metric} needs a numeric threshold and a comparison_operator of ${COMPARISON_OPERATORS.join(', ')}.`,
      );
    }
    out[metric] = { threshold, comparison_operator: op as ComparisonOperator };
  }
  return out;
}

function holds(value: number, op: ComparisonOperator, threshold: number): boolean {
  switch (op) {
    case 'LessThanThreshold':
      return value < threshold;
    case 'GreaterThanThreshold':
      return value > threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= threshold;
    case 'GreaterThanOrEqualToThreshold':
      return value >= threshold;
  }
}

/** The metrics that break their constraints; a constrained metric the statistics lack is one too. */
export function checkModelQualityConstraints(
  metrics: Record<string, unknown>,
  constraints: MetricConstraints,
): ModelQualityViolation[] {
  const violations: ModelQualityViolation[] = [];
  for (const [name, { threshold, comparison_operator: op }] of Object.entries(constraints)) {
    const metric = metrics[name] as Metric | undefined;
    if (!metric || typeof metric.value !== 'number') {
      violations.push({
        metric_name: name,
        constraint_check_type: op,
        description: `Metric ${name} has no value in this execution's statistics to compare with '${threshold}'.`,
      });
      continue;
    }
    if (!holds(metric.value, op, threshold)) continue;
    const sd = typeof metric.standard_deviation === 'number' ? ` +/- ${metric.standard_deviation}` : '';
    violations.push({
      metric_name: name,
      constraint_check_type: op,
      description: `Metric ${name} with ${metric.value}${sd} was ${op} '${threshold}'`,
    });
  }
  return violations;
}

/** Reads an attribute from one decoded output payload: a CSV column index, else a JSON key or path. */
function attributeReader(attribute: string): (payload: { data: string; contentType: string }) => unknown {
  const index = /^\d+$/.test(attribute.trim()) ? Number(attribute) : undefined;
  const path = attribute.trim().startsWith('$') ? compileJsonPath(attribute) : undefined;
  return ({ data, contentType }) => {
    if (!contentType.includes('json')) {
      const lines = data.split('\n').filter((l) => l.trim() !== '');
      if (lines.length !== 1 || index === undefined) return undefined;
      const cell = lines[0]?.split(',')[index];
      return cell === undefined ? undefined : cell.trim().replace(/^"(.*)"$/, '$1');
    }
    let doc: unknown;
    try {
      doc = JSON.parse(data);
    } catch {
      return undefined;
    }
    let value: unknown;
    if (path) value = path.evaluate(doc)[0];
    else if (index !== undefined && Array.isArray(doc)) value = doc[index];
    else if (doc && typeof doc === 'object') value = (doc as Record<string, unknown>)[attribute];
    // One prediction per capture: `[[0.8]]`, `{"predictions": [0.8]}` and `0.8` are all 0.8.
    while (Array.isArray(value) && value.length === 1) value = value[0];
    return value;
  };
}

export type Prediction = {
  label: string | number;
  score?: number;
  /** Multiclass: the per-class probabilities ProbabilityAttribute names, a list or `{class: p}`. */
  probabilities?: readonly number[] | Readonly<Record<string, number>>;
};

/** A multiclass probability output: a list of numbers, or an object of numbers by class name. */
function classProbabilities(value: unknown): Prediction['probabilities'] {
  if (Array.isArray(value)) {
    return value.length > 1 && value.every((v) => typeof v === 'number' && Number.isFinite(v))
      ? (value as number[])
      : undefined;
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    return entries.length > 1 && entries.every(([, v]) => typeof v === 'number' && Number.isFinite(v))
      ? (value as Record<string, number>)
      : undefined;
  }
  return undefined;
}

/** The prediction a capture's output holds; undefined when it cannot be read. */
function predictionReader(job: ModelQualityJob): (payload: { data: string; contentType: string }) => unknown {
  const { InferenceAttribute, ProbabilityAttribute, ProbabilityThresholdAttribute } = job.endpointInput;
  const inference = InferenceAttribute === undefined ? undefined : attributeReader(InferenceAttribute);
  const probability = ProbabilityAttribute === undefined ? undefined : attributeReader(ProbabilityAttribute);
  const multiclass = job.problemType === 'MulticlassClassification';
  return (payload) => {
    const rawScore = probability?.(payload);
    const probabilities = multiclass ? classProbabilities(rawScore) : undefined;
    const score = rawScore === undefined || multiclass ? undefined : Number(rawScore);
    if (inference) {
      const label = inference(payload);
      if (typeof label !== 'string' && typeof label !== 'number' && typeof label !== 'boolean')
        return undefined;
      return {
        label: typeof label === 'boolean' ? Number(label) : label,
        score,
        ...(probabilities ? { probabilities } : {}),
      };
    }
    if (score === undefined || !Number.isFinite(score)) return undefined;
    return { label: score >= (ProbabilityThresholdAttribute ?? 0.5) ? 1 : 0, score };
  };
}

/**
 * The predictions in a capture file's lines, each with its event and inference ids, as `read`
 * finds them in the endpoint's output; lines with no event id or no readable output are counted.
 */
export function parseCaptures<P = Prediction>(
  text: string,
  read: (payload: { data: string; contentType: string }) => P | undefined,
): { captures: CapturedPrediction<P>[]; unreadable: number } {
  const captures: CapturedPrediction<P>[] = [];
  let unreadable = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const record = JSON.parse(line) as {
        captureData?: {
          endpointOutput?: { data?: unknown; encoding?: string; observedContentType?: string };
        };
        eventMetadata?: { eventId?: unknown; inferenceId?: unknown };
      };
      const output = record.captureData?.endpointOutput;
      const eventId = record.eventMetadata?.eventId;
      const prediction =
        output && typeof output.data === 'string'
          ? read(decodeCaptureData({ ...output, data: output.data }))
          : undefined;
      if (typeof eventId !== 'string' || prediction === undefined || prediction === null) {
        unreadable++;
        continue;
      }
      const inferenceId = record.eventMetadata?.inferenceId;
      captures.push({
        eventId,
        ...(typeof inferenceId === 'string' ? { inferenceId } : {}),
        prediction,
      });
    } catch {
      unreadable++;
    }
  }
  return { captures, unreadable };
}

/**
 * The labelled predictions of the problem type; ExecutionFailure when the model's output does
 * not fit it. `what` names a prediction in messages ("event 1a2b", "row 12").
 */
export function labelledPredictions(
  problemType: ModelQualityJob['problemType'],
  hasInferenceAttribute: boolean,
  joined: readonly { eventId: string; prediction: Prediction; label: string | number | boolean }[],
  what: (id: string) => string = (id) => `event ${id}`,
): LabelledPredictions {
  const mismatch = (id: string, value: unknown, needs: string) =>
    new ExecutionFailure(
      `ProblemType ${problemType} does not match the model's output: the prediction of ${what(id)} is ${JSON.stringify(value)}, and ${problemType} needs ${needs}${problemType === 'BinaryClassification' && hasInferenceAttribute ? ' (a probability output needs ProbabilityAttribute and ProbabilityThresholdAttribute)' : ''}.`,
    );
  switch (problemType) {
    case 'BinaryClassification': {
      const predicted = joined.map((j) => {
        const text = String(j.prediction.label).trim().toLowerCase();
        if (text === '1' || text === '1.0' || text === 'true') return 1;
        if (text === '0' || text === '0.0' || text === 'false') return 0;
        throw mismatch(j.eventId, j.prediction.label, 'a predicted label of 0 or 1');
      });
      const scores = joined.map((j) => j.prediction.score);
      const probability = scores.every((s): s is number => s !== undefined && Number.isFinite(s))
        ? scores
        : undefined;
      return {
        problemType,
        actual: joined.map((j) => labelFor(problemType, j.label, j.eventId)),
        predicted,
        ...(probability ? { probability } : {}),
      };
    }
    case 'MulticlassClassification': {
      const actual = joined.map((j) => labelFor(problemType, j.label, j.eventId));
      const probabilities = multiclassProbabilities(joined, actual);
      return {
        problemType,
        actual,
        predicted: joined.map((j) => String(j.prediction.label)),
        ...(probabilities ? { probabilities } : {}),
      };
    }
    case 'Regression':
      return {
        problemType,
        actual: joined.map((j) => labelFor(problemType, j.label, j.eventId)),
        predicted: joined.map((j) => {
          const value =
            typeof j.prediction.label === 'number' ? j.prediction.label : Number(j.prediction.label);
          if (!Number.isFinite(value) || String(j.prediction.label).trim() === '')
            throw mismatch(j.eventId, j.prediction.label, 'a numeric prediction');
          return value;
        }),
      };
  }
}

/**
 * The per-class probabilities of every labelled prediction, as the multiclass metrics take them
 * (for `weighted_auc`): class names are a list's indices ("0", "1", …, as a classifier's label
 * outputs number them) or an object's keys. Undefined — and no `weighted_auc` — unless every
 * prediction has them in the same shape and every true label is one of the classes.
 */
export function multiclassProbabilities(
  joined: readonly { prediction: Prediction }[],
  actual: readonly string[],
): { classes: string[]; rows: number[][] } | undefined {
  const first = joined[0]?.prediction.probabilities;
  if (first === undefined) return undefined;
  const classes = Array.isArray(first)
    ? first.map((_, i) => String(i))
    : Object.keys(first as Record<string, number>).sort();
  const rows: number[][] = [];
  for (const { prediction } of joined) {
    const p = prediction.probabilities;
    if (p === undefined) return undefined;
    if (Array.isArray(first) !== Array.isArray(p)) return undefined;
    const row = Array.isArray(p)
      ? (p as number[])
      : classes.map((c) => (p as Record<string, number>)[c] ?? Number.NaN);
    if (row.length !== classes.length || row.some((v) => !Number.isFinite(v))) return undefined;
    rows.push(row);
  }
  const known = new Set(classes);
  return actual.every((a) => known.has(a)) ? { classes, rows } : undefined;
}

/** The ground-truth files of the hours from `from` to `to` (epoch seconds) under the job's prefix. */
async function groundTruthFiles(
  deps: MonitorDeps,
  job: ModelQualityJob,
  from: number,
  to: number,
): Promise<GroundTruthFile[]> {
  const prefix = `${job.groundTruthS3Uri}/`;
  const endpoint = job.endpointInput.EndpointName;
  const hourOf = new RegExp(
    `^(?:${endpoint.replace(/[-]/g, '\\-')}/)?(\\d{4})/(\\d{2})/(\\d{2})/(\\d{2})/[^/]+\\.jsonl$`,
  );
  const first = Math.floor(from / 3600) * 3600;
  const listed = (await deps.objects.list(prefix)).filter((o) => {
    const m = hourOf.exec(o.uri.slice(prefix.length));
    if (!m) return false;
    const hour = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4])) / 1000;
    return hour >= first && hour <= to;
  });
  return mapLimited(listed, deps.fileConcurrency ?? 8, async (o) => ({
    key: o.uri.slice(prefix.length).replace(/^[^/]+\/(?=\d{4}\/)/, ''),
    text: (await deps.objects.getText(o.uri)) ?? '',
  }));
}

/**
 * CBPE's accuracy (and AUC) estimated from the predictions' probabilities alone — over every
 * capture of the window, which is what is known before labels arrive, and over the labelled
 * ones, to set beside the realised accuracy. Binary: the positive class's probability and the
 * label the model gave (its own, or the probability thresholded by ProbabilityThresholdAttribute);
 * multiclass: the per-class probabilities, the argmax predicted. Undefined when the captures carry no probabilities.
 */
function cbpeEstimate(
  job: ModelQualityJob,
  all: readonly { prediction: Prediction }[],
  labelled: readonly { prediction: Prediction }[],
  realisedAccuracy: number | undefined,
): ModelQualityEstimate | undefined {
  const side = (rows: readonly { prediction: Prediction }[]) => {
    if (job.problemType === 'BinaryClassification') {
      const scores = rows.map((r) => r.prediction.score);
      if (scores.length === 0 || !scores.every((p) => p !== undefined && p >= 0 && p <= 1)) return undefined;
      const labels = rows.map((r) => String(r.prediction.label).trim().toLowerCase());
      const predicted = labels.map((l) => (l === '1' || l === '1.0' || l === 'true' ? 1 : 0));
      const e = estimatePerformance(scores as number[], { predicted });
      return { count: e.count, accuracy: e.expectedAccuracy, interval: e.interval, auc: e.expectedRocAuc };
    }
    if (job.problemType === 'MulticlassClassification') {
      const probabilities = multiclassProbabilities(rows, []);
      if (!probabilities || rows.length === 0) return undefined;
      try {
        const e = estimateMulticlassPerformance(probabilities.rows, probabilities.classes);
        return {
          count: e.count,
          accuracy: e.expectedAccuracy,
          interval: e.interval,
          auc: e.expectedRocAucMacro,
        };
      } catch {
        return undefined; // rows that are not distributions over the classes: no estimate
      }
    }
    return undefined;
  };
  const window = side(all);
  const onLabelled = side(labelled);
  if (!window || !onLabelled) return undefined;
  return { window, labelled: onLabelled, ...(realisedAccuracy !== undefined ? { realisedAccuracy } : {}) };
}

/** Executions of a schedule drawn in the report's chart over time, this one included. */
export const QUALITY_HISTORY_EXECUTIONS = 24;

function headline(metrics: Record<string, unknown>, problemType: ModelQualityProblemType) {
  const out: Record<string, Metric | undefined> = {};
  for (const name of HEADLINE_METRICS[problemType]) out[name] = metrics[name] as Metric | undefined;
  return out;
}

/**
 * The headline metrics of the schedule's earlier completed executions, oldest first (at most
 * QUALITY_HISTORY_EXECUTIONS − 1), read from their statistics.json. A file that is gone or
 * unreadable leaves its execution out of the chart; it does not fail this one.
 */
async function earlierQuality(
  deps: MonitorDeps,
  execution: ExecutionRecord,
  problemType: ModelQualityProblemType,
): Promise<ModelQualityHistoryPoint[]> {
  const earlier = (
    await deps.store.list<ExecutionRecord>(
      COLLECTIONS.monitoringExecution,
      `${execution.MonitoringScheduleName}#`,
    )
  )
    .filter(
      (e) =>
        e.MonitoringScheduleName === execution.MonitoringScheduleName &&
        e.ScheduledTime < execution.ScheduledTime &&
        e.MonitoringType === 'ModelQuality' &&
        (e.MonitoringExecutionStatus === 'Completed' ||
          e.MonitoringExecutionStatus === 'CompletedWithViolations') &&
        e.internal.reports !== undefined,
    )
    .sort((a, b) => a.ScheduledTime - b.ScheduledTime)
    .slice(-(QUALITY_HISTORY_EXECUTIONS - 1));
  const points = await mapLimited(earlier, deps.fileConcurrency ?? 8, async (e) => {
    try {
      const text = await deps.objects.getText((e.internal.reports as { statistics: string }).statistics);
      if (text === undefined) return undefined;
      const statistics = JSON.parse(text) as ModelQualityStatistics;
      return {
        scheduledTime: new Date(e.ScheduledTime * 1000).toISOString(),
        metrics: headline(metricsOf(statistics, problemType), problemType),
      };
    } catch {
      return undefined;
    }
  });
  return points.filter((p): p is ModelQualityHistoryPoint => p !== undefined);
}

export async function analyseModelQuality(
  deps: MonitorDeps,
  execution: ExecutionRecord,
  job: ModelQualityJob,
  recordInput: (inputUri: string) => Promise<void>,
): Promise<AnalysisResult> {
  const { window } = execution.internal;
  const options = jobOptions(job.environment, {});
  const endpointName = job.endpointInput.EndpointName;
  const endpoint = (await deps.store.get<EndpointRecord>(COLLECTIONS.endpoint, endpointName))?.data;
  if (!endpoint) throw new ExecutionFailure(`Endpoint ${endpointName} does not exist.`);
  const capture = endpoint.internal.capture;
  if (!capture) throw new ExecutionFailure(`Endpoint ${endpointName} has no data capture configured.`);
  await recordInput(`${capture.destination}/${endpointName}`);
  const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
  const windowText = `${iso(window.start)} to ${iso(window.end)}`;

  const constraints = job.constraintsUri
    ? await deps.objects.getText(job.constraintsUri).then((text) => {
        if (text === undefined)
          throw new ExecutionFailure(`The constraints ${job.constraintsUri} do not exist.`);
        return parseModelQualityConstraints(text, job.problemType, job.constraintsUri as string);
      })
    : {};

  const variants = [
    ...new Set([
      ...endpoint.internal.variants.map((v) => v.VariantName),
      ...(endpoint.internal.rollout?.productionVariants.map((v) => v.VariantName) ?? []),
    ]),
  ];
  const files = await captureFiles(deps.objects, capture.destination, endpointName, variants, window);
  const read = predictionReader(job);
  const parsed = await mapLimited(files, deps.fileConcurrency ?? 8, async (uri) =>
    parseCaptures(
      (await deps.objects.getText(uri)) ?? '',
      (payload) => read(payload) as Prediction | undefined,
    ),
  );
  const captures = parsed.flatMap((p) => p.captures);
  const unreadable = parsed.reduce((n, p) => n + p.unreadable, 0);
  if (captures.length + unreadable === 0) {
    throw new ExecutionFailure(
      `Job inputs had no data: no capture records of endpoint ${endpointName} between ${windowText} (${files.length} capture files in the window).`,
    );
  }
  if (captures.length === 0) {
    throw new ExecutionFailure(
      `No prediction could be read from the ${unreadable} capture records between ${windowText}: check InferenceAttribute / ProbabilityAttribute against the endpoint's output.`,
    );
  }
  const labels = await groundTruthFiles(deps, job, window.start, deps.now().getTime() / 1000);
  const { joined: allJoined, counts } = joinGroundTruth(captures, labels);
  // A label the problem type cannot read (`"maybe"` for BinaryClassification) is counted and
  // named in the exit message and the report; the other labels are still scored.
  const misfits: string[] = [];
  const joined = allJoined.filter((j) => {
    try {
      labelFor(job.problemType, j.label, j.eventId);
      return true;
    } catch (error) {
      if (!(error instanceof ValidationException)) throw error;
      if (misfits.length < 3) misfits.push(`${j.eventId}: ${JSON.stringify(j.label)}`);
      else misfits.push('');
      return false;
    }
  });
  const misfitText =
    misfits.length > 0
      ? `, ${misfits.length} labels of the wrong type for ${job.problemType} (e.g. ${misfits.filter(Boolean).join(', ')})`
      : '';
  const joinText = `${joined.length} labelled, ${counts.unlabelledCaptures} unlabelled captures, ${counts.labelsWithoutCapture} labels without capture${counts.labelsWithoutCaptureSample.length > 0 ? ` (e.g. ${counts.labelsWithoutCaptureSample.slice(0, 3).join(', ')})` : ''}, ${counts.supersededLabels} replaced labels, ${counts.malformedLabelLines} malformed label lines${misfitText}${unreadable > 0 ? `, ${unreadable} unreadable capture records` : ''}`;
  if (joined.length === 0) {
    throw new ExecutionFailure(
      allJoined.length > 0
        ? `None of the ${allJoined.length} labels joined to captures between ${windowText} is a label ProblemType ${job.problemType} can read: ${joinText}.`
        : `No captured prediction between ${windowText} has ground truth under ${job.groundTruthS3Uri} yet: ${joinText}.`,
    );
  }
  const statistics = modelQualityStatistics(
    labelledPredictions(job.problemType, job.endpointInput.InferenceAttribute !== undefined, joined),
  );
  const metrics = metricsOf(statistics, job.problemType);
  const violations = checkModelQualityConstraints(metrics, constraints);
  const status = violations.length > 0 ? 'CompletedWithViolations' : 'Completed';

  const folder = execution.internal.outputUri;
  const reports = {
    constraintViolations: `${folder}/constraint_violations.json`,
    statistics: `${folder}/statistics.json`,
    report: `${folder}/report.html`,
  };
  const history = await earlierQuality(deps, execution, job.problemType);
  const accuracy = metrics.accuracy as Metric | undefined;
  const estimate = cbpeEstimate(
    job,
    captures,
    joined,
    typeof accuracy?.value === 'number' ? accuracy.value : undefined,
  );
  const html = renderModelQualityReport({
    metadata: {
      endpointName,
      scheduleName: execution.MonitoringScheduleName,
      windowStart: iso(window.start),
      windowEnd: iso(window.end),
      executionId: execution.ProcessingJobArn,
      generatedAt: deps.now(),
    },
    problemType: job.problemType,
    statistics,
    constraints,
    violations,
    join: {
      labelled: joined.length,
      wrongTypeLabels: misfits.length,
      unlabelledCaptures: counts.unlabelledCaptures,
      labelsWithoutCapture: counts.labelsWithoutCapture,
      replacedLabels: counts.supersededLabels,
      malformedLabelLines: counts.malformedLabelLines,
      unreadableCaptures: unreadable,
    },
    ...(estimate ? { estimate } : {}),
    history: [
      ...history,
      { scheduledTime: iso(execution.ScheduledTime), metrics: headline(metrics, job.problemType) },
    ],
  });
  // MonitoringOutputConfig.KmsKeyId, checked against the deployment's keys at creation.
  const encryption = { kmsKeyId: job.kmsKeyId };
  await Promise.all([
    deps.objects.putText(
      reports.constraintViolations,
      formatMonitoringFile({ violations }),
      'application/json',
      encryption,
    ),
    deps.objects.putText(
      reports.statistics,
      formatMonitoringFile(statistics),
      'application/json',
      encryption,
    ),
    deps.objects.putText(reports.report, html, 'text/html; charset=utf-8', encryption),
  ]);

  const { notes, tell } = publishing(deps.log);
  if (options.publishMetrics && deps.metrics) {
    const dimensions = [
      { Name: 'Endpoint', Value: endpointName },
      { Name: 'MonitoringSchedule', Value: execution.MonitoringScheduleName },
    ];
    const data: DimensionedDatum[] = Object.entries(metrics)
      .filter(([, m]) => typeof (m as Metric | undefined)?.value === 'number')
      .map(([name, m]) => ({
        MetricName: name,
        Value: (m as Metric).value as number,
        Unit: 'None' as const,
        Dimensions: dimensions,
      }));
    const publisher = deps.metrics;
    if (data.length > 0) await tell('CloudWatch metrics', () => publisher.put(MODEL_METRICS_NAMESPACE, data));
  }
  const alerts = deps.alerts;
  if (violations.length > 0 && alerts) {
    await tell('alert', () =>
      alerts.publish({
        endpointName,
        monitoringScheduleName: execution.MonitoringScheduleName,
        monitoringScheduleArn: execution.internal.monitoringScheduleArn,
        processingJobArn: execution.ProcessingJobArn,
        scheduledTime: iso(execution.ScheduledTime),
        status: 'CompletedWithViolations',
        features: violations.map((v) => ({
          feature: v.metric_name,
          checks: [v.constraint_check_type],
          flaggedBy: [],
        })),
        violationCount: violations.length,
        reports,
        dataAnalysisStartTime: iso(window.start),
        dataAnalysisEndTime: iso(window.end),
      }),
    );
  }
  return {
    status,
    reports,
    exitMessage: `${status === 'CompletedWithViolations' ? `CompletedWithViolations: Job completed successfully with ${violations.length} violations.` : 'Completed: Job completed successfully with no violations.'} Ground truth: ${joinText}.${notes.join('')}`,
    counts: {
      records: captures.length + unreadable,
      rows: joined.length,
      unparseable: unreadable,
      violations: violations.length,
      labelled: joined.length,
      wrongTypeLabels: misfits.length,
      unlabelled: counts.unlabelledCaptures,
      labelsWithoutCapture: counts.labelsWithoutCapture,
      replacedLabels: counts.supersededLabels,
      malformedLabels: counts.malformedLabelLines,
    },
    violatedFeatures: violations.map((v) => v.metric_name),
  };
}
