/**
 * Training jobs against the in-memory registry and object store: the API's checks (nothing
 * recorded on bad input), the run to Completed with the artifact, metrics and registration,
 * and the limits (memory, MaxRuntimeInSeconds, StopTrainingJob).
 */
import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../lambdas/control/control-plane.js';
import { unpackArtifact } from '../../lambdas/domain/kernel/artifact.js';
import type { ControlContext } from '../../lambdas/domain/kernel/context.js';
import type { TrainingJobMessage } from '../../lambdas/domain/kernel/ports.js';
import { COLLECTIONS } from '../../lambdas/domain/kernel/records.js';
import {
  countValues,
  runTrainingJob,
  type TrainingRunDeps,
} from '../../lambdas/domain/training/training-jobs.js';
import { onnxModelProbe } from '../../lambdas/shared/model-probe.js';
import { errorOf } from '../support/api-error.js';
import { InMemoryObjectStore } from '../support/in-memory-object-store.js';
import { InMemoryRegistryStore } from '../support/in-memory-registry-store.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/training/${name}.csv`, import.meta.url), 'utf8');
const IMAGE = '382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1';

let store: InMemoryRegistryStore;
let objects: InMemoryObjectStore;
let sent: TrainingJobMessage[];
let ctx: ControlContext;
let deps: TrainingRunDeps;

const call = (op: string, input: unknown) => dispatch(ctx, op, input) as Promise<Record<string, unknown>>;

function request(name: string, overrides: Record<string, unknown> = {}) {
  return {
    TrainingJobName: name,
    AlgorithmSpecification: { TrainingImage: IMAGE, TrainingInputMode: 'File' },
    RoleArn: 'arn:aws:iam::123456789012:role/unused',
    HyperParameters: {
      predictor_type: 'multiclass_classifier',
      num_classes: '3',
      epochs: '20',
      mini_batch_size: '32',
    },
    InputDataConfig: [
      {
        ChannelName: 'train',
        DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://b/penguins/train' } },
        ContentType: 'text/csv',
      },
      {
        ChannelName: 'validation',
        DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://b/penguins/validation' } },
        ContentType: 'text/csv',
      },
    ],
    OutputDataConfig: { S3OutputPath: 's3://b/output' },
    ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 10 },
    StoppingCondition: { MaxRuntimeInSeconds: 600 },
    ...overrides,
  };
}

const run = async () => Promise.all(sent.splice(0).map((m) => runTrainingJob(deps, m.TrainingJobName)));

beforeEach(async () => {
  store = new InMemoryRegistryStore();
  objects = new InMemoryObjectStore(['b']);
  sent = [];
  await objects.putText('s3://b/penguins/train/part-0.csv', fixture('penguins-train'), 'text/csv');
  await objects.putText('s3://b/penguins/validation/part-0.csv', fixture('penguins-validation'), 'text/csv');
  ctx = {
    store,
    objects,
    artifacts: { fetch: async (uri) => objects.binaries.get(uri) ?? Promise.reject(new Error(`no ${uri}`)) },
    models: onnxModelProbe,
    training: { send: async (m) => void sent.push(m) },
    region: 'us-east-1',
    accountId: '123456789012',
    caller: { accessKeyId: 'AKUSTEST', role: 'admin' },
    now: () => new Date(),
  };
  deps = {
    store,
    objects,
    limits: { memoryMb: 10240, timeoutSeconds: 900 },
    now: () => new Date(),
    registrar: () => ctx,
    pollMs: 10,
  };
});

