/**
 * Processing jobs against the in-memory registry and object store: the requests are the ones
 * the SageMaker Python SDK sends for suggest_baseline (captured from the SDK by
 * scripts/fixtures/sagemaker-sdk-requests.py), and the statistics are checked against numpy's
 * (test/fixtures/monitoring/reference.json, scripts/fixtures/monitoring-reference.py).
 */
import type { SQSEvent } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../lambdas/control/control-plane.js';
import type { ControlContext } from '../../lambdas/domain/kernel/context.js';
import type { JobMessage } from '../../lambdas/domain/kernel/ports.js';
import { COLLECTIONS } from '../../lambdas/domain/kernel/records.js';
import { repositoryName } from '../../lambdas/domain/model-monitor/analyzer-job.js';
import {
  type ProcessingJobDeps,
  runProcessingJob,
} from '../../lambdas/domain/model-monitor/processing-jobs.js';
import type { ProcessingJobRequest } from '../../lambdas/domain/model-monitor/records.js';
import { parseConstraints, parseStatistics } from '../../lambdas/domain/model-monitor/statistics/index.js';
import { createMonitorHandler } from '../../lambdas/monitor/monitor.js';
import { onnxModelProbe } from '../../lambdas/shared/model-probe.js';
import { errorOf } from '../support/api-error.js';
import { InMemoryObjectStore } from '../support/in-memory-object-store.js';
import { InMemoryRegistryStore } from '../support/in-memory-registry-store.js';
import { MemoryArtifactSource } from '../support/models.js';
import { referenceDataset, suggestBaselineRequest } from '../support/processing-requests.js';

const sdkRequest = (format: 'csv' | 'json', name: string) =>
  suggestBaselineRequest<ProcessingJobRequest>(format, name, 'b');

let store: InMemoryRegistryStore;
let objects: InMemoryObjectStore;
let sent: JobMessage[];
let ctx: ControlContext;
let clock: Date;
let deps: ProcessingJobDeps;

const call = (op: string, input: unknown) => dispatch(ctx, op, input) as Promise<Record<string, unknown>>;

/** Runs every message sent so far, as the monitor's queue consumer would. */
async function deliver(): Promise<string[]> {
  const messages = sent.splice(0);
  const outcomes: string[] = [];
  for (const m of messages) {
    if (m.kind === 'ProcessingJob') outcomes.push(await runProcessingJob(deps, m.ProcessingJobName));
  }
  return outcomes;
}

beforeEach(() => {
  store = new InMemoryRegistryStore();
  objects = new InMemoryObjectStore(['b']);
  sent = [];
  clock = new Date('2026-11-25T12:00:00Z');
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
  deps = { store, objects, now: () => clock };
});

