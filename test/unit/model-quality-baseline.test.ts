/**
 * The model-quality analyzer as a processing job: the CreateProcessingJob request
 * `ModelQualityMonitor.suggest_baseline` sends (captured from the SDK by
 * scripts/fixtures/sagemaker-sdk-requests.py), over datasets built from the scikit-learn
 * references (test/fixtures/model-quality/reference.json, scripts/fixtures/model-quality-reference.py).
 */
import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../lambdas/control/control-plane.js';
import type { ControlContext } from '../../lambdas/domain/kernel/context.js';
import type { JobMessage } from '../../lambdas/domain/kernel/ports.js';
import { runProcessingJob } from '../../lambdas/domain/model-monitor/processing-jobs.js';
import type { ProcessingJobRequest } from '../../lambdas/domain/model-monitor/records.js';
import { onnxModelProbe } from '../../lambdas/shared/model-probe.js';
import { errorOf } from '../support/api-error.js';
import { InMemoryObjectStore } from '../support/in-memory-object-store.js';
import { InMemoryRegistryStore } from '../support/in-memory-registry-store.js';
import { MemoryArtifactSource } from '../support/models.js';

interface ReferenceCase {
  name: string;
  actual: (number | string)[];
  predicted: (number | string)[];
  probability?: number[];
  expected: {
    item_count: number;
    confusion_matrix?: Record<string, Record<string, number>>;
    metrics: Record<string, { value: number }>;
  };
}
const reference = JSON.parse(
  readFileSync(new URL('../fixtures/model-quality/reference.json', import.meta.url), 'utf8'),
) as { cases: ReferenceCase[] };
const byName = (name: string) => reference.cases.find((c) => c.name === name) as ReferenceCase;

const sdkRequest = (name: string): ProcessingJobRequest => {
  const text = readFileSync(
    new URL('../fixtures/processing/suggest-model-quality-baseline-csv.json', import.meta.url),
    'utf8',
  );
  return JSON.parse(text.replaceAll('BUCKET', 'b').replaceAll('JOB_NAME', name)).CreateProcessingJob;
};
const withEnv = (r: ProcessingJobRequest, env: Record<string, string | undefined>): ProcessingJobRequest => {
  const merged: Record<string, string> = { ...r.Environment };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete merged[k];
    else merged[k] = v;
  }
  return { ...r, Environment: merged };
};
const withDataset = (r: ProcessingJobRequest, S3Uri: string): ProcessingJobRequest => ({
  ...r,
  ProcessingInputs: r.ProcessingInputs?.map((i) => ({
    ...i,
    S3Input: { ...(i.S3Input as NonNullable<typeof i.S3Input>), S3Uri },
  })),
});

let objects: InMemoryObjectStore;
let store: InMemoryRegistryStore;
let sent: JobMessage[];
let ctx: ControlContext;
const clock = new Date('2026-11-25T12:00:00Z');
const call = (op: string, input: unknown) => dispatch(ctx, op, input) as Promise<Record<string, unknown>>;

/** Creates the job, runs it as the monitor's queue consumer would, and answers its description. */
async function run(request: ProcessingJobRequest) {
  await call('CreateProcessingJob', request);
  for (const m of sent.splice(0)) {
    if (m.kind === 'ProcessingJob')
      await runProcessingJob({ store, objects, now: () => clock }, m.ProcessingJobName);
  }
  return call('DescribeProcessingJob', { ProcessingJobName: request.ProcessingJobName });
}
const json = async (uri: string) => JSON.parse((await objects.getText(uri)) ?? 'null');

beforeEach(() => {
  store = new InMemoryRegistryStore();
  objects = new InMemoryObjectStore(['b']);
  sent = [];
  ctx = {
    store,
    objects,
    artifacts: new MemoryArtifactSource(),
    models: onnxModelProbe,
    jobs: { send: async (m) => void sent.push(m) },
    region: 'us-east-1',
    accountId: '123456789012',
    caller: { accessKeyId: 'AKUSTEST', role: 'admin' },
    now: () => clock,
  };
});

