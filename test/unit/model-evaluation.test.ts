import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../lambdas/control/control-plane.js';
import { OfflineEvaluator } from '../../lambdas/domain/evaluation/offline-evaluation.js';
import { onlineWorsePValue } from '../../lambdas/domain/evaluation/online-vs-offline.js';
import { pairOnLabels } from '../../lambdas/domain/evaluation/shadow-pairing.js';
import { EndpointPackageUsage } from '../../lambdas/domain/hosting/package-usage.js';
import type { ControlContext } from '../../lambdas/domain/kernel/context.js';
import { type MonitorDeps, runDueSchedules } from '../../lambdas/domain/model-monitor/runner.js';
import {
  type CapturedPrediction,
  groundTruthKey,
  groundTruthRecord,
} from '../../lambdas/domain/model-quality/ground-truth.js';
import type { Metric } from '../../lambdas/domain/model-quality/metrics.js';
import { onnxModelProbe } from '../../lambdas/shared/model-probe.js';
import { errorOf } from '../support/api-error.js';
import { InMemoryObjectStore } from '../support/in-memory-object-store.js';
import { InMemoryRegistryStore } from '../support/in-memory-registry-store.js';
import { fixture, MemoryArtifactSource } from '../support/models.js';

/** scipy / statsmodels / scikit-learn values (scripts/fixtures/offline-evaluation-reference.py). */
const reference = JSON.parse(
  readFileSync(new URL('../fixtures/evaluation/offline-evaluation.json', import.meta.url), 'utf8'),
) as {
  binary: { model: string; dataset: string; metrics: Record<string, number> };
  significance: { offline: number[]; online: number[]; better: 'higher' | 'lower'; p: number }[];
  shadow: {
    labels: number[];
    production: number[];
    shadow: number[];
    mcnemar_p: number;
    production_accuracy: number;
    shadow_accuracy: number;
    values: number[];
    production_values: number[];
    shadow_values: number[];
    ttest_p: number;
  };
};

const metric = ([value, lower, upper]: number[]): Metric => ({
  value: value as number,
  standard_deviation: 'NaN',
  confidence_interval: {
    lower: lower as number,
    upper: upper as number,
    confidence_level: 0.95,
    method: 'bootstrap_percentile',
  },
});

describe('online against offline', () => {
  it("is scipy's one-sided z-test on two independent estimates, standard errors from their intervals", () => {
    for (const c of reference.significance) {
      expect(onlineWorsePValue(metric(c.offline), metric(c.online), c.better)).toBeCloseTo(c.p, 10);
    }
  });
});

const captured = (predictions: readonly unknown[]): CapturedPrediction<unknown>[] =>
  predictions.map((prediction, i) => ({ eventId: `ev-${i}`, inferenceId: `inf-${i}`, prediction }));
const labelFiles = (labels: readonly unknown[]) => [
  {
    key: '2026/12/02/12/00-00-000-a.jsonl',
    text: labels.map((l, i) => JSON.stringify(groundTruthRecord(`inf-${i}`, l as number))).join('\n'),
  },
];

describe('shadow against production on the same labelled events', () => {
  const s = reference.shadow;
  it("classification: statsmodels' McNemar p-value, a better shadow Better, an identical one not different", () => {
    const better = pairOnLabels(
      'BinaryClassification',
      captured(s.production),
      captured(s.shadow),
      labelFiles(s.labels),
    );
    expect(better.pairedEvents).toBe(s.labels.length);
    expect(better.comparison.pValue).toBeCloseTo(s.mcnemar_p, 12);
    expect(better.comparison.verdict).toBe('Better');
    expect(better.comparison).toMatchObject({
      productionAccuracy: s.production_accuracy,
      shadowAccuracy: s.shadow_accuracy,
    });
    const same = pairOnLabels(
      'BinaryClassification',
      captured(s.production),
      captured(s.production.map(String)),
      labelFiles(s.labels),
    );
    expect(same.comparison.verdict).toBe('NoSignificantDifference');
    // Events only one side captured are counted, not paired.
    const partial = pairOnLabels(
      'BinaryClassification',
      captured(s.production),
      captured(s.shadow.slice(0, 100)),
      labelFiles(s.labels),
    );
    expect([partial.pairedEvents, partial.unpairedEvents]).toEqual([100, s.labels.length - 100]);
  });

  it("regression: scipy's paired t-test on the squared-error differences", () => {
    const paired = pairOnLabels(
      'Regression',
      captured(s.production_values),
      captured(s.shadow_values),
      labelFiles(s.values),
    );
    expect(paired.comparison.pValue / s.ttest_p).toBeCloseTo(1, 6);
    expect(paired.comparison.verdict).toBe('Better');
  });
});

// biome-ignore lint/suspicious/noExplicitAny: the answer's JSON, read field by field by the assertions.
type JsonView = Record<string, any>;