describe('CreateProcessingJob with the analyzer image, as suggest_baseline sends it', () => {
  it('answers at once with the job InProgress; the monitor runs it to Completed with numpy’s statistics', async () => {
    const { csv, columns: cases } = referenceDataset();
    await objects.putText('s3://b/datasets/base/train.csv', csv, 'text/csv');
    const request = sdkRequest('csv', 'base');

    const created = await call('CreateProcessingJob', request);
    expect(created).toEqual({
      ProcessingJobArn: 'arn:aws:sagemaker:us-east-1:123456789012:processing-job/base',
    });
    expect(sent).toEqual([{ kind: 'ProcessingJob', ProcessingJobName: 'base' }]);
    const pending = await call('DescribeProcessingJob', { ProcessingJobName: 'base' });
    expect(pending).toMatchObject({ ProcessingJobStatus: 'InProgress' });
    expect(pending.ProcessingStartTime).toBeUndefined();
    expect(await objects.getText('s3://b/baselines/base/statistics.json')).toBeUndefined();

    clock = new Date(clock.getTime() + 2000);
    expect(await deliver()).toEqual(['Completed']);
    const done = await call('DescribeProcessingJob', { ProcessingJobName: 'base' });
    const { Tags: _tags, ...echoed } = request;
    expect(done).toMatchObject({
      ...echoed,
      ProcessingJobStatus: 'Completed',
      ProcessingStartTime: clock.getTime() / 1000,
      ProcessingEndTime: clock.getTime() / 1000,
      CreationTime: clock.getTime() / 1000 - 2,
    });
    expect(done.ExitMessage).toMatch(/^Completed: .*2000 rows, 2 features/);
    expect(done.FailureReason).toBeUndefined();

    const statistics = parseStatistics(await objects.getText('s3://b/baselines/base/statistics.json'));
    expect(statistics.dataset.item_count).toBe(2000);
    for (const c of cases) {
      const stats = statistics.features.find((f) => f.name === c.name)?.numerical_statistics;
      expect(stats?.common.num_present, c.name).toBe(c.summary.count);
      for (const key of ['mean', 'sum', 'std_dev', 'min', 'max'] as const) {
        expect(
          Math.abs((stats?.[key] ?? Number.NaN) - c.summary[key]),
          `${c.name} ${key}`,
        ).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(c.summary[key])));
      }
    }
    const constraints = parseConstraints(await objects.getText('s3://b/baselines/base/constraints.json'));
    expect(constraints.features.map((f) => f.name)).toEqual(cases.map((c) => c.name));
  });

  it('reads a JSON Lines dataset', async () => {
    await objects.putText(
      's3://b/datasets/lines/train.jsonl',
      '{"a": 1, "b": "x"}\n{"a": 2, "b": "y"}\n{"a": 4, "b": "x"}\n',
      'application/jsonlines',
    );
    await call('CreateProcessingJob', sdkRequest('json', 'lines'));
    expect(await deliver()).toEqual(['Completed']);
    const statistics = parseStatistics(await objects.getText('s3://b/baselines/lines/statistics.json'));
    expect(statistics.dataset.item_count).toBe(3);
    expect(statistics.features.map((f) => f.name)).toEqual(['a', 'b']);
  });

  it('fails a job whose dataset cannot be used, with a ClientError reason', async () => {
    await objects.putText('s3://b/datasets/headless/train.csv', '1,2\n3,4\n', 'text/csv');
    await call('CreateProcessingJob', sdkRequest('csv', 'headless'));
    expect(await deliver()).toEqual(['Failed']);
    const job = await call('DescribeProcessingJob', { ProcessingJobName: 'headless' });
    expect(job.ProcessingJobStatus).toBe('Failed');
    expect(job.FailureReason).toMatch(/^ClientError: The dataset at s3:\/\/b\/datasets\/headless\/train.csv/);
    expect(job.ProcessingEndTime).toBeDefined();
  });

  it('recognises the analyzer by repository name in any region, account, registry host, tag or digest', () => {
    for (const uri of [
      '156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer',
      '159807026194.dkr.ecr.us-west-2.amazonaws.com/sagemaker-model-monitor-analyzer:latest',
      '453000072557.dkr.ecr.cn-north-1.amazonaws.com.cn/sagemaker-model-monitor-analyzer@sha256:0123abcd',
      'localhost:5000/mirror/sagemaker-model-monitor-analyzer:v2',
    ]) {
      expect(repositoryName(uri), uri).toBe('sagemaker-model-monitor-analyzer');
    }
    expect(
      repositoryName('156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer-fork'),
    ).not.toBe('sagemaker-model-monitor-analyzer');
  });
});