describe('ModelQualityMonitor.suggest_baseline as a processing job', () => {
  it('scores a binary CSV of predictions as scikit-learn does and suggests constraints from it', async () => {
    const c = byName('binary-1000');
    const rows = c.actual.map((y, i) => `${c.predicted[i]},${c.probability?.[i]},${y}`);
    await objects.putText(
      's3://b/datasets/mq/predictions.csv',
      `prediction,probability,label\n${rows.join('\n')}\n`,
      'text/csv',
    );
    const job = await run(sdkRequest('mq'));
    expect(job.ProcessingJobStatus, String(job.FailureReason)).toBe('Completed');
    expect(job.ExitMessage).toMatch(/1000 labelled predictions \(BinaryClassification\)/);

    const statistics = await json('s3://b/baselines/mq/statistics.json');
    expect(statistics.dataset).toEqual({ item_count: 1000 });
    const metrics = statistics.binary_classification_metrics;
    expect(metrics.confusion_matrix).toEqual(c.expected.confusion_matrix);
    for (const name of ['accuracy', 'precision', 'recall', 'f1', 'auc', 'false_positive_rate']) {
      expect(metrics[name].value, name).toBeCloseTo(c.expected.metrics[name]?.value as number, 12);
    }
    const constraints = await json('s3://b/baselines/mq/constraints.json');
    expect(Object.keys(constraints)).toEqual(['version', 'binary_classification_constraints']);
    const suggested = constraints.binary_classification_constraints;
    expect(suggested.accuracy).toEqual({
      threshold: metrics.accuracy.value,
      comparison_operator: 'LessThanThreshold',
    });
    expect(suggested.auc.comparison_operator).toBe('LessThanThreshold');
    expect(suggested.false_positive_rate).toEqual({
      threshold: metrics.false_positive_rate.value,
      comparison_operator: 'GreaterThanThreshold',
    });
    expect(suggested.false_negative_rate.comparison_operator).toBe('GreaterThanThreshold');
    expect(Object.keys(suggested).some((k) => /best_constant|confusion|curve/.test(k))).toBe(false);
  });

  it('thresholds the probability when there is no inference attribute', async () => {
    const c = byName('binary-1000');
    const rows = c.actual.map((y, i) => `${c.probability?.[i]},${y}`);
    await objects.putText(
      's3://b/datasets/p/predictions.csv',
      `probability,label\n${rows.join('\n')}\n`,
      'text/csv',
    );
    const request = withEnv(sdkRequest('p'), {
      inference_attribute: undefined,
      probability_threshold_attribute: '0.6',
    });
    const job = await run(request);
    expect(job.ProcessingJobStatus, String(job.FailureReason)).toBe('Completed');
    // The reference's labels are its probabilities at 0.6.
    const metrics = (await json('s3://b/baselines/p/statistics.json')).binary_classification_metrics;
    expect(metrics.confusion_matrix).toEqual(c.expected.confusion_matrix);
  });

  it('reads multiclass JSON Lines by key and regression CSV without a header by index', async () => {
    const m = byName('multiclass-600');
    await objects.putText(
      's3://b/datasets/mc/predictions.jsonl',
      m.actual.map((y, i) => JSON.stringify({ out: { label: m.predicted[i] }, truth: y })).join('\n'),
      'application/jsonlines',
    );
    const multiclass = withDataset(
      withEnv(sdkRequest('mc'), {
        dataset_format: '{"json": {"lines": true}}',
        problem_type: 'MulticlassClassification',
        inference_attribute: '$.out.label',
        probability_attribute: undefined,
        ground_truth_attribute: 'truth',
      }),
      's3://b/datasets/mc/predictions.jsonl',
    );
    const mcJob = await run(multiclass);
    expect(mcJob.ProcessingJobStatus, String(mcJob.FailureReason)).toBe('Completed');
    const mcMetrics = (await json('s3://b/baselines/mc/statistics.json')).multiclass_classification_metrics;
    expect(mcMetrics.confusion_matrix).toEqual(m.expected.confusion_matrix);
    expect(mcMetrics.weighted_f1.value).toBeCloseTo(m.expected.metrics.weighted_f1?.value as number, 12);
    const mcConstraints = (await json('s3://b/baselines/mc/constraints.json'))
      .multiclass_classification_constraints;
    expect(mcConstraints.weighted_f1.comparison_operator).toBe('LessThanThreshold');

    const r = byName('regression-300');
    await objects.putText(
      's3://b/datasets/reg/predictions.csv',
      r.actual.map((y, i) => `${r.predicted[i]},${y}`).join('\n'),
      'text/csv',
    );
    const regression = withDataset(
      withEnv(sdkRequest('reg'), {
        dataset_format: '{"csv": {"header": false}}',
        problem_type: 'Regression',
        inference_attribute: '0',
        probability_attribute: undefined,
        ground_truth_attribute: '1',
      }),
      's3://b/datasets/reg/predictions.csv',
    );
    const regJob = await run(regression);
    expect(regJob.ProcessingJobStatus, String(regJob.FailureReason)).toBe('Completed');
    const regMetrics = (await json('s3://b/baselines/reg/statistics.json')).regression_metrics;
    for (const name of ['mae', 'mse', 'rmse', 'r2']) {
      expect(regMetrics[name].value, name).toBeCloseTo(r.expected.metrics[name]?.value as number, 10);
    }
    const regConstraints = (await json('s3://b/baselines/reg/constraints.json')).regression_constraints;
    expect(regConstraints.mae.comparison_operator).toBe('GreaterThanThreshold');
    expect(regConstraints.r2.comparison_operator).toBe('LessThanThreshold');
  });

  it.each([
    ['no problem_type', { problem_type: undefined }, /problem_type is required/],
    ['an unknown problem_type', { problem_type: 'Ranking' }, /"Ranking" is not one of/],
    [
      'no ground_truth_attribute',
      { ground_truth_attribute: undefined },
      /ground_truth_attribute is required/,
    ],
    [
      'binary without inference or probability attribute',
      { inference_attribute: undefined, probability_attribute: undefined },
      /needs Environment.inference_attribute .* or probability_attribute/,
    ],
    [
      'a threshold outside [0, 1]',
      { probability_threshold_attribute: '1.5' },
      /must be a number from 0 to 1/,
    ],
    [
      'regression with a probability attribute',
      { problem_type: 'Regression' },
      /apply to BinaryClassification only, not Regression/,
    ],
    [
      'column names without a header',
      { dataset_format: '{"csv": {"header": false}}' },
      /inference_attribute 'prediction' must be a 0-based column index/,
    ],
  ])('refuses %s at creation, creating nothing', async (_, env, message) => {
    const error = await errorOf(call('CreateProcessingJob', withEnv(sdkRequest('bad'), env)));
    expect(error).toMatchObject({ name: 'ValidationException' });
    expect(error.message).toMatch(message);
    expect(sent).toEqual([]);
    expect(await errorOf(call('DescribeProcessingJob', { ProcessingJobName: 'bad' }))).toMatchObject({
      name: 'ResourceNotFound',
    });
  });

  it.each([
    [
      'a label of the wrong type',
      'prediction,probability,label\n1,0.9,1\n0,0.2,maybe\n',
      /The label of event row 2 is "maybe"; BinaryClassification needs 0 or 1/,
    ],
    [
      'predictions that are not binary labels (a problem type the model does not fit)',
      'prediction,probability,label\n1,0.9,1\ncat,0.2,0\n',
      /ProblemType BinaryClassification does not match the model's output: the prediction of row 2 is "cat"/,
    ],
    [
      'a column the header does not have',
      'pred,probability,label\n1,0.9,1\n',
      /inference_attribute 'prediction' is neither a column of the dataset's header \(pred,probability,label\)/,
    ],
    [
      'a probability that is not a number',
      'prediction,probability,label\n1,high,1\n',
      /row 1 .* no numeric probability/i,
    ],
  ])('fails the job on %s with a ClientError saying so, writing nothing', async (_, csv, reason) => {
    await objects.putText('s3://b/datasets/f/predictions.csv', csv, 'text/csv');
    const job = await run(sdkRequest('f'));
    expect(job.ProcessingJobStatus).toBe('Failed');
    expect(job.FailureReason).toMatch(/^ClientError: /);
    expect(job.FailureReason).toMatch(reason);
    expect(await objects.getText('s3://b/baselines/f/statistics.json')).toBeUndefined();
    expect(await objects.getText('s3://b/baselines/f/constraints.json')).toBeUndefined();
  });
});
