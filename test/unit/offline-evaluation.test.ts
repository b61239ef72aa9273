import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../lambdas/control/control-plane.js';
import { OfflineEvaluator } from '../../lambdas/domain/evaluation/offline-evaluation.js';
import { EndpointPackageUsage } from '../../lambdas/domain/hosting/package-usage.js';
import type { ControlContext } from '../../lambdas/domain/kernel/context.js';
import { COLLECTIONS } from '../../lambdas/domain/kernel/records.js';
import { onnxModelProbe } from '../../lambdas/shared/model-probe.js';
import { errorOf } from '../support/api-error.js';
import { InMemoryObjectStore } from '../support/in-memory-object-store.js';
import { InMemoryRegistryStore } from '../support/in-memory-registry-store.js';
import { fixture, MemoryArtifactSource } from '../support/models.js';

/** scikit-learn's metrics on labelled datasets (scripts/fixtures/offline-evaluation-reference.py). */
const reference = JSON.parse(
  readFileSync(
    path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/evaluation/offline-evaluation.json'),
    'utf8',
  ),
) as {
  binary: {
    model: string;
    dataset: string;
    rows: number;
    metrics: Record<string, number>;
    weighted: Record<string, number>;
    confusion_matrix: Record<string, Record<string, number>>;
  };
  regression: { model: string; dataset: string; rows: number; metrics: Record<string, number> };
};

let ctx: ControlContext;
let objects: InMemoryObjectStore;
let store: InMemoryRegistryStore;
const call = (op: string, input: unknown) => dispatch(ctx, op, input) as Promise<Record<string, unknown>>;

beforeEach(async () => {
  const artifacts = new MemoryArtifactSource();
  for (const name of [reference.binary.model, reference.regression.model]) {
    artifacts.put(`s3://models/${name}`, fixture(name));
  }
  objects = new InMemoryObjectStore();
  await objects.putText('s3://data/binary.csv', reference.binary.dataset, 'text/csv');
  await objects.putText('s3://data/regression.csv', reference.regression.dataset, 'text/csv');
  store = new InMemoryRegistryStore();
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
    now: () => new Date('2026-12-02T07:00:00Z'),
  };
  await call('CreateModelPackageGroup', { ModelPackageGroupName: 'churn' });
});

function validation(dataset: string, environment: Record<string, string>) {
  return {
    ValidationRole: 'arn:aws:iam::123456789012:role/understudy',
    ValidationProfiles: [
      {
        ProfileName: 'offline-evaluation',
        TransformJobDefinition: {
          Environment: environment,
          TransformInput: {
            DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: dataset } },
            ContentType: 'text/csv',
          },
          TransformOutput: { S3OutputPath: 's3://data/evaluations' },
          TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
        },
      },
    ],
  };
}

const register = (model: string, dataset: string, environment: Record<string, string>) =>
  call('CreateModelPackage', {
    ModelPackageGroupName: 'churn',
    InferenceSpecification: {
      Containers: [{ Image: 'understudy', ModelDataUrl: `s3://models/${model}` }],
      SupportedContentTypes: ['text/csv'],
      SupportedResponseMIMETypes: ['application/json'],
    },
    ValidationSpecification: validation(dataset, environment),
  });

async function statisticsOf(arn: unknown) {
  const described = (await call('DescribeModelPackage', { ModelPackageName: arn })) as {
    ModelMetrics: { ModelQuality: { Statistics: { S3Uri: string }; Constraints: { S3Uri: string } } };
    ModelPackageStatusDetails: unknown;
  };
  const { Statistics, Constraints } = described.ModelMetrics.ModelQuality;
  return {
    described,
    statistics: JSON.parse((await objects.getText(Statistics.S3Uri)) as string),
    constraints: JSON.parse((await objects.getText(Constraints.S3Uri)) as string),
  };
}

