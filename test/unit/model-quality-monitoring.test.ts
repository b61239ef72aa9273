import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../lambdas/control/control-plane.js';
import type { ControlContext } from '../../lambdas/domain/kernel/context.js';
import { MODEL_METRICS_NAMESPACE } from '../../lambdas/domain/model-monitor/model-quality-run.js';
import type { DimensionedDatum, MonitoringAlert } from '../../lambdas/domain/model-monitor/ports.js';
import { type MonitorDeps, runDueSchedules } from '../../lambdas/domain/model-monitor/runner.js';
import { groundTruthKey, groundTruthRecord } from '../../lambdas/domain/model-quality/ground-truth.js';
import { onnxModelProbe } from '../../lambdas/shared/model-probe.js';
import { InMemoryObjectStore } from '../support/in-memory-object-store.js';
import { InMemoryRegistryStore } from '../support/in-memory-registry-store.js';
import { fixture, MemoryArtifactSource } from '../support/models.js';

interface ReferenceCase {
  name: string;
  actual: number[];
  predicted: number[];
  probability: number[];
  expected: {
    item_count: number;
    confusion_matrix: Record<string, Record<string, number>>;
    metrics: Record<string, { value: number }>;
  };
}
const reference = JSON.parse(
  readFileSync(new URL('../fixtures/model-quality/reference.json', import.meta.url), 'utf8'),
) as { cases: ReferenceCase[] };
const binary = reference.cases.find((c) => c.name === 'binary-1000') as ReferenceCase;
const multiclass = reference.cases.find((c) => c.name === 'multiclass-600') as unknown as {
  actual: string[];
  predicted: string[];
  probabilities: number[][];
  classes: string[];
  expected: { confusion_matrix: Record<string, Record<string, number>>; weighted_auc: number };
};

let ctx: ControlContext;
let objects: InMemoryObjectStore;
let metrics: { namespace: string; data: DimensionedDatum[] }[];
let alerts: MonitoringAlert[];
let deps: MonitorDeps;
const call = (op: string, input: unknown) => dispatch(ctx, op, input) as Promise<Record<string, unknown>>;
const p = (n: number, w = 2) => String(n).padStart(w, '0');
/** The fire at 13:00 analyses [11:00, 12:00) (offsets -PT2H / -PT1H). */
const CAPTURED = new Date('2026-11-25T11:10:00Z');
const TICK = new Date('2026-11-25T13:00:30Z');

function definition(
  name: string,
  extra: { problemType?: string; constraints?: string; inference?: string; start?: string } = {},
) {
  return {
    JobDefinitionName: name,
    ...(extra.constraints
      ? { ModelQualityBaselineConfig: { ConstraintsResource: { S3Uri: extra.constraints } } }
      : {}),
    ModelQualityAppSpecification: {
      ImageUri: '156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer',
      ProblemType: extra.problemType ?? 'BinaryClassification',
    },
    ModelQualityJobInput: {
      EndpointInput: {
        EndpointName: 'ep',
        LocalPath: '/opt/ml/processing/input',
        InferenceAttribute: extra.inference ?? '0',
        ProbabilityAttribute: '1',
        StartTimeOffset: extra.start ?? '-PT2H',
        EndTimeOffset: '-PT1H',
      },
      GroundTruthS3Input: { S3Uri: 's3://b/ground-truth' },
    },
    ModelQualityJobOutputConfig: {
      MonitoringOutputs: [{ S3Output: { S3Uri: 's3://b/reports', LocalPath: '/opt/ml/processing/output' } }],
    },
    JobResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 20 } },
    RoleArn: 'arn:aws:iam::123456789012:role/monitor',
  };
}

const schedule = (name: string, definitionName: string) => ({
  MonitoringScheduleName: name,
  MonitoringScheduleConfig: {
    ScheduleConfig: { ScheduleExpression: 'cron(0 * ? * * *)' },
    MonitoringJobDefinitionName: definitionName,
    MonitoringType: 'ModelQuality',
  },
});