describe('bad CreateProcessingJob input: a typed 400, nothing recorded, nothing sent', () => {
  const cases: [string, (r: ProcessingJobRequest) => ProcessingJobRequest, string, RegExp][] = [
    [
      'an unknown image',
      (r) => ({
        ...r,
        AppSpecification: { ImageUri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/my-etl:1' },
      }),
      'ValidationException',
      /my-etl:1 is not an image Understudy runs.*sagemaker-model-monitor-analyzer/,
    ],
    [
      'a missing dataset input',
      (r) => ({ ...r, ProcessingInputs: [] }),
      'ValidationException',
      /No ProcessingInput has S3Input.LocalPath \/opt\/ml\/processing\/input\/baseline_dataset_input.*dataset input is missing/,
    ],
    [
      'no dataset_source',
      (r) => {
        const { dataset_source: _source, ...env } = r.Environment ?? {};
        return { ...r, Environment: env };
      },
      'ValidationException',
      /dataset_source is required/,
    ],
    [
      'an output URI that is not s3://',
      (r) => withOutputUri(r, 'https://example.com/out'),
      'ValidationException',
      /https:\/\/example.com\/out is not an s3:\/\/bucket\/key URI/,
    ],
    [
      'an output bucket that does not exist',
      (r) => withOutputUri(r, 's3://nowhere/out'),
      'ValidationException',
      /bucket nowhere of the output s3:\/\/nowhere\/out does not exist/,
    ],
    [
      'a dataset bucket that does not exist',
      (r) => ({
        ...r,
        ProcessingInputs: r.ProcessingInputs?.map((i) => ({
          ...i,
          S3Input: { ...(i.S3Input as NonNullable<typeof i.S3Input>), S3Uri: 's3://nowhere/train.csv' },
        })),
      }),
      'ValidationException',
      /bucket nowhere of the dataset input/,
    ],
    [
      'the model-quality analyzer without the column of the true labels',
      (r) => withEnv(r, { analysis_type: 'MODEL_QUALITY', problem_type: 'BinaryClassification' }),
      'ValidationException',
      /ground_truth_attribute is required for the model-quality analyzer/,
    ],
    [
      'a record preprocessor script',
      (r) => withEnv(r, { record_preprocessor_script: '/opt/ml/processing/code/pre.py' }),
      'ValidationException',
      /record preprocessor script .* which Understudy cannot run/,
    ],
    [
      'a post-analytics script',
      (r) => withEnv(r, { post_analytics_processor_script: '/opt/ml/processing/code/post.py' }),
      'ValidationException',
      /post-analytics processor script .* which Understudy cannot run/,
    ],
    [
      'a parquet dataset',
      (r) => withEnv(r, { dataset_format: '{"parquet": {}}' }),
      'ValidationException',
      /dataset_format \{"parquet": \{\}\} is not one Understudy reads/,
    ],
    [
      'an environment key outside the service model',
      (r) => withEnv(r, { 'not-a-key': 'x' }),
      'ValidationException',
      /'not-a-key' at 'environment.key'/,
    ],
  ];

  it.each(cases)('%s', async (_what, change, type, message) => {
    await objects.putText('s3://b/datasets/bad/train.csv', 'a\n1\n', 'text/csv');
    const error = await errorOf(call('CreateProcessingJob', change(sdkRequest('csv', 'bad'))));
    expect(error).toMatchObject({ type, statusCode: 400 });
    expect(error.message).toMatch(message);
    expect(await store.list(COLLECTIONS.processingJob)).toEqual([]);
    expect(sent).toEqual([]);
  });

  it('a duplicate name is ResourceInUse and leaves the first job alone', async () => {
    await call('CreateProcessingJob', sdkRequest('csv', 'twice'));
    const error = await errorOf(call('CreateProcessingJob', withEnv(sdkRequest('csv', 'twice'), {})));
    expect(error).toMatchObject({ type: 'ResourceInUse', statusCode: 400 });
    expect(error.message).toMatch(/processing-job\/twice/);
    expect(sent).toHaveLength(1);
  });

  it('a job the queue did not take is not kept, nor are its tags', async () => {
    ctx = { ...ctx, jobs: { send: async () => Promise.reject(new Error('SQS is down')) } };
    const request = { ...sdkRequest('csv', 'unsent'), Tags: [{ Key: 'team', Value: 'ml' }] };
    await expect(call('CreateProcessingJob', request)).rejects.toThrow('SQS is down');
    expect(await store.list(COLLECTIONS.processingJob)).toEqual([]);
    expect(await store.list(COLLECTIONS.tags)).toEqual([]);
  });

  it('a job with a reserved tag key is refused before anything is recorded or sent', async () => {
    const request = { ...sdkRequest('csv', 'reserved'), Tags: [{ Key: 'aws:owner', Value: 'x' }] };
    expect(await errorOf(call('CreateProcessingJob', request))).toMatchObject({
      type: 'ValidationException',
    });
    expect(await store.list(COLLECTIONS.processingJob)).toEqual([]);
    expect(sent).toEqual([]);
  });
});

describe('tags of a processing job', () => {
  it('are listed by its ARN, and AddTags/DeleteTags change them', async () => {
    const request = { ...sdkRequest('csv', 'tagged'), Tags: [{ Key: 'team', Value: 'ml' }] };
    const { ProcessingJobArn } = await call('CreateProcessingJob', request);
    expect(await call('ListTags', { ResourceArn: ProcessingJobArn })).toEqual({
      Tags: [{ Key: 'team', Value: 'ml' }],
    });
    await call('AddTags', { ResourceArn: ProcessingJobArn, Tags: [{ Key: 'stage', Value: 'dev' }] });
    await call('DeleteTags', { ResourceArn: ProcessingJobArn, TagKeys: ['team'] });
    expect(await call('ListTags', { ResourceArn: ProcessingJobArn })).toEqual({
      Tags: [{ Key: 'stage', Value: 'dev' }],
    });
  });
});

function withOutputUri(r: ProcessingJobRequest, uri: string): ProcessingJobRequest {
  const [output] = r.ProcessingOutputConfig?.Outputs ?? [];
  if (!output?.S3Output) throw new Error('the SDK request has an output');
  return {
    ...r,
    ProcessingOutputConfig: { Outputs: [{ ...output, S3Output: { ...output.S3Output, S3Uri: uri } }] },
  };
}

function withEnv(r: ProcessingJobRequest, env: Record<string, string>): ProcessingJobRequest {
  return { ...r, Environment: { ...r.Environment, ...env } };
}

describe('StopProcessingJob and redelivered messages', () => {
  beforeEach(async () => {
    await objects.putText('s3://b/datasets/j/train.csv', 'a,b\n1,2\n3,4\n', 'text/csv');
  });

  it('a job stopped before it ran ends Stopped without running; an ended job cannot be stopped', async () => {
    await call('CreateProcessingJob', sdkRequest('csv', 'j'));
    expect(await call('StopProcessingJob', { ProcessingJobName: 'j' })).toEqual({});
    expect((await call('DescribeProcessingJob', { ProcessingJobName: 'j' })).ProcessingJobStatus).toBe(
      'Stopping',
    );
    expect(await deliver()).toEqual(['Stopped', 'skipped']);
    const job = await call('DescribeProcessingJob', { ProcessingJobName: 'j' });
    expect(job).toMatchObject({ ProcessingJobStatus: 'Stopped' });
    expect(await objects.getText('s3://b/baselines/j/statistics.json')).toBeUndefined();
    const error = await errorOf(call('StopProcessingJob', { ProcessingJobName: 'j' }));
    expect(error).toMatchObject({ type: 'ValidationException' });
    expect(error.message).toMatch(/in status Stopped/);
    expect((await errorOf(call('StopProcessingJob', { ProcessingJobName: 'nope' }))).type).toBe(
      'ResourceNotFound',
    );
  });

  it('a stop while the job runs wins over its result', async () => {
    await call('CreateProcessingJob', sdkRequest('csv', 'j'));
    sent.splice(0);
    const reading = objects.getText.bind(objects);
    deps = {
      ...deps,
      objects: Object.assign(Object.create(objects), {
        getText: async (uri: string) => {
          if (uri.endsWith('train.csv')) await call('StopProcessingJob', { ProcessingJobName: 'j' });
          return reading(uri);
        },
      }),
    };
    expect(await runProcessingJob(deps, 'j')).toBe('Stopped');
    expect((await call('DescribeProcessingJob', { ProcessingJobName: 'j' })).ProcessingJobStatus).toBe(
      'Stopped',
    );
  });

  it('runs each job once: a copy of the message is skipped while a run holds it, and after it ended', async () => {
    await call('CreateProcessingJob', sdkRequest('csv', 'j'));
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let reads = 0;
    const slow = Object.assign(Object.create(objects), {
      getText: async (uri: string) => {
        if (uri.endsWith('train.csv')) {
          reads++;
          await held;
        }
        return objects.getText(uri);
      },
    });
    const first = runProcessingJob({ ...deps, objects: slow }, 'j');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await runProcessingJob({ ...deps, objects: slow }, 'j')).toBe('skipped');
    release();
    expect(await first).toBe('Completed');
    expect(await runProcessingJob(deps, 'j')).toBe('skipped');
    expect(reads).toBe(1);
  });

  it('runs a job again whose run died (its hold ran out)', async () => {
    await call('CreateProcessingJob', sdkRequest('csv', 'j'));
    const dying = Object.assign(Object.create(objects), {
      getText: async () => Promise.reject(new Error('the Lambda timed out')),
    });
    const stored = await store.get<Record<string, unknown>>(COLLECTIONS.processingJob, 'j');
    // A run that claimed the job and then died: its claim stays behind.
    await store.replace(COLLECTIONS.processingJob, 'j', {
      ...stored?.data,
      internal: { ...(stored?.data.internal as object), runStartedAt: clock.getTime() / 1000 },
    });
    expect(await runProcessingJob({ ...deps, objects: dying }, 'j')).toBe('skipped');
    clock = new Date(clock.getTime() + 331_000);
    expect(await runProcessingJob(deps, 'j')).toBe('Completed');
  });
});

