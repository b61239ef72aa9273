import { beforeEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../lambdas/control/control-plane.js';
import type { EndpointRecord } from '../../lambdas/domain/hosting/endpoints.js';
import type { ControlContext } from '../../lambdas/domain/kernel/context.js';
import type { ApiError } from '../../lambdas/domain/kernel/errors.js';
import { COLLECTIONS } from '../../lambdas/domain/kernel/records.js';
import { onnxModelProbe } from '../../lambdas/shared/model-probe.js';
import { errorOf } from '../support/api-error.js';
import { ConflictingStore } from '../support/conflicting-store.js';
import { InMemoryRegistryStore } from '../support/in-memory-registry-store.js';
import { fixture, MemoryArtifactSource } from '../support/models.js';

let ctx: ControlContext;
let store: InMemoryRegistryStore;
let clock: Date;
const call = (op: string, input: unknown) => dispatch(ctx, op, input) as Promise<Record<string, unknown>>;
const infra = {
  InfrastructureType: 'RealTimeInference',
  RealTimeInferenceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
};

const experiment = (name: string, sampling = 100, shadowModel = 'challenger') => ({
  Name: name,
  Type: 'ShadowMode',
  RoleArn: 'arn:aws:iam::123456789012:role/x',
  EndpointName: 'ep',
  ModelVariants: [
    { ModelName: 'champion', VariantName: 'main', InfrastructureConfig: infra },
    { ModelName: shadowModel, VariantName: 'shadow', InfrastructureConfig: infra },
  ],
  ShadowModeConfig: {
    SourceModelVariantName: 'main',
    ShadowModelVariants: [{ ShadowModelVariantName: 'shadow', SamplingPercentage: sampling }],
  },
  DataStorageConfig: { Destination: 's3://captures/experiments/' },
});

const endpoint = async () =>
  (await store.get<EndpointRecord>(COLLECTIONS.endpoint, 'ep'))?.data as EndpointRecord;

beforeEach(async () => {
  const artifacts = new MemoryArtifactSource();
  artifacts.put('s3://m/v1.onnx', fixture('regressor.onnx'));
  artifacts.put('s3://m/v2.onnx', fixture('regressor-v2.onnx'));
  store = new InMemoryRegistryStore();
  clock = new Date('2026-11-25T12:00:00Z');
  ctx = {
    store,
    artifacts,
    models: onnxModelProbe,
    region: 'us-east-1',
    accountId: '123456789012',
    caller: { accessKeyId: 'AKUSTEST', role: 'admin' },
    now: () => clock,
  };
  await call('CreateModel', { ModelName: 'champion', PrimaryContainer: { ModelDataUrl: 's3://m/v1.onnx' } });
  await call('CreateModel', {
    ModelName: 'challenger',
    PrimaryContainer: { ModelDataUrl: 's3://m/v2.onnx' },
  });
  await call('CreateEndpointConfig', {
    EndpointConfigName: 'cfg',
    ProductionVariants: [{ VariantName: 'main', ModelName: 'champion' }],
    DataCaptureConfig: {
      InitialSamplingPercentage: 30,
      DestinationS3Uri: 's3://captures/prod',
      CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
    },
  });
  await call('CreateEndpoint', { EndpointName: 'ep', EndpointConfigName: 'cfg' });
});

describe('data capture on an endpoint', () => {
  it('reports its capture status and resolves it for the data plane', async () => {
    const described = await call('DescribeEndpoint', { EndpointName: 'ep' });
    expect(described.DataCaptureConfig).toEqual({
      EnableCapture: true,
      CaptureStatus: 'Started',
      CurrentSamplingPercentage: 30,
      DestinationS3Uri: 's3://captures/prod',
      KmsKeyId: '',
    });
    expect((await endpoint()).internal.capture).toMatchObject({
      captureInput: true,
      captureOutput: true,
      csvContentTypes: ['text/csv'],
    });
  });

  it('refuses a sampling percentage outside 0-100', async () => {
    const error = await errorOf(
      call('CreateEndpointConfig', {
        EndpointConfigName: 'c2',
        ProductionVariants: [{ VariantName: 'main', ModelName: 'champion' }],
        DataCaptureConfig: {
          InitialSamplingPercentage: 101,
          DestinationS3Uri: 's3://b',
          CaptureOptions: [{ CaptureMode: 'Input' }],
        },
      }),
    );
    expect(error.type).toBe('ValidationException');
    expect(error.message).toMatch(/initialSamplingPercentage.*less than or equal to 100/);
  });
});

describe('inference experiments', () => {
  it('puts shadows on the endpoint when started and changes sampling while running', async () => {
    const created = await call('CreateInferenceExperiment', experiment('exp'));
    expect(created.InferenceExperimentArn).toBe(
      'arn:aws:sagemaker:us-east-1:123456789012:inference-experiment/exp',
    );
    expect((await call('DescribeInferenceExperiment', { Name: 'exp' })).Status).toBe('Created');
    expect((await endpoint()).internal.shadows ?? []).toEqual([]);
    await call('StartInferenceExperiment', { Name: 'exp' });
    const [shadow] = (await endpoint()).internal.shadows ?? [];
    expect(shadow).toMatchObject({
      VariantName: 'shadow',
      ModelName: 'challenger',
      samplingPercentage: 100,
      sourceVariant: 'main',
      destination: 's3://captures/experiments',
      experimentName: 'exp',
    });
    await call('UpdateInferenceExperiment', {
      Name: 'exp',
      ShadowModeConfig: {
        SourceModelVariantName: 'main',
        ShadowModelVariants: [{ ShadowModelVariantName: 'shadow', SamplingPercentage: 25 }],
      },
    });
    expect((await endpoint()).internal.shadows?.[0]?.samplingPercentage).toBe(25);
    const described = await call('DescribeInferenceExperiment', { Name: 'exp' });
    expect(described).toMatchObject({
      Status: 'Running',
      EndpointMetadata: { EndpointName: 'ep', EndpointStatus: 'InService' },
    });
  });

  it('writes the shadows again when the endpoint changed in between, landing once', async () => {
    await call('CreateInferenceExperiment', experiment('exp'));
    const before = await store.get<EndpointRecord>(COLLECTIONS.endpoint, 'ep');
    const racing = new ConflictingStore(store, COLLECTIONS.endpoint, 3);
    await dispatch({ ...ctx, store: racing }, 'StartInferenceExperiment', { Name: 'exp' });
    expect([racing.refused, racing.landed]).toEqual([3, 1]);
    const after = await store.get<EndpointRecord>(COLLECTIONS.endpoint, 'ep');
    expect(after?.version).toBe((before?.version ?? 0) + 1);
    expect(after?.data.internal.shadows).toMatchObject([
      { VariantName: 'shadow', ModelName: 'challenger', experimentName: 'exp' },
    ]);
    expect((await call('DescribeInferenceExperiment', { Name: 'exp' })).Status).toBe('Running');
  });

  it('answers ConflictException when the endpoint keeps changing, after five tries', async () => {
    await call('CreateInferenceExperiment', experiment('exp'));
    const racing = new ConflictingStore(store, COLLECTIONS.endpoint, 5);
    const error = await errorOf(
      dispatch({ ...ctx, store: racing }, 'StartInferenceExperiment', { Name: 'exp' }),
    );
    expect(error.type).toBe('ConflictException');
    expect(error.message).toBe('Endpoint ep kept changing; try again.');
    expect([racing.refused, racing.landed]).toEqual([5, 0]);
    expect((await endpoint()).internal.shadows ?? []).toEqual([]);
    expect((await call('DescribeInferenceExperiment', { Name: 'exp' })).Status).toBe('Created');
  });

  it('promotes the shadow: the source variant serves the shadow model under a new config, recorded in history', async () => {
    await call('CreateInferenceExperiment', experiment('exp'));
    await call('StartInferenceExperiment', { Name: 'exp' });
    await call('StopInferenceExperiment', {
      Name: 'exp',
      ModelVariantActions: { main: 'Retain', shadow: 'Promote' },
    });
    const ep = await endpoint();
    expect(ep.EndpointConfigName).toMatch(/^ep-promoted-/);
    expect(ep.internal.variants.map((v) => [v.VariantName, v.ModelName])).toEqual([['main', 'challenger']]);
    expect(ep.internal.shadows).toEqual([]);
    expect(ep.internal.capture?.samplingPercentage).toBe(30);
    const config = await call('DescribeEndpointConfig', { EndpointConfigName: ep.EndpointConfigName });
    expect(config.ProductionVariants).toMatchObject([{ VariantName: 'main', ModelName: 'challenger' }]);
    const history = await store.list<{ DeploymentType: string; TargetEndpointConfigName: string }>(
      COLLECTIONS.deploymentHistory,
      'ep#',
    );
    expect(history.at(-1)).toMatchObject({
      DeploymentType: 'PromoteShadow',
      TargetEndpointConfigName: ep.EndpointConfigName,
      TargetVariants: [{ VariantName: 'main', ModelName: 'challenger' }],
    });
    expect((await call('DescribeInferenceExperiment', { Name: 'exp' })).Status).toBe('Completed');

    // A promotion is undone like any other change: back to the config that served before it.
    const before = history.at(-1) as unknown as { SourceEndpointConfigName: string };
    const rolledBack = await call('Understudy.RollbackEndpoint', { EndpointName: 'ep' });
    expect(rolledBack.EndpointConfigName).toBe(before.SourceEndpointConfigName);
    const back = await endpoint();
    expect(back.EndpointConfigName).toBe(before.SourceEndpointConfigName);
    expect(back.internal.variants.map((v) => [v.VariantName, v.ModelName])).toEqual([['main', 'champion']]);
  });

  it('ends by itself at the end of its schedule', async () => {
    await call('CreateInferenceExperiment', {
      ...experiment('short'),
      Schedule: { StartTime: clock.getTime() / 1000, EndTime: clock.getTime() / 1000 + 3600 },
    });
    await call('StartInferenceExperiment', { Name: 'short' });
    expect((await endpoint()).internal.shadows?.[0]?.endsAt).toBe(clock.getTime() / 1000 + 3600);
    clock = new Date(clock.getTime() + 3601_000);
    expect((await call('DescribeInferenceExperiment', { Name: 'short' })).Status).toBe('Completed');
    expect((await endpoint()).internal.shadows).toEqual([]);
  });

  it.each([
    [
      'a sampling percentage of 101',
      experiment('e', 101),
      'ValidationException',
      /less than or equal to 100/,
    ],
    ['a negative sampling percentage', experiment('e', -5), 'ValidationException', /integer from 0 to 100/],
    [
      'a shadow that names an unknown model',
      experiment('e', 50, 'ghost'),
      'ValidationException',
      /Could not find model/,
    ],
  ])('refuses %s', async (_, input, type, message) => {
    const error = await errorOf(call('CreateInferenceExperiment', input));
    expect(error.type).toBe(type);
    expect(error.message).toMatch(message);
    expect((await call('ListInferenceExperiments', {})).InferenceExperiments).toEqual([]);
  });

  it('refuses a second experiment on one endpoint and promoting a cancelled one', async () => {
    await call('CreateInferenceExperiment', experiment('first'));
    const second = await errorOf(call('CreateInferenceExperiment', experiment('second')));
    expect(second.type).toBe('ResourceInUse');
    await call('StartInferenceExperiment', { Name: 'first' });
    await call('StopInferenceExperiment', {
      Name: 'first',
      ModelVariantActions: { shadow: 'Remove' },
      DesiredState: 'Cancelled',
    });
    const promote = await errorOf(
      call('StopInferenceExperiment', { Name: 'first', ModelVariantActions: { shadow: 'Promote' } }),
    );
    expect(promote.type).toBe('ConflictException');
    expect(promote.message).toMatch(/Cancelled; only a Running experiment can be stopped or promoted/);
    const missing = await errorOf(call('DescribeInferenceExperiment', { Name: 'nope' }));
    expect(missing.type).toBe('ResourceNotFound');
  });
});

describe('concurrent changes to an experiment', () => {
  it('loses neither of two concurrent UpdateInferenceExperiment calls', async () => {
    await call('CreateInferenceExperiment', experiment('exp'));
    const end = Math.floor(clock.getTime() / 1000) + 7200;
    await Promise.all([
      call('UpdateInferenceExperiment', { Name: 'exp', Description: 'second opinion' }),
      call('UpdateInferenceExperiment', { Name: 'exp', Schedule: { EndTime: end } }),
    ]);
    const described = await call('DescribeInferenceExperiment', { Name: 'exp' });
    expect(described.Description).toBe('second opinion');
    expect((described.Schedule as { EndTime: number }).EndTime).toBe(end);
  });

  it('retries an update refused by a conflicting writer on a fresh read, and lands it once', async () => {
    await call('CreateInferenceExperiment', experiment('exp'));
    const conflicting = new ConflictingStore(store, COLLECTIONS.inferenceExperiment, 2);
    ctx = { ...ctx, store: conflicting };
    await call('UpdateInferenceExperiment', { Name: 'exp', Description: 'after two conflicts' });
    expect(conflicting.refused).toBe(2);
    expect(conflicting.landed).toBe(1);
    expect((await call('DescribeInferenceExperiment', { Name: 'exp' })).Description).toBe(
      'after two conflicts',
    );
  });

  it('answers the loser of an update racing a stop with a typed conflict, never an overwrite', async () => {
    await call('CreateInferenceExperiment', experiment('exp'));
    await call('StartInferenceExperiment', { Name: 'exp' });
    const results = await Promise.allSettled([
      call('StopInferenceExperiment', {
        Name: 'exp',
        ModelVariantActions: { main: 'Retain', shadow: 'Remove' },
      }),
      call('UpdateInferenceExperiment', { Name: 'exp', Description: 'late' }),
    ]);
    const described = await call('DescribeInferenceExperiment', { Name: 'exp' });
    for (const result of results) {
      if (result.status === 'rejected') expect((result.reason as ApiError).type).toBe('ConflictException');
    }
    // Whichever lost, the record tells a story one of the calls wrote, with the other's effect or refusal.
    if (results[0].status === 'fulfilled') expect(described.Status).toBe('Completed');
    if (results[1].status === 'fulfilled' && results[0].status === 'fulfilled') {
      expect(described.Description).toBe('late');
    }
  });
});