describe('CreateTrainingJob', () => {
  it('answers at once; the training function runs it to Completed with model.tar.gz, metrics and transitions', async () => {
    const { TrainingJobArn } = await call('CreateTrainingJob', request('penguins'));
    expect(TrainingJobArn).toBe('arn:aws:sagemaker:us-east-1:123456789012:training-job/penguins');
    expect((await call('DescribeTrainingJob', { TrainingJobName: 'penguins' })).TrainingJobStatus).toBe(
      'InProgress',
    );
    expect(await run()).toEqual(['Completed']);
    const job = await call('DescribeTrainingJob', { TrainingJobName: 'penguins' });
    expect(job).toMatchObject({
      TrainingJobStatus: 'Completed',
      SecondaryStatus: 'Completed',
      ModelArtifacts: { S3ModelArtifacts: 's3://b/output/penguins/output/model.tar.gz' },
    });
    expect((job.SecondaryStatusTransitions as { Status: string }[]).map((t) => t.Status)).toEqual([
      'Starting',
      'Downloading',
      'Training',
      'Uploading',
      'Completed',
    ]);
    const names = (job.FinalMetricDataList as { MetricName: string }[]).map((m) => m.MetricName);
    expect(names).toContain('validation:multiclass_accuracy');
    expect(job.BillableTimeInSeconds).toBeGreaterThanOrEqual(1);
    const onnx = await unpackArtifact(
      objects.binaries.get('s3://b/output/penguins/output/model.tar.gz') ?? new Uint8Array(),
    );
    await expect(onnxModelProbe.check(onnx)).resolves.toBeUndefined();
    const listed = await call('ListTrainingJobs', { StatusEquals: 'Completed' });
    expect(
      (listed.TrainingJobSummaries as { TrainingJobName: string }[]).map((s) => s.TrainingJobName),
    ).toEqual(['penguins']);
  });

  it('with ModelPackageConfig registers a version carrying the metrics and the train channel’s baseline', async () => {
    await call('CreateModelPackageGroup', { ModelPackageGroupName: 'penguins' });
    const group = 'arn:aws:sagemaker:us-east-1:123456789012:model-package-group/penguins';
    await call(
      'CreateTrainingJob',
      request('registered', { ModelPackageConfig: { ModelPackageGroupArn: group } }),
    );
    expect(await run()).toEqual(['Completed']);
    const job = await call('DescribeTrainingJob', { TrainingJobName: 'registered' });
    const pkg = await call('DescribeModelPackage', { ModelPackageName: job.OutputModelPackageArn });
    expect(pkg.CustomerMetadataProperties).toMatchObject({ TrainingJobArn: job.TrainingJobArn });
    const metrics = pkg.ModelMetrics as { ModelDataQuality: { Statistics: { S3Uri: string } } };
    const statistics = JSON.parse((await objects.getText(metrics.ModelDataQuality.Statistics.S3Uri)) ?? '{}');
    expect(statistics.dataset.item_count).toBe(fixture('penguins-train').trim().split('\n').length);
    expect(statistics.features).toHaveLength(4);
  });

  it.each([
    [
      {
        AlgorithmSpecification: {
          TrainingImage: '1.dkr.ecr.eu-west-1.amazonaws.com/my-container:latest',
          TrainingInputMode: 'File',
        },
      },
      /not a SageMaker built-in algorithm image.*linear-learner/,
    ],
    [
      {
        InputDataConfig: [
          {
            ChannelName: 'validation',
            DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://b/v' } },
          },
        ],
      },
      /needs a channel named train/,
    ],
    [{ HyperParameters: { predictor_type: 'ranker' } }, /predictor_type='ranker'/],
    [{ HyperParameters: { predictor_type: 'regressor', epochs: '-3' } }, /epochs='-3'/],
    [{ OutputDataConfig: { S3OutputPath: 's3://nobucket/out' } }, /bucket of the output path/],
    [
      {
        ModelPackageConfig: {
          ModelPackageGroupArn: 'arn:aws:sagemaker:us-east-1:123456789012:model-package-group/none',
        },
      },
      /no such model package group/,
    ],
  ])('refuses %j with a ValidationException, recording nothing', async (overrides, message) => {
    const error = await errorOf(call('CreateTrainingJob', request('bad', overrides)));
    expect([error.type, error.message]).toEqual(['ValidationException', expect.stringMatching(message)]);
    expect(await store.list(COLLECTIONS.trainingJob)).toEqual([]);
    expect(sent).toEqual([]);
  });

  it('recognises SageMaker’s image URIs for its built-in algorithms in any region', async () => {
    for (const image of [
      '664544806723.dkr.ecr.eu-central-1.amazonaws.com/linear-learner:1',
      '390948362332.dkr.ecr.cn-north-1.amazonaws.com.cn/linear-learner:latest',
    ]) {
      await call(
        'CreateTrainingJob',
        request(`r${sent.length}`, {
          AlgorithmSpecification: { TrainingImage: image, TrainingInputMode: 'File' },
        }),
      );
    }
    expect(sent).toHaveLength(2);
  });
});