describe('ListProcessingJobs', () => {
  it('filters by name and status, sorts and pages like the other List operations', async () => {
    await objects.putText('s3://b/datasets/list-a/train.csv', 'a\n1\n', 'text/csv');
    for (const name of ['list-a', 'list-b', 'other-c']) {
      await call('CreateProcessingJob', sdkRequest('csv', name));
      clock = new Date(clock.getTime() + 1000);
    }
    await deliver(); // list-a Completed; list-b and other-c fail (no dataset)
    const all = await call('ListProcessingJobs', {});
    expect(
      (all.ProcessingJobSummaries as { ProcessingJobName: string }[]).map((s) => s.ProcessingJobName),
    ).toEqual(['other-c', 'list-b', 'list-a']);
    expect(all.ProcessingJobSummaries).toContainEqual(
      expect.objectContaining({ ProcessingJobName: 'list-a', ProcessingJobStatus: 'Completed' }),
    );
    const failed = await call('ListProcessingJobs', {
      StatusEquals: 'Failed',
      NameContains: 'LIST',
      SortBy: 'Name',
      SortOrder: 'Ascending',
    });
    expect(failed.ProcessingJobSummaries).toEqual([
      expect.objectContaining({
        ProcessingJobName: 'list-b',
        FailureReason: expect.stringMatching(/^ClientError/),
      }),
    ]);
    const first = await call('ListProcessingJobs', { MaxResults: 2, SortBy: 'Name', SortOrder: 'Ascending' });
    expect((first.ProcessingJobSummaries as unknown[]).length).toBe(2);
    const rest = await call('ListProcessingJobs', {
      MaxResults: 2,
      SortBy: 'Name',
      SortOrder: 'Ascending',
      NextToken: first.NextToken,
    });
    expect(rest).toEqual({
      ProcessingJobSummaries: [expect.objectContaining({ ProcessingJobName: 'other-c' })],
    });
  });
});

