import { beforeEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../lambdas/control/control-plane.js';
import {
  type CaptureIndex,
  type CaptureIndexEntry,
  RegistryCaptureIndex,
} from '../../lambdas/domain/data-capture/capture-index.js';
import { newEventId } from '../../lambdas/domain/data-capture/capture-record.js';
import { ModelCache } from '../../lambdas/domain/inference/model-cache.js';
import type { ControlContext } from '../../lambdas/domain/kernel/context.js';
import type { StepMessage } from '../../lambdas/domain/kernel/ports.js';
import { buildMirrorMessage } from '../../lambdas/domain/mirroring/mirror.js';
import { processShadowBatch } from '../../lambdas/domain/mirroring/mirror-batch.js';
import { onnxModelProbe } from '../../lambdas/shared/model-probe.js';
import { errorOf } from '../support/api-error.js';
import { InMemoryDeliveryLedger } from '../support/delivery-ledger.js';
import { InMemoryRegistryStore } from '../support/in-memory-registry-store.js';
import { MemoryArtifactSource } from '../support/models.js';

let ctx: ControlContext;
let store: InMemoryRegistryStore;
let artifacts: MemoryArtifactSource;
let clock: number;
const sent: StepMessage[] = [];
const call = (op: string, input: unknown) => dispatch(ctx, op, input) as Promise<Record<string, unknown>>;
const rules = { csvContentTypes: ['text/csv'], jsonContentTypes: ['application/json'] };
const capture = { destination: 's3://captures/prod', captureInput: true, captureOutput: true, ...rules };

beforeEach(async () => {
  artifacts = new MemoryArtifactSource();
  artifacts.register('regressor.onnx', 's3://models');
  artifacts.register('regressor-v2.onnx', 's3://models');
  store = new InMemoryRegistryStore();
  clock = Date.parse('2026-11-25T12:00:00Z');
  ctx = {
    store,
    artifacts,
    models: onnxModelProbe,
    region: 'us-east-1',
    accountId: '123456789012',
    caller: { accessKeyId: 'AKUSTEST', role: 'admin' },
    deployments: {
      alarms: { states: async () => new Map() },
      scheduler: { schedule: async (m) => void sent.push(m) },
    },
    now: () => new Date(clock),
  };
  await call('CreateModelPackageGroup', { ModelPackageGroupName: 'fraud' });
  for (const [version, file] of [
    [1, 'regressor.onnx'],
    [2, 'regressor-v2.onnx'],
  ] as const) {
    const { ModelPackageArn } = await call('CreateModelPackage', {
      ModelPackageGroupName: 'fraud',
      InferenceSpecification: { Containers: [{ Image: 'onnx', ModelDataUrl: `s3://models/${file}` }] },
      ModelApprovalStatus: 'Approved',
      CustomerMetadataProperties: { TrainingDataS3Uri: `s3://data/train-v${version}.csv` },
    });
    await call('CreateModel', {
      ModelName: `m${version}`,
      PrimaryContainer: { ModelPackageName: ModelPackageArn },
    });
    // Both configs name their variant AllTraffic: only the config tells the versions apart.
    await call('CreateEndpointConfig', {
      EndpointConfigName: `c${version}`,
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: `m${version}` }],
    });
  }
  await call('CreateEndpoint', { EndpointName: 'fraud', EndpointConfigName: 'c1' });
  clock += 60_000;
  await call('UpdateEndpoint', {
    EndpointName: 'fraud',
    EndpointConfigName: 'c2',
    DeploymentConfig: {
      BlueGreenUpdatePolicy: {
        TrafficRoutingConfiguration: {
          Type: 'CANARY',
          CanarySize: { Type: 'CAPACITY_PERCENT', Value: 50 },
          WaitIntervalInSeconds: 600,
        },
      },
    },
  });
  clock += 1000;
});

function delivery(endpointConfigName: string, inferenceId?: string) {
  const eventId = newEventId();
  const message = buildMirrorMessage(
    {
      eventId,
      inferenceId,
      inferenceTime: new Date(clock),
      endpointName: 'fraud',
      variantName: 'AllTraffic',
      endpointConfigName,
      requestBody: new TextEncoder().encode('1,2,3,4\n'),
      requestContentType: 'text/csv',
      responseBody: JSON.stringify({ predictions: [1] }),
      responseContentType: 'application/json',
      predictions: [1],
      modelLatencyUs: 20,
    },
    { capture: { ...capture, enabled: true, samplingPercentage: 100 }, shadows: [] },
  );
  return { eventId, delivery: { messageId: eventId, body: JSON.stringify(message) } };
}

