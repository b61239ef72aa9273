import { beforeEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../lambdas/control/control-plane.js';
import type { ControlContext } from '../../lambdas/domain/kernel/context.js';
import type { ApiError } from '../../lambdas/domain/kernel/errors.js';
import { canonicalJson } from '../../lambdas/domain/kernel/idempotency.js';
import { COLLECTIONS } from '../../lambdas/domain/kernel/records.js';
import { onnxModelProbe } from '../../lambdas/shared/model-probe.js';
import { InMemoryRegistryStore } from '../support/in-memory-registry-store.js';
import { fixture, MemoryArtifactSource } from '../support/models.js';

let store: InMemoryRegistryStore;
let ctx: ControlContext;
let clock: number;
const call = (op: string, input: unknown) => dispatch(ctx, op, input) as Promise<Record<string, unknown>>;
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: unknown) => e as ApiError,
  );

const spec = { Containers: [{ Image: 'x', ModelDataUrl: 's3://models/regressor.onnx' }] };
const request = (over: Record<string, unknown> = {}) => ({
  ModelPackageGroupName: 'fraud',
  InferenceSpecification: spec,
  ModelPackageDescription: 'first',
  ClientToken: 'retry-me-0001',
  ...over,
});

beforeEach(async () => {
  const artifacts = new MemoryArtifactSource();
  artifacts.put('s3://models/regressor.onnx', fixture('regressor.onnx'));
  store = new InMemoryRegistryStore();
  clock = Date.parse('2026-11-25T12:00:00Z');
  ctx = {
    store,
    artifacts,
    models: onnxModelProbe,
    region: 'us-east-1',
    accountId: '123456789012',
    caller: { accessKeyId: 'AKUSTEST', role: 'admin' },
    now: () => new Date(clock),
  };
  await call('CreateModelPackageGroup', { ModelPackageGroupName: 'fraud' });
});

describe('CreateModelPackage with a ClientToken', () => {
  it('answers a retry with the same ARN and creates one package and one history entry', async () => {
    const first = await call('CreateModelPackage', request());
    // The same request, its fields in another order, as a client's retry may serialize it.
    const { ClientToken, ...rest } = request();
    const again = await call('CreateModelPackage', {
      ClientToken,
      ...Object.fromEntries(Object.entries(rest).reverse()),
    });
    expect(again).toEqual(first);
    expect(await store.list(COLLECTIONS.modelPackage)).toHaveLength(1);
    expect(await store.list(COLLECTIONS.modelPackageHistory)).toHaveLength(1);
  });

  it('creates one package when two retries of the same token race', async () => {
    const answers = await Promise.all([1, 2, 3].map(() => call('CreateModelPackage', request())));
    expect(new Set(answers.map((a) => a.ModelPackageArn)).size).toBe(1);
    expect(await store.list(COLLECTIONS.modelPackage)).toHaveLength(1);
  });

  it('refuses the same token with another request (ConflictException), creating nothing', async () => {
    await call('CreateModelPackage', request());
    const error = await failure(call('CreateModelPackage', request({ ModelPackageDescription: 'second' })));
    expect(error?.type).toBe('ConflictException');
    expect(error?.message).toMatch(/retry-me-0001 was already used/);
    expect(await store.list(COLLECTIONS.modelPackage)).toHaveLength(1);
  });

  it('creates a new version for a new token, and for a request without one', async () => {
    await call('CreateModelPackage', request());
    const other = await call('CreateModelPackage', request({ ClientToken: 'retry-me-0002' }));
    const none = await call('CreateModelPackage', request({ ClientToken: undefined }));
    expect(other.ModelPackageArn).toMatch(/fraud\/2$/);
    expect(none.ModelPackageArn).toMatch(/fraud\/3$/);
  });
});

describe('ClientToken lifetime', () => {
  it('replays a token for 8 hours; after that the same token is a new request', async () => {
    const first = await call('CreateModelPackage', request());
    clock += 8 * 3600 * 1000 - 1000;
    expect(await call('CreateModelPackage', request())).toEqual(first);
    // Another body under the same token is still a conflict within the lifetime.
    expect((await failure(call('CreateModelPackage', request({ ModelPackageDescription: 'x' }))))?.type).toBe(
      'ConflictException',
    );
    clock += 1000;
    const later = await call('CreateModelPackage', request({ ModelPackageDescription: 'x' }));
    expect(later.ModelPackageArn).toMatch(/fraud\/2$/);
    // …and that new answer is the one replayed from then on.
    expect(await call('CreateModelPackage', request({ ModelPackageDescription: 'x' }))).toEqual(later);
    expect(await store.list(COLLECTIONS.modelPackage)).toHaveLength(2);
  });
});

describe('UpdateModelPackage with a ClientToken', () => {
  it('does not apply a retried update again over a change made since, and refuses the token for another update', async () => {
    const { ModelPackageArn } = await call('CreateModelPackage', request({ ClientToken: undefined }));
    const update = (description: string, ClientToken?: string) =>
      call('UpdateModelPackage', { ModelPackageArn, ApprovalDescription: description, ClientToken });
    await update('from the pipeline', 'update-0001');
    await update('by hand');
    // The pipeline's retry (its first answer was lost) leaves the later change in place.
    expect(await update('from the pipeline', 'update-0001')).toEqual({ ModelPackageArn });
    const described = await call('DescribeModelPackage', { ModelPackageName: ModelPackageArn });
    expect(described.ApprovalDescription).toBe('by hand');
    expect((await failure(update('something else', 'update-0001')))?.type).toBe('ConflictException');
    // Created + two updates applied.
    expect(await store.list(COLLECTIONS.modelPackageHistory)).toHaveLength(3);
  });
});

describe('named creates keep SageMaker’s answer to a duplicate', () => {
  it('refuses a second CreateModelPackageGroup and CreateEndpointConfig of the same name, identical or not', async () => {
    const group = await failure(call('CreateModelPackageGroup', { ModelPackageGroupName: 'fraud' }));
    expect(group?.type).toBe('ValidationException');
    await call('CreateModel', {
      ModelName: 'm',
      PrimaryContainer: { ModelDataUrl: 's3://models/regressor.onnx' },
    });
    const config = {
      EndpointConfigName: 'cfg',
      ProductionVariants: [{ VariantName: 'main', ModelName: 'm' }],
    };
    await call('CreateEndpointConfig', config);
    const duplicate = await failure(call('CreateEndpointConfig', config));
    expect(duplicate?.type).toBe('ValidationException');
    expect(duplicate?.message).toMatch(/Cannot create already existing endpoint configuration/);
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every level and leaves undefined members out', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 0, y: undefined }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[1,{"z":0}]},"b":1}',
    );
  });
});