/** One capture per row: CSV output `label,probability`, the request's inference id `inf-{i}`. */
async function writeCaptures(rows: { predicted: number | string; probability: number }[], first = 0) {
  for (let i = 0; i < rows.length; i += 100) {
    const at = new Date(CAPTURED.getTime() + i * 10);
    const key = `captures/ep/main/2026/11/25/11/${p(at.getUTCMinutes())}-${p(at.getUTCSeconds())}-${p(at.getUTCMilliseconds(), 3)}-${first + i}.jsonl`;
    const lines = rows.slice(i, i + 100).map((row, j) =>
      JSON.stringify({
        captureData: {
          endpointInput: { observedContentType: 'text/csv', mode: 'INPUT', data: '1,2\n', encoding: 'CSV' },
          endpointOutput: {
            observedContentType: 'text/csv',
            mode: 'OUTPUT',
            data: `${row.predicted},${row.probability}\n`,
            encoding: 'CSV',
          },
        },
        eventMetadata: {
          eventId: `ev-${first + i + j}`,
          inferenceId: `inf-${first + i + j}`,
          inferenceTime: at.toISOString(),
        },
        eventVersion: '0',
      }),
    );
    await objects.putText(`s3://b/${key}`, `${lines.join('\n')}\n`, 'application/jsonlines');
  }
}

async function writeLabels(labels: { id: string; label: number | string }[], collectedAt: Date, extra = '') {
  const key = groundTruthKey('ground-truth', 'ep', collectedAt, `u${collectedAt.getTime()}`);
  const body = labels.map((l) => JSON.stringify(groundTruthRecord(l.id, l.label))).join('\n');
  await objects.putText(`s3://b/${key}`, `${body}\n${extra}`, 'application/jsonlines');
}

beforeEach(async () => {
  const artifacts = new MemoryArtifactSource();
  artifacts.put('s3://m/row-sum.onnx', fixture('row-sum.onnx'));
  objects = new InMemoryObjectStore();
  const store = new InMemoryRegistryStore();
  const clock = () => new Date('2026-11-25T10:00:00Z');
  ctx = {
    store,
    artifacts,
    objects,
    models: onnxModelProbe,
    region: 'us-east-1',
    accountId: '123456789012',
    caller: { accessKeyId: 'AKUSTEST', role: 'admin' },
    now: clock,
  };
  metrics = [];
  alerts = [];
  deps = {
    store,
    objects,
    metrics: { put: async (namespace, data) => void metrics.push({ namespace, data: [...data] }) },
    alerts: { publish: async (alert) => void alerts.push(alert) },
    now: () => TICK,
  };
  await call('CreateModel', { ModelName: 'm', PrimaryContainer: { ModelDataUrl: 's3://m/row-sum.onnx' } });
  await call('CreateEndpointConfig', {
    EndpointConfigName: 'captured',
    ProductionVariants: [{ VariantName: 'main', ModelName: 'm' }],
    DataCaptureConfig: {
      InitialSamplingPercentage: 100,
      DestinationS3Uri: 's3://b/captures',
      CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
    },
  });
  await call('CreateEndpoint', { EndpointName: 'ep', EndpointConfigName: 'captured' });
});

async function onlyExecution(name: string) {
  const listed = (await call('ListMonitoringExecutions', { MonitoringScheduleName: name })) as {
    MonitoringExecutionSummaries: Record<string, unknown>[];
  };
  expect(listed.MonitoringExecutionSummaries).toHaveLength(1);
  return listed.MonitoringExecutionSummaries[0] as Record<string, unknown>;
}

