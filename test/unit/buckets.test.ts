import { describe, expect, it } from 'vitest';
import { dispatch } from '../../lambdas/control/control-plane.js';
import { BucketPolicy } from '../../lambdas/domain/kernel/buckets.js';
import type { ControlContext } from '../../lambdas/domain/kernel/context.js';
import { ValidationException } from '../../lambdas/domain/kernel/errors.js';
import { COLLECTIONS } from '../../lambdas/domain/kernel/records.js';
import { InMemoryObjectStore } from '../support/in-memory-object-store.js';
import { InMemoryRegistryStore } from '../support/in-memory-registry-store.js';
import { MemoryArtifactSource } from '../support/models.js';

/** Issue 14: URIs outside the platform's buckets are refused unless allowed, before anything is written. */
const policy = new BucketPolicy('platform', BucketPolicy.parseList(' partner, , other-team '));

function contextWith(store: InMemoryRegistryStore): ControlContext {
  const artifacts = new MemoryArtifactSource();
  for (const bucket of ['platform', 'partner', 'elsewhere'])
    artifacts.register('regressor.onnx', `s3://${bucket}`);
  return {
    store,
    artifacts,
    models: { check: async () => undefined },
    region: 'us-east-1',
    accountId: '123456789012',
    caller: { accessKeyId: 'AKUSTEST', role: 'admin' },
    now: () => new Date('2026-06-01T12:00:00Z'),
  };
}

const model = (name: string, bucket: string) => ({
  ModelName: name,
  PrimaryContainer: { Image: 'onnx', ModelDataUrl: `s3://${bucket}/regressor.onnx` },
});

async function refusal(promise: Promise<unknown>): Promise<ValidationException> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationException);
  return error as ValidationException;
}

describe('the bucket policy', () => {
  it('refuses a model artifact in a bucket the platform does not use, naming the member, and records nothing', async () => {
    const store = new InMemoryRegistryStore();
    const error = await refusal(dispatch(contextWith(store), 'CreateModel', model('m', 'elsewhere'), policy));
    expect(error.message).toMatch(/at 'primaryContainer\.modelDataUrl' names bucket elsewhere/);
    expect(error.message).toMatch(/allowed are other-team, partner, platform/);
    expect(await store.list(COLLECTIONS.model)).toEqual([]);
  });

  it('accepts the platform bucket and the allowed ones', async () => {
    const store = new InMemoryRegistryStore();
    await dispatch(contextWith(store), 'CreateModel', model('a', 'platform'), policy);
    await dispatch(contextWith(store), 'CreateModel', model('b', 'partner'), policy);
    expect((await store.list<{ ModelName: string }>(COLLECTIONS.model)).map((m) => m.ModelName)).toEqual([
      'a',
      'b',
    ]);
  });

  it('refuses a capture destination elsewhere, in a list member, before the config exists', async () => {
    const store = new InMemoryRegistryStore();
    const ctx = contextWith(store);
    await dispatch(ctx, 'CreateModel', model('m', 'platform'), policy);
    const config = {
      EndpointConfigName: 'cfg',
      ProductionVariants: [
        { VariantName: 'v', ModelName: 'm', ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 1 } },
      ],
      DataCaptureConfig: {
        InitialSamplingPercentage: 100,
        DestinationS3Uri: 's3://ELSEWHERE/captures',
        CaptureOptions: [{ CaptureMode: 'Input' }],
      },
    };
    const error = await refusal(dispatch(ctx, 'CreateEndpointConfig', config, policy));
    expect(error.message).toMatch(/at 'dataCaptureConfig\.destinationS3Uri' names bucket ELSEWHERE/);
    expect(await store.list(COLLECTIONS.endpointConfig)).toEqual([]);
  });

  it('checks nothing without a policy (unit tests of operations)', async () => {
    const store = new InMemoryRegistryStore();
    await dispatch(contextWith(store), 'CreateModel', model('m', 'elsewhere'));
    expect(await store.list(COLLECTIONS.model)).toHaveLength(1);
  });
});

describe('the bucket policy on Understudy’s own operations', () => {
  it('refuses an s3:// URI outside the allowed buckets in an Understudy.* input, before anything runs', async () => {
    const store = new InMemoryRegistryStore();
    const ctx = { ...contextWith(store), objects: new InMemoryObjectStore() };
    const error = await refusal(
      dispatch(
        ctx,
        'Understudy.SuggestBaseline',
        {
          DatasetS3Uri: 's3://platform/datasets/train.csv',
          DatasetFormat: { Csv: { Header: true } },
          OutputS3Uri: 's3://elsewhere/baselines',
        },
        policy,
      ),
    );
    expect(error.message).toMatch(/at 'OutputS3Uri' names bucket elsewhere/);
    const ground = await refusal(
      dispatch(
        ctx,
        'Understudy.PutGroundTruth',
        { EndpointName: 'ep', GroundTruthS3Uri: 's3://elsewhere/gt', Records: [{ EventId: 'e', Label: 1 }] },
        policy,
      ),
    );
    expect(ground.message).toMatch(/at 'GroundTruthS3Uri' names bucket elsewhere/);
    expect((await ctx.objects.list('s3://elsewhere/')).length).toBe(0);
  });
});