describe('the monitor function on the jobs queue', () => {
  it('runs the job of each message and reports only the failed ones', async () => {
    await objects.putText('s3://b/datasets/q/train.csv', 'a\n1\n', 'text/csv');
    await call('CreateProcessingJob', sdkRequest('csv', 'q'));
    const failing = Object.assign(Object.create(store), {
      get: async (collection: string, id: string) =>
        id === 'broken' ? Promise.reject(new Error('DynamoDB is throttling')) : store.get(collection, id),
    });
    const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
    const handler = createMonitorHandler({
      store: failing,
      objects,
      now: () => clock,
      logging: {
        logger: new (await import('@aws-lambda-powertools/logger')).Logger({ logLevel: 'SILENT' }),
        log: silent,
      },
    });
    const record = (messageId: string, body: string) => ({ messageId, body }) as SQSEvent['Records'][number];
    const result = await handler(
      {
        Records: [
          record('1', JSON.stringify({ kind: 'ProcessingJob', ProcessingJobName: 'q' })),
          record('2', JSON.stringify({ kind: 'ProcessingJob', ProcessingJobName: 'broken' })),
          record('3', 'not json'),
        ],
      },
      {} as never,
    );
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '2' }] });
    expect((await call('DescribeProcessingJob', { ProcessingJobName: 'q' })).ProcessingJobStatus).toBe(
      'Completed',
    );
  });
});

describe('CreateProcessingJob with ProcessingOutputConfig.KmsKeyId', () => {
  const KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  const keyed = (name: string, KmsKeyId: string) => {
    const request = sdkRequest('csv', name);
    return { ...request, ProcessingOutputConfig: { ...request.ProcessingOutputConfig, KmsKeyId } };
  };

  it('refuses a key outside the deployment’s list, creating nothing', async () => {
    ctx = { ...ctx, allowedKmsKeys: [KEY] };
    const error = await errorOf(call('CreateProcessingJob', keyed('outside', `${KEY.slice(0, -4)}0000`)));
    expect(error.type).toBe('ValidationException');
    expect(error.message).toMatch(/ProcessingOutputConfig.KmsKeyId/);
    expect(await store.list(COLLECTIONS.processingJob)).toEqual([]);
    expect(sent).toEqual([]);
  });

  it('writes the baseline files SSE-KMS with an allowed key', async () => {
    ctx = { ...ctx, allowedKmsKeys: [KEY] };
    const { csv } = referenceDataset();
    await objects.putText('s3://b/datasets/keyed/train.csv', csv, 'text/csv');
    await call('CreateProcessingJob', keyed('keyed', KEY));
    expect(await deliver()).toEqual(['Completed']);
    for (const file of ['statistics.json', 'constraints.json']) {
      expect(objects.objects.get(`s3://b/baselines/keyed/${file}`)?.kmsKeyId, file).toBe(KEY);
    }
  });
});