describe('Understudy.DescribeModelEvaluation', () => {
  let ctx: ControlContext;
  let objects: InMemoryObjectStore;
  let deps: MonitorDeps;
  const call = (op: string, input: unknown) => dispatch(ctx, op, input) as Promise<Record<string, unknown>>;
  const TICK = new Date('2026-12-02T13:00:30Z');
  const CAPTURED = new Date('2026-12-02T11:10:00Z');
  const rows = reference.binary.dataset
    .trim()
    .split('\n')
    .map((line) => line.split(','));

  beforeEach(async () => {
    const artifacts = new MemoryArtifactSource();
    artifacts.put(`s3://models/${reference.binary.model}`, fixture(reference.binary.model));
    artifacts.put('s3://models/lightgbm.onnx', fixture('classifier-lightgbm.onnx'));
    objects = new InMemoryObjectStore();
    await objects.putText('s3://data/binary.csv', reference.binary.dataset, 'text/csv');
    const store = new InMemoryRegistryStore();
    ctx = {
      store,
      packageUsage: new EndpointPackageUsage(store),
      artifacts,
      objects,
      models: onnxModelProbe,
      packageEvaluation: new OfflineEvaluator({ objects, artifacts }),
      region: 'us-east-1',
      accountId: '123456789012',
      caller: { accessKeyId: 'AKUSTEST', role: 'admin' },
      now: () => new Date('2026-12-02T10:00:00Z'),
    };
    deps = { store, objects, now: () => TICK };
  });

  async function registerAndServe() {
    await call('CreateModelPackageGroup', { ModelPackageGroupName: 'churn' });
    const { ModelPackageArn } = await call('CreateModelPackage', {
      ModelPackageGroupName: 'churn',
      ModelApprovalStatus: 'Approved',
      InferenceSpecification: {
        Containers: [{ Image: 'understudy', ModelDataUrl: `s3://models/${reference.binary.model}` }],
      },
      ValidationSpecification: {
        ValidationRole: 'arn:aws:iam::123456789012:role/understudy',
        ValidationProfiles: [
          {
            ProfileName: 'holdout',
            TransformJobDefinition: {
              Environment: { problem_type: 'BinaryClassification' },
              TransformInput: {
                DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://data/binary.csv' } },
              },
              TransformOutput: { S3OutputPath: 's3://data/evaluations' },
              TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
            },
          },
        ],
      },
    });
    await call('CreateModel', { ModelName: 'm', PrimaryContainer: { ModelPackageName: ModelPackageArn } });
    await call('CreateModel', {
      ModelName: 'candidate',
      PrimaryContainer: { ModelDataUrl: 's3://models/lightgbm.onnx' },
    });
    await call('CreateEndpointConfig', {
      EndpointConfigName: 'c',
      ProductionVariants: [{ VariantName: 'main', ModelName: 'm' }],
      ShadowProductionVariants: [{ VariantName: 'shadow', ModelName: 'candidate' }],
      DataCaptureConfig: {
        InitialSamplingPercentage: 100,
        DestinationS3Uri: 's3://b/captures',
        CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
      },
    });
    await call('CreateEndpoint', { EndpointName: 'ep', EndpointConfigName: 'c' });
    return ModelPackageArn as string;
  }

  /** One capture per event, as the endpoint answers in JSON; inference ids `inf-{i}`. */
  async function writeCaptures(variant: string, predictions: readonly number[]) {
    const lines = predictions.map((p, i) =>
      JSON.stringify({
        captureData: {
          endpointInput: {
            observedContentType: 'text/csv',
            mode: 'INPUT',
            data: '1,2,3,4\n',
            encoding: 'CSV',
          },
          endpointOutput: {
            observedContentType: 'application/json',
            mode: 'OUTPUT',
            data: JSON.stringify({ predictions: [p], outputs: { label: [p] } }),
            encoding: 'JSON',
          },
        },
        eventMetadata: { eventId: `ev-${i}`, inferenceId: `inf-${i}`, inferenceTime: CAPTURED.toISOString() },
        eventVersion: '0',
      }),
    );
    await objects.putText(
      `s3://b/captures/ep/${variant}/2026/12/02/11/10-00-000-${variant}.jsonl`,
      `${lines.join('\n')}\n`,
      'application/jsonlines',
    );
  }

  async function writeLabels(labels: readonly number[]) {
    const key = groundTruthKey('ground-truth', 'ep', new Date('2026-12-02T12:20:00Z'), 'late');
    const body = labels.map((l, i) => JSON.stringify(groundTruthRecord(`inf-${i}`, l))).join('\n');
    await objects.putText(`s3://b/${key}`, `${body}\n`, 'application/jsonlines');
  }

  it('shows offline next to online windows, flags a worse window, and pairs the shadow', async () => {
    const packageArn = await registerAndServe();
    // No baseline given: the package's offline constraints become the definition's.
    await call('CreateModelQualityJobDefinition', {
      JobDefinitionName: 'mq',
      ModelQualityAppSpecification: {
        ImageUri: 'model-monitor-analyzer',
        ProblemType: 'BinaryClassification',
      },
      ModelQualityJobInput: {
        EndpointInput: {
          EndpointName: 'ep',
          LocalPath: '/opt/ml/processing/input',
          InferenceAttribute: 'predictions',
          StartTimeOffset: '-PT2H',
          EndTimeOffset: '-PT1H',
        },
        GroundTruthS3Input: { S3Uri: 's3://b/ground-truth' },
      },
      ModelQualityJobOutputConfig: {
        MonitoringOutputs: [
          { S3Output: { S3Uri: 's3://b/reports', LocalPath: '/opt/ml/processing/output' } },
        ],
      },
      JobResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 20 } },
      RoleArn: 'arn:aws:iam::123456789012:role/monitor',
    });
    const pkg = (await call('DescribeModelPackage', { ModelPackageName: packageArn })) as {
      ModelMetrics: { ModelQuality: { Statistics: { S3Uri: string }; Constraints: { S3Uri: string } } };
    };
    const definition = await call('DescribeModelQualityJobDefinition', { JobDefinitionName: 'mq' });
    expect(definition.ModelQualityBaselineConfig).toEqual({
      ConstraintsResource: { S3Uri: pkg.ModelMetrics.ModelQuality.Constraints.S3Uri },
    });
    await call('CreateMonitoringSchedule', {
      MonitoringScheduleName: 'quality',
      MonitoringScheduleConfig: {
        ScheduleConfig: { ScheduleExpression: 'cron(0 * ? * * *)' },
        MonitoringJobDefinitionName: 'mq',
        MonitoringType: 'ModelQuality',
      },
    });

    // Live: the same 300 rows' labels, production right on only 60% of them; the shadow right
    // wherever production is, and on half its mistakes besides.
    const labels = rows.map((r) => Number(r[0]));
    const production = labels.map((l, i) => (i % 5 < 3 ? l : 1 - l));
    const shadow = labels.map((l, i) => (i % 5 < 3 || i % 10 === 3 ? l : 1 - l));
    await writeCaptures('main', production);
    await writeCaptures('shadow', shadow);
    await writeLabels(labels);
    await runDueSchedules(deps, TICK);

    const evaluation = (await call('Understudy.DescribeModelEvaluation', {
      ModelPackageArn: packageArn,
      ShadowWindowStart: Date.parse('2026-12-02T11:00:00Z') / 1000,
      ShadowWindowEnd: Date.parse('2026-12-02T12:00:00Z') / 1000,
    })) as { ModelPackages: JsonView[] };
    const [view] = evaluation.ModelPackages as [JsonView];
    expect(view.ModelPackageArn).toBe(packageArn);
    expect(view.ProblemType).toBe('BinaryClassification');
    expect(view.Offline.LabelledEvents).toBe(300);
    expect(view.Offline.Metrics.accuracy.Value).toBeCloseTo(reference.binary.metrics.accuracy as number, 12);
    const [endpoint] = view.Endpoints;
    expect(endpoint).toMatchObject({ EndpointName: 'ep', VariantNames: ['main'], Comparable: true });
    const [window] = endpoint.Windows;
    expect(window).toMatchObject({
      MonitoringScheduleName: 'quality',
      DataAnalysisStartTime: '2026-12-02T11:00:00.000Z',
      DataAnalysisEndTime: '2026-12-02T12:00:00.000Z',
      // The offline constraints were the default baseline: 0.6 is below accuracy's lower bound.
      MonitoringExecutionStatus: 'CompletedWithViolations',
      LabelledEvents: 300,
      SignificantlyWorseThanOffline: true,
    });
    expect(window.Metrics.accuracy.Value).toBeCloseTo(0.6, 12);
    const accuracy = window.ComparedWithOffline.find((c: { Metric: string }) => c.Metric === 'accuracy');
    expect(accuracy).toMatchObject({ SignificantlyWorse: true });
    expect(accuracy.Difference).toBeCloseTo(0.6 - (reference.binary.metrics.accuracy as number), 12);

    const [paired] = endpoint.Shadows;
    expect(paired).toMatchObject({
      ProductionVariantName: 'main',
      ShadowVariantName: 'shadow',
      LabelledEventsPaired: 300,
      LabelledEventsUnpaired: 0,
      ProductionAccuracy: 0.6,
      ShadowAccuracy: 0.7,
      Verdict: 'Better',
    });
    expect(paired.Test).toMatch(/McNemar/);

    // By endpoint: the same view of the package it serves.
    const byEndpoint = (await call('Understudy.DescribeModelEvaluation', { EndpointName: 'ep' })) as {
      ModelPackages: { ModelPackageArn: string }[];
    };
    expect(byEndpoint.ModelPackages.map((p) => p.ModelPackageArn)).toEqual([packageArn]);
  });

  it('refuses both or neither of ModelPackageArn and EndpointName, and unknown ones', async () => {
    for (const input of [
      {},
      { ModelPackageArn: 'arn:aws:sagemaker:us-east-1:123456789012:model-package/x/1', EndpointName: 'ep' },
    ]) {
      expect((await errorOf(call('Understudy.DescribeModelEvaluation', input))).type).toBe(
        'ValidationException',
      );
    }
    const unknown = await errorOf(
      call('Understudy.DescribeModelEvaluation', {
        ModelPackageArn: 'arn:aws:sagemaker:us-east-1:123456789012:model-package/nothing/1',
      }),
    );
    expect(unknown.message).toMatch(/does not exist/);
  });
});
