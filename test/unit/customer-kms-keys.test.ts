import { beforeEach, describe, expect, it } from 'vitest';
import { S3CaptureSink } from '../../lambdas/adapters/s3-capture-sink.js';
import { dispatch } from '../../lambdas/control/control-plane.js';
import type { EndpointRecord } from '../../lambdas/domain/hosting/endpoints.js';
import { ModelCache } from '../../lambdas/domain/inference/model-cache.js';
import type { ControlContext } from '../../lambdas/domain/kernel/context.js';
import type { ApiError } from '../../lambdas/domain/kernel/errors.js';
import { COLLECTIONS } from '../../lambdas/domain/kernel/records.js';
import { buildMirrorMessage } from '../../lambdas/domain/mirroring/mirror.js';
import { processShadowBatch } from '../../lambdas/domain/mirroring/mirror-batch.js';
import { onnxModelProbe } from '../../lambdas/shared/model-probe.js';
import { InMemoryDeliveryLedger } from '../support/delivery-ledger.js';
import { InMemoryRegistryStore } from '../support/in-memory-registry-store.js';
import { fixture, MemoryArtifactSource } from '../support/models.js';

const ALLOWED = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const OUTSIDE = 'arn:aws:kms:us-east-1:123456789012:key/99999999-0000-0000-0000-000000000000';

let store: InMemoryRegistryStore;
let ctx: ControlContext;
const call = (op: string, input: unknown) => dispatch(ctx, op, input) as Promise<Record<string, unknown>>;
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: unknown) => e as ApiError,
  );

const captureConfig = (name: string, KmsKeyId?: string) => ({
  EndpointConfigName: name,
  ProductionVariants: [{ VariantName: 'main', ModelName: 'm' }],
  DataCaptureConfig: {
    InitialSamplingPercentage: 100,
    DestinationS3Uri: 's3://captures/prod',
    CaptureOptions: [{ CaptureMode: 'Input' }],
    ...(KmsKeyId && { KmsKeyId }),
  },
});

const jobDefinition = (name: string, KmsKeyId: string) => ({
  JobDefinitionName: name,
  DataQualityBaselineConfig: {
    ConstraintsResource: { S3Uri: 's3://b/baseline/constraints.json' },
    StatisticsResource: { S3Uri: 's3://b/baseline/statistics.json' },
  },
  DataQualityAppSpecification: {
    ImageUri: '156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer',
  },
  DataQualityJobInput: { EndpointInput: { EndpointName: 'ep', LocalPath: '/opt/ml/processing/input' } },
  DataQualityJobOutputConfig: {
    MonitoringOutputs: [{ S3Output: { S3Uri: 's3://b/reports', LocalPath: '/opt/ml/processing/output' } }],
    KmsKeyId,
  },
  JobResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.xlarge', VolumeSizeInGB: 20 } },
  RoleArn: 'arn:aws:iam::123456789012:role/monitor',
});

beforeEach(async () => {
  const artifacts = new MemoryArtifactSource();
  artifacts.put('s3://m/v1.onnx', fixture('regressor.onnx'));
  store = new InMemoryRegistryStore();
  ctx = {
    store,
    artifacts,
    models: onnxModelProbe,
    region: 'us-east-1',
    accountId: '123456789012',
    caller: { accessKeyId: 'AKUSADMIN00000000000', role: 'admin' },
    allowedKmsKeys: [ALLOWED],
    now: () => new Date('2026-11-25T12:00:00Z'),
  };
  await call('CreateModel', { ModelName: 'm', PrimaryContainer: { ModelDataUrl: 's3://m/v1.onnx' } });
});

describe('customer KMS keys', () => {
  it('refuses a capture key outside the deployment’s list, creating nothing', async () => {
    const error = await failure(call('CreateEndpointConfig', captureConfig('cfg', OUTSIDE)));
    expect(error?.type).toBe('ValidationException');
    expect(error?.message).toMatch(/DataCaptureConfig.KmsKeyId .* is not one of the KMS keys/);
    expect(await store.list(COLLECTIONS.endpointConfig)).toEqual([]);
  });

  it('refuses every key when the deployment allows none', async () => {
    ctx = { ...ctx, allowedKmsKeys: undefined };
    const error = await failure(call('CreateEndpointConfig', captureConfig('cfg', ALLOWED)));
    expect(error?.message).toMatch(/allows no customer KMS keys/);
  });

  it('takes an allowed key by ARN or by key id, and captures carry it to the writer', async () => {
    await call('CreateEndpointConfig', captureConfig('by-arn', ALLOWED));
    await call('CreateEndpointConfig', captureConfig('by-id', '1234abcd-12ab-34cd-56ef-1234567890ab'));
    await call('CreateEndpoint', { EndpointName: 'ep', EndpointConfigName: 'by-arn' });
    const endpoint = await store.get<EndpointRecord>(COLLECTIONS.endpoint, 'ep');
    expect(endpoint?.data.internal.capture?.kmsKeyId).toBe(ALLOWED);
  });

  it('refuses a report key outside the list for a job definition, creating nothing', async () => {
    await call('CreateEndpointConfig', captureConfig('cfg'));
    await call('CreateEndpoint', { EndpointName: 'ep', EndpointConfigName: 'cfg' });
    const definition = await failure(call('CreateDataQualityJobDefinition', jobDefinition('dq', OUTSIDE)));
    expect(definition?.type).toBe('ValidationException');
    expect(definition?.message).toMatch(/KmsKeyId/);
    expect(await store.list(COLLECTIONS.dataQualityJobDefinition)).toEqual([]);
    await call('CreateDataQualityJobDefinition', jobDefinition('dq', ALLOWED));
  });
});