describe('a training job that cannot finish', () => {
  it('fails fast, before reading, when the data is larger than a training Lambda holds', async () => {
    await call('CreateTrainingJob', request('big'));
    expect(await runTrainingJob({ ...deps, limits: { memoryMb: 0.05, timeoutSeconds: 900 } }, 'big')).toBe(
      'Failed',
    );
    const job = await call('DescribeTrainingJob', { TrainingJobName: 'big' });
    expect(job.FailureReason).toMatch(
      /^ClientError: the channels hold .* MB, which needs about .* of memory to train; a training Lambda has 0.05 MB/,
    );
  });

  it('fails before training when the algorithm’s cost per value would outlast the function', async () => {
    const xgboostImage = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1';
    await call(
      'CreateTrainingJob',
      request('long', {
        AlgorithmSpecification: { TrainingImage: xgboostImage, TrainingInputMode: 'File' },
        HyperParameters: { objective: 'multi:softprob', num_class: '3', num_round: '100000', max_depth: '6' },
      }),
    );
    expect(await runTrainingJob({ ...deps, limits: { memoryMb: 10240, timeoutSeconds: 61 } }, 'long')).toBe(
      'Failed',
    );
    const job = await call('DescribeTrainingJob', { TrainingJobName: 'long' });
    // 340 rows × 5 values in both channels (the first object's bytes per value, measured: the
    // committed files' own), 100,000 rounds at 4 ns × depth 6 × 3 classes = 72 ns a value.
    const text = fixture('penguins-train');
    const bytesPerValue = Buffer.byteLength(text) / countValues(text);
    expect(job.FailureReason).toMatch(
      new RegExp(
        `^ClientError: the channels hold .* MB, about [\\d,]+ values at ${bytesPerValue.toFixed(1)} bytes each, and 100000 epochs or rounds at about 72 ns per value would take about \\d+ s; a training Lambda runs for at most 61 s`,
      ),
    );
    expect((job.SecondaryStatusTransitions as { Status: string }[]).map((t) => t.Status)).not.toContain(
      'Training',
    );
    expect(countValues('1,2,3\n4,5,6\n\n')).toBe(6);
    expect(countValues('{"label": 1, "features": [0.5, 2]}\n[0, 1.5, 3]')).toBe(6);
  });

  it('fails with the line of a non-numeric feature', async () => {
    await objects.putText('s3://b/penguins/train/part-1.csv', '1,2,3,x,5\n', 'text/csv');
    await call('CreateTrainingJob', request('nan'));
    expect(await run()).toEqual(['Failed']);
    expect((await call('DescribeTrainingJob', { TrainingJobName: 'nan' })).FailureReason).toMatch(
      /ClientError: Channel train, penguins\/train\/part-1.csv line 1: feature 3 'x' is not a number/,
    );
  });

  it('is Stopped with MaxRuntimeExceeded when it runs past MaxRuntimeInSeconds', async () => {
    let t = Date.now();
    await call(
      'CreateTrainingJob',
      request('slow', {
        StoppingCondition: { MaxRuntimeInSeconds: 1 },
        HyperParameters: {
          predictor_type: 'multiclass_classifier',
          num_classes: '3',
          epochs: '100000',
          mini_batch_size: '32',
        },
      }),
    );
    expect(
      await runTrainingJob(
        {
          ...deps,
          now: () => {
            t += 50;
            return new Date(t);
          },
        },
        'slow',
      ),
    ).toBe('Stopped');
    const job = await call('DescribeTrainingJob', { TrainingJobName: 'slow' });
    expect(job).toMatchObject({
      TrainingJobStatus: 'Stopped',
      SecondaryStatus: 'MaxRuntimeExceeded',
      FailureReason: expect.stringMatching(/MaxRuntimeInSeconds 1/),
    });
    expect(job.ModelArtifacts).toBeUndefined();
  });

  it('StopTrainingJob before the run: Stopping, then Stopped; an ended job cannot be stopped', async () => {
    await call('CreateTrainingJob', request('stop'));
    await call('StopTrainingJob', { TrainingJobName: 'stop' });
    expect((await call('DescribeTrainingJob', { TrainingJobName: 'stop' })).TrainingJobStatus).toBe(
      'Stopping',
    );
    expect((await run())[0]).toBe('Stopped');
    expect((await errorOf(call('StopTrainingJob', { TrainingJobName: 'stop' }))).message).toMatch(
      /status Stopped/,
    );
  });
});