async function consume(deliveries: { messageId: string; body: string }[], captureIndex: CaptureIndex) {
  const written = new Map<string, string>();
  const outcome = await processShadowBatch(deliveries, {
    models: new ModelCache(artifacts),
    sink: {
      write: async (at, body) => void written.set(`s3://${at.bucket}/${at.key}`, body),
      readSpilled: async () => undefined,
      exists: async (uri) => written.has(uri),
    },
    deadLetters: { send: async () => undefined },
    comparisons: { record: async () => undefined },
    ledger: new InMemoryDeliveryLedger(),
    captureIndex,
  });
  return { outcome, written };
}

describe('Understudy.TraceInference', () => {
  it('names the version that answered each request of a canary, its artifact, approval and training data', async () => {
    const old = delivery('c1', 'req-old');
    const canary = delivery('c2');
    const { written } = await consume([old.delivery, canary.delivery], new RegistryCaptureIndex(store));
    const oldTrace = await call('Understudy.TraceInference', {
      EndpointName: 'fraud',
      InferenceId: 'req-old',
    });
    const newTrace = await call('Understudy.TraceInference', {
      EndpointName: 'fraud',
      EventId: canary.eventId,
    });
    expect(oldTrace).toMatchObject({
      EventId: old.eventId,
      VariantName: 'AllTraffic',
      EndpointConfigName: 'c1',
      ModelName: 'm1',
      TrafficShare: 0.5,
      ModelPackageArn: 'arn:aws:sagemaker:us-east-1:123456789012:model-package/fraud/1',
      ModelPackageVersion: 1,
      ModelArtifact: {
        S3Uri: 's3://models/regressor.onnx',
        Sha256: artifacts.register('regressor.onnx', 's3://models').sha256,
      },
      Approval: { StatusWhenDeployed: 'Approved', CurrentStatus: 'Approved' },
      Deployment: { DeploymentType: 'UpdateEndpoint' },
      Lineage: { TrainingData: [{ SourceUri: 's3://data/train-v1.csv' }] },
    });
    expect(newTrace).toMatchObject({
      EndpointConfigName: 'c2',
      ModelPackageVersion: 2,
      ModelArtifact: { Sha256: artifacts.register('regressor-v2.onnx', 's3://models').sha256 },
      Lineage: { TrainingData: [{ SourceUri: 's3://data/train-v2.csv' }] },
    });
    // The index points at the object that holds the line.
    const object = written.get(newTrace.CaptureS3Uri as string) ?? '';
    expect(object).toContain(canary.eventId);
  });

  it('refuses an unknown EventId, both ids at once, and an ambiguous InferenceId, with typed errors', async () => {
    const a = delivery('c1', 'same');
    const b = delivery('c2', 'same');
    await consume([a.delivery, b.delivery], new RegistryCaptureIndex(store));
    const unknown = await errorOf(
      call('Understudy.TraceInference', { EndpointName: 'fraud', EventId: 'nope' }),
    );
    expect(unknown).toMatchObject({ type: 'ResourceNotFound', statusCode: 400 });
    const both = await errorOf(
      call('Understudy.TraceInference', { EndpointName: 'fraud', EventId: a.eventId, InferenceId: 'same' }),
    );
    expect(both.type).toBe('ValidationException');
    const ambiguous = await errorOf(
      call('Understudy.TraceInference', { EndpointName: 'fraud', InferenceId: 'same' }),
    );
    expect(ambiguous.type).toBe('ValidationException');
    expect(ambiguous.message).toContain(a.eventId);
  });

  it('writes no capture object when its index entries could not be written, and retries the events', async () => {
    const failing: CaptureIndex = {
      record: async (_entries: readonly CaptureIndexEntry[]) => {
        throw new Error('throttled');
      },
    };
    const one = delivery('c1');
    const { outcome, written } = await consume([one.delivery], failing);
    expect(written.size).toBe(0);
    expect(outcome.retry).toEqual([one.eventId]);
  });
});