describe('S3CaptureSink', () => {
  it('writes a capture object SSE-KMS with the configured key', async () => {
    const sent: Record<string, unknown>[] = [];
    const s3 = { send: async (command: { input: Record<string, unknown> }) => void sent.push(command.input) };
    await new S3CaptureSink(s3 as never).write({ bucket: 'captures', key: 'k.jsonl' }, '{}\n', ALLOWED);
    await new S3CaptureSink(s3 as never).write({ bucket: 'captures', key: 'plain.jsonl' }, '{}\n');
    expect(sent[0]).toMatchObject({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: ALLOWED });
    expect(sent[1]).not.toHaveProperty('SSEKMSKeyId');
  });
});

describe('shadow captures under a customer key', () => {
  const infra = {
    InfrastructureType: 'RealTimeInference',
    RealTimeInferenceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
  };
  const experiment = (KmsKey?: string) => ({
    Name: 'exp',
    Type: 'ShadowMode',
    RoleArn: 'arn:aws:iam::123456789012:role/understudy',
    EndpointName: 'ep',
    ModelVariants: [
      { ModelName: 'm', VariantName: 'main', InfrastructureConfig: infra },
      { ModelName: 'm', VariantName: 'shadow', InfrastructureConfig: infra },
    ],
    ShadowModeConfig: {
      SourceModelVariantName: 'main',
      ShadowModelVariants: [{ ShadowModelVariantName: 'shadow', SamplingPercentage: 100 }],
    },
    DataStorageConfig: { Destination: 's3://captures/shadow', ...(KmsKey && { KmsKey }) },
  });

  beforeEach(async () => {
    await call('CreateEndpointConfig', captureConfig('cfg'));
    await call('CreateEndpoint', { EndpointName: 'ep', EndpointConfigName: 'cfg' });
  });

  it('refuses a DataStorageConfig.KmsKey outside the deployment’s list, creating nothing', async () => {
    const error = await failure(call('CreateInferenceExperiment', experiment(OUTSIDE)));
    expect(error?.type).toBe('ValidationException');
    expect(error?.message).toMatch(/DataStorageConfig.KmsKey/);
    expect(await store.list(COLLECTIONS.inferenceExperiment)).toEqual([]);
  });

  it('writes the shadow’s captures under the experiment’s key', async () => {
    await call('CreateInferenceExperiment', experiment(ALLOWED));
    await call('StartInferenceExperiment', { Name: 'exp' });
    const endpoint = (await store.get<EndpointRecord>(COLLECTIONS.endpoint, 'ep'))?.data;
    const shadow = endpoint?.internal.shadows?.find((s) => s.experimentName === 'exp');
    expect(shadow?.kmsKeyId).toBe(ALLOWED);
    const message = buildMirrorMessage(
      {
        eventId: 'e-1',
        inferenceTime: new Date('2026-11-25T12:00:00Z'),
        endpointName: 'ep',
        variantName: 'main',
        requestBody: new TextEncoder().encode('1,2,3,4\n'),
        requestContentType: 'text/csv',
        responseBody: JSON.stringify({ predictions: [0.5] }),
        responseContentType: 'application/json',
        predictions: [0.5],
        modelLatencyUs: 100,
      },
      { capture: undefined, shadows: shadow ? [shadow] : [] },
    );
    const keys: (string | undefined)[] = [];
    const artifacts = new MemoryArtifactSource();
    artifacts.put('s3://m/v1.onnx', fixture('regressor.onnx'));
    await processShadowBatch([{ messageId: 'm1', body: JSON.stringify(message) }], {
      models: new ModelCache(artifacts),
      sink: {
        write: async (_location, _body, kmsKeyId) => void keys.push(kmsKeyId),
        readSpilled: async () => undefined,
        exists: async () => false,
      },
      deadLetters: { send: async () => undefined },
      comparisons: { record: async () => undefined },
      ledger: new InMemoryDeliveryLedger(),
      log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    });
    expect(keys).toEqual([ALLOWED]);
  });
});