describe('CSV with a header or the label elsewhere (Understudy’s understudy_csv_* hyperparameters)', () => {
  /** The penguins split rewritten with a header and the label moved to the last column. */
  function relabelled(name: string): string {
    const rows = fixture(name)
      .trim()
      .split('\n')
      .map((line) => line.split(','));
    const header = ['culmen_length', 'culmen_depth', 'flipper_length', 'body_mass', 'species'];
    return `${[header, ...rows.map(([label, ...features]) => [...features, label])].map((r) => r.join(',')).join('\n')}\n`;
  }

  beforeEach(async () => {
    await objects.putText('s3://b/headed/train/part-0.csv', relabelled('penguins-train'), 'text/csv');
    await objects.putText(
      's3://b/headed/validation/part-0.csv',
      relabelled('penguins-validation'),
      'text/csv',
    );
  });

  const headed = (name: string, layout: Record<string, string>, extra: Record<string, unknown> = {}) => {
    const base = request(name);
    return {
      ...base,
      HyperParameters: { ...base.HyperParameters, ...layout },
      InputDataConfig: base.InputDataConfig.map((c) => ({
        ...c,
        DataSource: {
          S3DataSource: {
            S3DataType: 'S3Prefix',
            S3Uri: c.DataSource.S3DataSource.S3Uri.replace('penguins', 'headed'),
          },
        },
      })),
      ...extra,
    };
  };

  it('trains the same model as from the target-first headerless split, by label name or index', async () => {
    await call('CreateTrainingJob', request('plain'));
    await call(
      'CreateTrainingJob',
      headed('by-name', { understudy_csv_header: 'true', understudy_csv_label_column: 'species' }),
    );
    await call(
      'CreateTrainingJob',
      headed('by-index', { understudy_csv_header: 'true', understudy_csv_label_column: '4' }),
    );
    expect(await run()).toEqual(['Completed', 'Completed', 'Completed']);
    const metrics = async (name: string) =>
      (
        (await call('DescribeTrainingJob', { TrainingJobName: name })).FinalMetricDataList as {
          MetricName: string;
          Value: number;
        }[]
      ).map(({ MetricName, Value }) => [MetricName, Value]);
    const plain = await metrics('plain');
    expect(plain.length).toBeGreaterThan(0);
    expect(await metrics('by-name')).toEqual(plain);
    expect(await metrics('by-index')).toEqual(plain);
    // Echoed as sent; the algorithm never saw them (linear-learner refuses names it does not know).
    expect((await call('DescribeTrainingJob', { TrainingJobName: 'by-name' })).HyperParameters).toMatchObject(
      {
        understudy_csv_label_column: 'species',
      },
    );
  });

  it('a label column that does not exist fails the job with the header’s columns; nothing is registered', async () => {
    await call('CreateModelPackageGroup', { ModelPackageGroupName: 'penguins' });
    const group = {
      ModelPackageGroupArn: 'arn:aws:sagemaker:us-east-1:123456789012:model-package-group/penguins',
    };
    await call(
      'CreateTrainingJob',
      headed(
        'no-such-label',
        { understudy_csv_header: 'true', understudy_csv_label_column: 'island' },
        {
          ModelPackageConfig: group,
        },
      ),
    );
    await call(
      'CreateTrainingJob',
      headed(
        'index-out',
        { understudy_csv_header: 'true', understudy_csv_label_column: '9' },
        { ModelPackageConfig: group },
      ),
    );
    expect(await run()).toEqual(['Failed', 'Failed']);
    const reason = async (name: string) =>
      (await call('DescribeTrainingJob', { TrainingJobName: name })).FailureReason as string;
    expect(await reason('no-such-label')).toMatch(
      /^ClientError: Channel train, headed\/train\/part-0.csv line 1: the label column 'island' .* is not in the header; its columns are culmen_length, culmen_depth, flipper_length, body_mass, species/,
    );
    expect(await reason('index-out')).toMatch(
      /the label column 9 \(0-based\) does not exist; the row has 5 columns/,
    );
    expect(
      (await call('ListModelPackages', { ModelPackageGroupName: 'penguins' })).ModelPackageSummaryList,
    ).toEqual([]);
  });

  it('bad layout values, an unknown objective or a hyperparameter out of range: ValidationException, nothing recorded', async () => {
    const xgboostImage = {
      TrainingImage: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1',
      TrainingInputMode: 'File',
    };
    const refused = [
      [
        headed('a', { understudy_csv_label_column: 'species' }),
        /a column name needs understudy_csv_header=true/,
      ],
      [
        headed('b', { understudy_csv_header: 'yes' }),
        /understudy_csv_header='yes' is not valid: it must be true or false/,
      ],
      [
        request('c', {
          HyperParameters: { understudy_csv_header: 'true' },
          InputDataConfig: [{ ...request('c').InputDataConfig[0], ContentType: 'application/jsonlines' }],
        }),
        /do not apply to application\/jsonlines channels/,
      ],
      [
        request('d', {
          AlgorithmSpecification: xgboostImage,
          HyperParameters: { objective: 'reg:gamma', num_round: '5' },
        }),
        /objective must be one of .*; got "reg:gamma"/,
      ],
      [
        request('e', {
          AlgorithmSpecification: xgboostImage,
          HyperParameters: { objective: 'reg:squarederror', max_depth: '-1', num_round: '5' },
        }),
        /max_depth must be .*; got "-1"/,
      ],
    ] as const;
    for (const [input, message] of refused) {
      const error = await errorOf(call('CreateTrainingJob', input));
      expect(error.name, String(message)).toBe('ValidationException');
      expect(error.message).toMatch(message);
    }
    expect(sent).toEqual([]);
    expect((await call('ListTrainingJobs', {})).TrainingJobSummaries).toEqual([]);
  });
});