describe('model-quality schedules', () => {
  it('join captures with late, duplicated labels and score them as scikit-learn does', async () => {
    await objects.putText(
      's3://b/baseline/mq-constraints.json',
      JSON.stringify({
        version: 0.0,
        binary_classification_constraints: {
          accuracy: { threshold: 0.95, comparison_operator: 'LessThanThreshold' },
          recall: { threshold: 0.1, comparison_operator: 'LessThanThreshold' },
        },
      }),
      'application/json',
    );
    await call(
      'CreateModelQualityJobDefinition',
      definition('mq', { constraints: 's3://b/baseline/mq-constraints.json' }),
    );
    const created = await call('CreateMonitoringSchedule', schedule('quality', 'mq'));
    expect(created.MonitoringScheduleArn).toBeDefined();
    const described = await call('DescribeMonitoringSchedule', { MonitoringScheduleName: 'quality' });
    expect(described.MonitoringType).toBe('ModelQuality');

    // The reference's 1000 rows, then 20 captures that never get a label.
    await writeCaptures(
      binary.predicted.map((predicted, i) => ({ predicted, probability: binary.probability[i] as number })),
    );
    await writeCaptures(
      Array.from({ length: 20 }, () => ({ predicted: 1, probability: 0.9 })),
      1000,
    );
    // Labels arrive late (12:20), one of them first wrong and then corrected (12:40); three name
    // events never captured; one line is no ground-truth record.
    const labels = binary.actual.map((label, i) => ({ id: `inf-${i}`, label }));
    await writeLabels(
      [...labels, { id: 'ghost-1', label: 1 }, { id: 'ghost-2', label: 0 }, { id: 'ghost-3', label: 1 }],
      new Date('2026-11-25T12:20:00Z'),
      'not a label\n',
    );
    await writeLabels(
      [{ id: 'inf-0', label: 1 - (binary.actual[0] as number) }],
      new Date('2026-11-25T12:10:00Z'),
    );

    const result = await runDueSchedules(deps, TICK);
    expect(result.executions).toEqual([
      { schedule: 'quality', scheduledTime: '2026-11-25T13:00:00.000Z', status: 'CompletedWithViolations' },
    ]);
    const execution = await onlyExecution('quality');
    const folder = 's3://b/reports/ep/quality/2026/11/25/13';
    expect(execution).toMatchObject({
      MonitoringType: 'ModelQuality',
      MonitoringJobDefinitionName: 'mq',
      StatisticsS3Uri: `${folder}/statistics.json`,
      DataAnalysisStartTime: Date.parse('2026-11-25T11:00:00Z') / 1000,
      DataAnalysisEndTime: Date.parse('2026-11-25T12:00:00Z') / 1000,
    });
    expect(execution.ExitMessage).toContain(
      'Ground truth: 1000 labelled, 20 unlabelled captures, 3 labels without capture (e.g. ghost-1, ghost-2, ghost-3), 1 replaced labels, 1 malformed label lines',
    );

    const statistics = JSON.parse((await objects.getText(`${folder}/statistics.json`)) as string);
    expect(statistics.dataset.item_count).toBe(binary.expected.item_count);
    const m = statistics.binary_classification_metrics;
    expect(m.confusion_matrix).toEqual(binary.expected.confusion_matrix);
    expect(m.accuracy.value).toBeCloseTo(binary.expected.metrics.accuracy?.value as number, 12);
    expect(m.auc.value).toBeCloseTo(binary.expected.metrics.auc?.value as number, 12);

    // The report: self-contained, the same numbers as statistics.json.
    const html = (await objects.getText(`${folder}/report.html`)) as string;
    expect(objects.objects.get(`${folder}/report.html`)?.contentType).toBe('text/html; charset=utf-8');
    expect(html).not.toMatch(/<script|<link|src="http|href="http/);
    for (const [actual, row] of Object.entries(binary.expected.confusion_matrix)) {
      for (const [predicted, n] of Object.entries(row)) {
        expect(html).toContain(`data-actual="${actual}" data-predicted="${predicted}"`);
        expect(html).toMatch(
          new RegExp(
            `data-actual="${actual}" data-predicted="${predicted}"[^>]*>${n.toLocaleString('en-US')}<`,
          ),
        );
      }
    }
    expect(html).toMatch(/<tr class="flagged" data-metric="accuracy">/);
    expect(html).toContain(
      `data-points="${m.receiver_operating_characteristic_curve.false_positive_rates.length}"`,
    );
    expect(html).toContain('Precision–recall curve');
    expect(html).toContain("This is the schedule's first execution");
    expect(html).toContain('<dt>Labels without a capture</dt><dd>3</dd>');
    // CBPE beside the realised accuracy: over all 1,020 captures and over the 1,000 labelled.
    expect(html).toContain('Estimated from probabilities (CBPE)');
    expect(html).toMatch(/known before labels\)<\/td><td class="num">1,020</);
    expect(html).toMatch(/Labelled ones<\/td><td class="num">1,000</);
    expect(html).toMatch(
      /data-inside="(true|false)">Realised accuracy on the labelled predictions: <strong>0\.824<\/strong>/,
    );

    const violations = JSON.parse((await objects.getText(`${folder}/constraint_violations.json`)) as string);
    expect(violations.violations).toEqual([
      {
        metric_name: 'accuracy',
        constraint_check_type: 'LessThanThreshold',
        description: expect.stringMatching(
          /^Metric accuracy with 0\.\d+ \+\/- [\d.e-]+ was LessThanThreshold '0\.95'$/,
        ),
      },
    ]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      status: 'CompletedWithViolations',
      violationCount: 1,
      endpointName: 'ep',
    });
    expect(alerts[0]?.features).toEqual([
      { feature: 'accuracy', checks: ['LessThanThreshold'], flaggedBy: [] },
    ]);
    const published = metrics.find((x) => x.namespace === MODEL_METRICS_NAMESPACE);
    expect(published?.data.find((d) => d.MetricName === 'accuracy')?.Value).toBeCloseTo(
      binary.expected.metrics.accuracy?.value as number,
      12,
    );
    expect(published?.data[0]?.Dimensions).toEqual([
      { Name: 'Endpoint', Value: 'ep' },
      { Name: 'MonitoringSchedule', Value: 'quality' },
    ]);
  });

  it('complete without violations when the model meets its constraints, and without constraints', async () => {
    // A 2-hour look-back: the next hour's execution sees the same captures again.
    await call('CreateModelQualityJobDefinition', definition('plain', { start: '-PT3H' }));
    await call('CreateMonitoringSchedule', schedule('plain', 'plain'));
    await writeCaptures(
      binary.predicted.map((predicted, i) => ({ predicted, probability: binary.probability[i] as number })),
    );
    await writeLabels(
      binary.actual.map((label, i) => ({ id: `inf-${i}`, label })),
      new Date('2026-11-25T12:20:00Z'),
    );
    const result = await runDueSchedules(deps, TICK);
    expect(result.executions[0]?.status).toBe('Completed');
    expect(alerts).toEqual([]);

    // The next hour's report draws both executions over time, each with its interval.
    const later = new Date(TICK.getTime() + 3_600_000);
    const next = await runDueSchedules({ ...deps, now: () => later }, later);
    expect(next.executions[0]?.status, next.executions[0]?.failureReason).toBe('Completed');
    const html = (await objects.getText('s3://b/reports/ep/plain/2026/11/25/14/report.html')) as string;
    expect(html).toContain('2 executions of this schedule, oldest first');
    const accuracy = binary.expected.metrics.accuracy?.value as number;
    const drawn =
      [...html.matchAll(/<figure class="chart" data-metric="accuracy">.*?<\/figure>/gs)][0]?.[0] ?? '';
    expect([...drawn.matchAll(/data-value="([^"]+)"/g)].map((x) => Number(x[1]))).toEqual([
      accuracy,
      accuracy,
    ]);
  });

  it("write the execution's files with the job's KmsKeyId, and refuse a key the deployment may not use", async () => {
    const key = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    ctx = { ...ctx, allowedKmsKeys: [key] };
    const withKey = (name: string, KmsKeyId: string) => {
      const d = definition(name);
      return { ...d, ModelQualityJobOutputConfig: { ...d.ModelQualityJobOutputConfig, KmsKeyId } };
    };
    const refused = await call('CreateModelQualityJobDefinition', withKey('other', 'alias/elsewhere')).catch(
      (e: Error) => e,
    );
    expect(refused).toMatchObject({ type: 'ValidationException' });
    expect((refused as Error).message).toMatch(
      /ModelQualityJobOutputConfig.KmsKeyId 'alias\/elsewhere' is not one/,
    );
    await call('CreateModelQualityJobDefinition', withKey('sealed', key));
    await call('CreateMonitoringSchedule', schedule('sealed', 'sealed'));
    await writeCaptures([{ predicted: 1, probability: 0.9 }]);
    await writeLabels([{ id: 'inf-0', label: 1 }], new Date('2026-11-25T12:20:00Z'));
    const result = await runDueSchedules(deps, TICK);
    expect(result.executions[0]?.status).toBe('Completed');
    const folder = 's3://b/reports/ep/sealed/2026/11/25/13';
    for (const file of ['statistics.json', 'constraint_violations.json']) {
      expect(objects.objects.get(`${folder}/${file}`)?.kmsKeyId, file).toBe(key);
    }
  });

  it('score multiclass JSON output with its class probabilities: weighted AUC as scikit-learn', async () => {
    const d = definition('mc', { problemType: 'MulticlassClassification', inference: '$.predicted' });
    d.ModelQualityJobInput.EndpointInput.ProbabilityAttribute = '$.probabilities';
    await call('CreateModelQualityJobDefinition', d);
    await call('CreateMonitoringSchedule', schedule('mc', 'mc'));
    const lines = multiclass.predicted.map((predicted, i) =>
      JSON.stringify({
        captureData: {
          endpointInput: { observedContentType: 'text/csv', mode: 'INPUT', data: '1,2\n', encoding: 'CSV' },
          endpointOutput: {
            observedContentType: 'application/json',
            mode: 'OUTPUT',
            data: JSON.stringify({
              predicted,
              probabilities: Object.fromEntries(
                multiclass.classes.map((c, k) => [c, multiclass.probabilities[i]?.[k]]),
              ),
            }),
            encoding: 'JSON',
          },
        },
        eventMetadata: { eventId: `ev-${i}`, inferenceId: `inf-${i}`, inferenceTime: CAPTURED.toISOString() },
        eventVersion: '0',
      }),
    );
    await objects.putText(
      's3://b/captures/ep/main/2026/11/25/11/10-00-000-mc.jsonl',
      `${lines.join('\n')}\n`,
      'application/jsonlines',
    );
    await writeLabels(
      multiclass.actual.map((label, i) => ({ id: `inf-${i}`, label })),
      new Date('2026-11-25T12:20:00Z'),
    );
    const result = await runDueSchedules(deps, TICK);
    expect(result.executions[0]?.status, result.executions[0]?.failureReason).toBe('Completed');
    const statistics = JSON.parse(
      (await objects.getText('s3://b/reports/ep/mc/2026/11/25/13/statistics.json')) as string,
    );
    const m = statistics.multiclass_classification_metrics;
    expect(m.confusion_matrix).toEqual(multiclass.expected.confusion_matrix);
    expect(m.weighted_auc.value).toBeCloseTo(multiclass.expected.weighted_auc, 10);
  });

  it('leave labels of the wrong type out, counted and named, and fail only when no label is left', async () => {
    await call('CreateModelQualityJobDefinition', definition('typed'));
    await call('CreateMonitoringSchedule', schedule('typed', 'typed'));
    await writeCaptures([
      { predicted: 1, probability: 0.9 },
      { predicted: 0, probability: 0.2 },
      { predicted: 1, probability: 0.7 },
    ]);
    await writeLabels(
      [
        { id: 'inf-0', label: 1 },
        { id: 'inf-1', label: 0 },
        { id: 'inf-2', label: 'maybe' },
      ],
      new Date('2026-11-25T12:20:00Z'),
    );
    const result = await runDueSchedules(deps, TICK);
    expect(result.executions[0]?.status, result.executions[0]?.failureReason).toBe('Completed');
    const execution = await onlyExecution('typed');
    expect(execution.ExitMessage).toContain(
      'Ground truth: 2 labelled, 0 unlabelled captures, 0 labels without capture, 0 replaced labels, 0 malformed label lines, 1 labels of the wrong type for BinaryClassification (e.g. ev-2: "maybe")',
    );
    const folder = 's3://b/reports/ep/typed/2026/11/25/13';
    const statistics = JSON.parse((await objects.getText(`${folder}/statistics.json`)) as string);
    expect(statistics.dataset.item_count).toBe(2);
    expect(await objects.getText(`${folder}/report.html`)).toContain(
      '<dt>Labels of the wrong type (left out)</dt><dd>1</dd>',
    );

    await call('CreateMonitoringSchedule', schedule('untyped', 'typed'));
    await writeLabels(
      [0, 1, 2].map((i) => ({ id: `inf-${i}`, label: 'cat' })),
      new Date('2026-11-25T12:40:00Z'),
    );
    const failed = await runDueSchedules(deps, TICK);
    expect(failed.executions.find((e) => e.schedule === 'untyped')?.failureReason).toMatch(
      /^None of the 3 labels joined to captures .* is a label ProblemType BinaryClassification can read: 0 labelled, .* 3 labels of the wrong type/,
    );
  });

  it('fail the execution with a clear reason when the problem type does not match the output', async () => {
    // The inference attribute points at the probability column: not a binary label.
    await call('CreateModelQualityJobDefinition', definition('wrong', { inference: '1' }));
    await call('CreateMonitoringSchedule', schedule('wrong', 'wrong'));
    await writeCaptures([{ predicted: 1, probability: 0.73 }]);
    await writeLabels([{ id: 'inf-0', label: 1 }], new Date('2026-11-25T12:20:00Z'));
    const result = await runDueSchedules(deps, TICK);
    expect(result.executions[0]).toMatchObject({
      status: 'Failed',
      failureReason: expect.stringMatching(
        /^ProblemType BinaryClassification does not match the model's output: the prediction of event ev-0 is "0.73"/,
      ),
    });
  });

  it('fail with the join counts when no label has arrived, and refuse schedules naming no model-quality definition', async () => {
    await call('CreateModelQualityJobDefinition', definition('mq'));
    await call('CreateMonitoringSchedule', schedule('early', 'mq'));
    await writeCaptures([{ predicted: 1, probability: 0.9 }]);
    const result = await runDueSchedules(deps, TICK);
    expect(result.executions[0]?.failureReason).toMatch(
      /has ground truth .* yet: 0 labelled, 1 unlabelled captures/,
    );
    const error = await call('CreateMonitoringSchedule', schedule('none', 'missing')).catch((e: Error) => e);
    expect((error as { type?: string }).type).toBe('ValidationException');
    expect((error as Error).message).toMatch(/Model quality job definition missing does not exist/);
    await expect(call('DeleteModelQualityJobDefinition', { JobDefinitionName: 'mq' })).rejects.toMatchObject({
      type: 'ResourceInUse',
    });
  });
});