describe('offline evaluation at registration', () => {
  it("runs the model on the dataset and records scikit-learn's binary metrics as ModelMetrics.ModelQuality", async () => {
    const { ModelPackageArn } = await register(reference.binary.model, 's3://data/binary.csv', {
      problem_type: 'BinaryClassification',
    });
    const { described, statistics, constraints } = await statisticsOf(ModelPackageArn);
    expect(described.ModelPackageStatusDetails).toEqual({
      ValidationStatuses: [
        { Name: 'onnx-load', Status: 'Completed' },
        { Name: 'offline-evaluation', Status: 'Completed' },
      ],
    });
    expect(described.ModelMetrics.ModelQuality.Statistics).toMatchObject({
      ContentType: 'application/json',
      ContentDigest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
    });
    expect(statistics.dataset.item_count).toBe(reference.binary.rows);
    const metrics = statistics.binary_classification_metrics;
    expect(metrics.confusion_matrix).toEqual(reference.binary.confusion_matrix);
    for (const [name, value] of Object.entries(reference.binary.metrics)) {
      // Probabilities are float32 in ONNX and rounded to 6 places in the reference.
      expect(metrics[name].value, name).toBeCloseTo(value, name === 'auc' || name === 'au_prc' ? 3 : 12);
    }
    // 300 rows ≥ 200: SageMaker's subsample deviation, and Understudy's interval around the value.
    expect(metrics.accuracy.standard_deviation).toBeTypeOf('number');
    expect(metrics.accuracy.confidence_interval.lower).toBeLessThan(metrics.accuracy.value);
    // The suggested constraint is the interval's lower end, SageMaker's operator.
    expect(constraints.binary_classification_constraints.accuracy).toEqual({
      threshold: metrics.accuracy.confidence_interval.lower,
      comparison_operator: 'LessThanThreshold',
    });
  });

  it("records scikit-learn's regression metrics, the label column named by a header", async () => {
    const lines = reference.regression.dataset.trim().split('\n');
    const width = (lines[0] as string).split(',').length;
    // The label moved to the last column and named: ground_truth_attribute by name.
    const moved = lines.map((line) => {
      const [label, ...features] = line.split(',');
      return [...features, label].join(',');
    });
    const header = [...Array.from({ length: width - 1 }, (_, i) => `x${i}`), 'price'].join(',');
    await objects.putText('s3://data/with-header.csv', `${header}\n${moved.join('\n')}\n`, 'text/csv');
    const { ModelPackageArn } = await register(reference.regression.model, 's3://data/with-header.csv', {
      problem_type: 'Regression',
      dataset_format: '{"csv": {"header": true}}',
      ground_truth_attribute: 'price',
    });
    const { statistics, constraints } = await statisticsOf(ModelPackageArn);
    expect(statistics.dataset.item_count).toBe(reference.regression.rows);
    for (const [name, value] of Object.entries(reference.regression.metrics)) {
      expect(statistics.regression_metrics[name].value / value, name).toBeCloseTo(1, 5);
    }
    expect(constraints.regression_constraints.rmse.comparison_operator).toBe('GreaterThanThreshold');
    expect(constraints.regression_constraints.rmse.threshold).toBeGreaterThan(
      statistics.regression_metrics.rmse.value,
    );
  });

  it("scores the classes as MulticlassClassification with scikit-learn's weighted averages", async () => {
    const { ModelPackageArn } = await register(reference.binary.model, 's3://data/binary.csv', {
      problem_type: 'MulticlassClassification',
    });
    const { statistics } = await statisticsOf(ModelPackageArn);
    const metrics = statistics.multiclass_classification_metrics;
    for (const [name, value] of Object.entries(reference.binary.weighted)) {
      expect(metrics[name].value, name).toBeCloseTo(value, 12);
    }
  });

  it('reads the output inference_attribute names, and refuses a name the model lacks', async () => {
    const { ModelPackageArn } = await register(reference.regression.model, 's3://data/regression.csv', {
      problem_type: 'Regression',
      inference_attribute: 'variable',
    });
    const { statistics } = await statisticsOf(ModelPackageArn);
    expect(
      statistics.regression_metrics.mae.value / (reference.regression.metrics.mae as number),
    ).toBeCloseTo(1, 5);
    const error = await errorOf(
      register(reference.regression.model, 's3://data/regression.csv', {
        problem_type: 'Regression',
        inference_attribute: 'score',
      }),
    );
    expect(error.message).toMatch(/The model has no output 'score' .* it has variable/);
  });

  describe('refuses bad input and registers nothing', () => {
    async function refused(
      model: string,
      dataset: string,
      environment: Record<string, string>,
      message: RegExp,
    ) {
      const error = await errorOf(register(model, dataset, environment));
      expect(error.type).toBe('ValidationException');
      expect(error.message).toMatch(message);
      expect(await store.list(COLLECTIONS.modelPackage)).toEqual([]);
      expect([...objects.objects.keys()].filter((k) => k.includes('evaluations'))).toEqual([]);
    }

    it('a dataset whose columns do not match the model input', async () => {
      const short = reference.binary.dataset
        .split('\n')
        .map((line) => line.split(',').slice(0, 4).join(','))
        .join('\n');
      await objects.putText('s3://data/short.csv', short, 'text/csv');
      await refused(
        reference.binary.model,
        's3://data/short.csv',
        { problem_type: 'BinaryClassification' },
        /does not fit the model's input .*line 1: the model expects 4 features, got 3/,
      );
    });

    it('a missing label column', async () => {
      await refused(
        reference.binary.model,
        's3://data/binary.csv',
        { problem_type: 'BinaryClassification', ground_truth_attribute: '7' },
        /Line 1 .* has 5 columns: the label column .* is missing/,
      );
      await refused(
        reference.binary.model,
        's3://data/binary.csv',
        { problem_type: 'BinaryClassification', dataset_format: '{"csv": {"header": true}}' },
        /no label column '0'/,
      );
    });

    it('a problem type that does not match the model output', async () => {
      await refused(
        reference.regression.model,
        's3://data/regression.csv',
        { problem_type: 'BinaryClassification' },
        /ProblemType BinaryClassification does not match the model's output: .* make it a regressor/,
      );
      await refused(
        reference.binary.model,
        's3://data/binary.csv',
        { problem_type: 'Regression' },
        /ProblemType Regression does not match the model's output: .* make it a classifier/,
      );
    });

    it('labels of the wrong type, an unknown problem type, a missing dataset', async () => {
      await refused(
        reference.binary.model,
        's3://data/regression.csv',
        { problem_type: 'BinaryClassification' },
        /The label of .*line 1 of s3:\/\/data\/regression.csv is .*BinaryClassification needs 0 or 1/,
      );
      await refused(
        reference.binary.model,
        's3://data/binary.csv',
        { problem_type: 'Ranking' },
        /problem_type must be one of BinaryClassification, MulticlassClassification, Regression/,
      );
      await refused(
        reference.binary.model,
        's3://data/nothing.csv',
        { problem_type: 'BinaryClassification' },
        /does not exist/,
      );
    });

    it('class names the model never predicts', async () => {
      const named = reference.binary.dataset.replace(/^1,/gm, 'yes,').replace(/^0,/gm, 'no,');
      await objects.putText('s3://data/named.csv', named, 'text/csv');
      await refused(
        reference.binary.model,
        's3://data/named.csv',
        { problem_type: 'MulticlassClassification' },
        /predicted classes \(0, 1\) share none with the labels .* \(no, yes\)/,
      );
    });

    it('ModelMetrics.ModelQuality given beside a ValidationSpecification', async () => {
      const error = await errorOf(
        call('CreateModelPackage', {
          ModelPackageGroupName: 'churn',
          InferenceSpecification: {
            Containers: [{ Image: 'understudy', ModelDataUrl: `s3://models/${reference.binary.model}` }],
          },
          ModelMetrics: {
            ModelQuality: { Statistics: { ContentType: 'application/json', S3Uri: 's3://data/binary.csv' } },
          },
          ValidationSpecification: validation('s3://data/binary.csv', {
            problem_type: 'BinaryClassification',
          }),
        }),
      );
      expect(error.message).toMatch(/not both/);
      expect(await store.list(COLLECTIONS.modelPackage)).toEqual([]);
    });
  });
});