describe('Search (Resource TrainingJob)', () => {
  it('finds the job behind a model artifact, as Estimator.register() asks; other resources are refused', async () => {
    await call('CreateTrainingJob', request('first'));
    await call('CreateTrainingJob', request('second'));
    expect(await run()).toEqual(['Completed', 'Completed']);
    const byArtifact = await call('Search', {
      Resource: 'TrainingJob',
      SearchExpression: {
        Filters: [
          {
            Name: 'ModelArtifacts.S3ModelArtifacts',
            Operator: 'Equals',
            Value: 's3://b/output/second/output/model.tar.gz',
          },
        ],
      },
    });
    const results = byArtifact.Results as { TrainingJob: Record<string, unknown> }[];
    expect(results.map((r) => r.TrainingJob.TrainingJobName)).toEqual(['second']);
    expect(results[0]?.TrainingJob).toMatchObject({
      TrainingJobArn: 'arn:aws:sagemaker:us-east-1:123456789012:training-job/second',
      RoleArn: 'arn:aws:iam::123456789012:role/unused',
      HyperParameters: { predictor_type: 'multiclass_classifier' },
    });
    expect(results[0]?.TrainingJob).not.toHaveProperty('internal');

    const none = await call('Search', {
      Resource: 'TrainingJob',
      SearchExpression: { Filters: [{ Name: 'TrainingJobName', Operator: 'Equals', Value: 'third' }] },
    });
    expect(none.Results).toEqual([]);
    const both = await call('Search', {
      Resource: 'TrainingJob',
      SearchExpression: { Filters: [{ Name: 'TrainingJobName', Operator: 'Contains', Value: 's' }] },
      SortBy: 'TrainingJobName',
      SortOrder: 'Ascending',
    });
    expect(
      (both.Results as { TrainingJob: { TrainingJobName: string } }[]).map(
        (r) => r.TrainingJob.TrainingJobName,
      ),
    ).toEqual(['first', 'second']);

    const refused = await errorOf(call('Search', { Resource: 'ModelPackageGroup' }));
    expect(refused.type).toBe('ValidationException');
    expect(refused.message).toContain('TrainingJob only');
  });
});
