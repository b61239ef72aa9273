import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../lambdas/control/control-plane.js';
import { EndpointPackageUsage } from '../../lambdas/domain/hosting/package-usage.js';
import type { ControlContext } from '../../lambdas/domain/kernel/context.js';
import type { PlatformEvent } from '../../lambdas/domain/kernel/ports.js';
import { COLLECTIONS } from '../../lambdas/domain/kernel/records.js';
import { onnxModelProbe } from '../../lambdas/shared/model-probe.js';
import { errorOf } from '../support/api-error.js';
import { ConflictingStore } from '../support/conflicting-store.js';
import { InMemoryObjectStore } from '../support/in-memory-object-store.js';
import { InMemoryRegistryStore } from '../support/in-memory-registry-store.js';
import { fixture, MemoryArtifactSource } from '../support/models.js';

let ctx: ControlContext;
let store: InMemoryRegistryStore;
let events: PlatformEvent[];
// biome-ignore lint/suspicious/noExplicitAny: answers are read as the wire's JSON.
type Json = any;
const call = (op: string, input: unknown, as = ctx) => dispatch(as, op, input) as Promise<Json>;
const asKey = (accessKeyId: string, role: string): ControlContext => ({
  ...ctx,
  caller: { accessKeyId, role },
});

const spec = { Containers: [{ Image: 'x', ModelDataUrl: 's3://models/regressor.onnx' }] };

beforeEach(async () => {
  const artifacts = new MemoryArtifactSource();
  artifacts.put('s3://models/regressor.onnx', fixture('regressor.onnx'));
  const objects = new InMemoryObjectStore();
  await objects.putText('s3://reports/statistics.json', '{}', 'application/json');
  store = new InMemoryRegistryStore();
  events = [];
  let tick = 0;
  ctx = {
    store,
    artifacts,
    objects,
    packageUsage: new EndpointPackageUsage(store),
    events: { publish: async (e) => void events.push(e) },
    models: onnxModelProbe,
    region: 'us-east-1',
    accountId: '123456789012',
    caller: { accessKeyId: 'AKUSCREATOR', role: 'deployer' },
    // Each call one second later, so times in the history are distinguishable.
    now: () => new Date(Date.UTC(2026, 10, 25, 12, 0, tick++)),
  };
  await call('CreateModelPackageGroup', { ModelPackageGroupName: 'Fraud' });
});

describe('versions', () => {
  it('are consecutive under concurrent registrations, each conflict retried', async () => {
    const conflicting = new ConflictingStore(store, COLLECTIONS.modelPackageGroup, 5);
    const racing = { ...ctx, store: conflicting };
    const arns = await Promise.all(
      Array.from({ length: 12 }, () =>
        call('CreateModelPackage', { ModelPackageGroupName: 'Fraud', InferenceSpecification: spec }, racing),
      ),
    );
    const versions = arns
      .map((a) => Number(String(a.ModelPackageArn).split('/').pop()))
      .sort((a, b) => a - b);
    expect(versions).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(conflicting.refused).toBe(5);
    expect(conflicting.landed).toBe(12);
  });

  it('refuse a version of another group, and a group name that differs only in case', async () => {
    await call('CreateModelPackageGroup', { ModelPackageGroupName: 'other' });
    await call('CreateModelPackage', { ModelPackageGroupName: 'other', InferenceSpecification: spec });
    await call('CreateModelPackage', { ModelPackageGroupName: 'other', InferenceSpecification: spec });
    await call('CreateModelPackage', { ModelPackageGroupName: 'Fraud', InferenceSpecification: spec });
    const wrong = 'arn:aws:sagemaker:us-east-1:123456789012:model-package/fraud/2';
    expect((await errorOf(call('DescribeModelPackage', { ModelPackageName: wrong }))).message).toMatch(
      /does not exist/,
    );
    expect(
      (await errorOf(call('CreateModelPackageGroup', { ModelPackageGroupName: 'FRAUD' }))).message,
    ).toMatch(/already exists/);
  });
});

describe('approval and its history', () => {
  it('records who moved a package from what to what, and why', async () => {
    const { ModelPackageArn } = await call('CreateModelPackage', {
      ModelPackageGroupName: 'Fraud',
      InferenceSpecification: spec,
      ModelLifeCycle: { Stage: 'Development', StageStatus: 'InProgress' },
    });
    await call(
      'UpdateModelPackage',
      { ModelPackageArn, ModelApprovalStatus: 'Approved', ApprovalDescription: 'AUC 0.91' },
      asKey('AKUSALICE', 'admin'),
    );
    await call(
      'UpdateModelPackage',
      { ModelPackageArn, ModelApprovalStatus: 'Rejected', ApprovalDescription: 'leak found' },
      asKey('AKUSBOB', 'deployer'),
    );
    await call(
      'UpdateModelPackage',
      {
        ModelPackageArn,
        ModelApprovalStatus: 'Approved',
        ApprovalDescription: 'leak fixed upstream',
        ModelLifeCycle: { Stage: 'Production', StageStatus: 'Approved', StageDescription: 'go' },
      },
      asKey('AKUSALICE', 'admin'),
    );
    const { ModelPackageHistory: history } = await call('Understudy.ListModelPackageHistory', {
      ModelPackageArn,
    });
    expect(
      history.map((h: Json) => [
        h.Sequence,
        h.Action,
        h.Principal.AccessKeyId,
        h.From?.ModelApprovalStatus,
        h.To.ModelApprovalStatus,
        h.Reason,
      ]),
    ).toEqual([
      [1, 'Created', 'AKUSCREATOR', undefined, 'PendingManualApproval', undefined],
      [2, 'Updated', 'AKUSALICE', 'PendingManualApproval', 'Approved', 'AUC 0.91'],
      [3, 'Updated', 'AKUSBOB', 'Approved', 'Rejected', 'leak found'],
      [4, 'Updated', 'AKUSALICE', 'Rejected', 'Approved', 'leak fixed upstream'],
    ]);
    expect(history[3].To.ModelLifeCycle).toEqual({
      Stage: 'Production',
      StageStatus: 'Approved',
      StageDescription: 'go',
    });
    expect(history[3].From.ModelLifeCycle).toEqual({ Stage: 'Development', StageStatus: 'InProgress' });
    expect(new Set(history.map((h: Json) => h.Time)).size).toBe(4);
    const described = await call('DescribeModelPackage', { ModelPackageName: ModelPackageArn });
    expect(described.CreatedBy).toEqual({ UserProfileName: 'AKUSCREATOR' });
    expect(described.LastModifiedBy).toEqual({ UserProfileName: 'AKUSALICE' });
    expect(described.LastModifiedTime).toBe(history[3].Time);
    // Creation and every approval or life-cycle move is an event.
    expect(events.map((e) => [e.source, e.detailType, (e.detail as Json).ModelApprovalStatus])).toEqual([
      ['understudy.sagemaker', 'SageMaker Model Package State Change', 'PendingManualApproval'],
      ['understudy.sagemaker', 'SageMaker Model Package State Change', 'Approved'],
      ['understudy.sagemaker', 'SageMaker Model Package State Change', 'Rejected'],
      ['understudy.sagemaker', 'SageMaker Model Package State Change', 'Approved'],
    ]);
    expect(events[0]?.resources).toEqual([ModelPackageArn]);
    expect((events[0]?.detail as Json)?.CreationTime).toBe('2026-11-25T12:00:01Z');
  });

  it('refuses going back to pending, changing nothing', async () => {
    const { ModelPackageArn } = await call('CreateModelPackage', {
      ModelPackageGroupName: 'Fraud',
      InferenceSpecification: spec,
      ModelApprovalStatus: 'Rejected',
    });
    const error = await errorOf(
      call('UpdateModelPackage', { ModelPackageArn, ModelApprovalStatus: 'PendingManualApproval' }),
    );
    expect(error.type).toBe('ValidationException');
    expect(error.message).toMatch(/cannot go from Rejected to PendingManualApproval/);
    expect(
      (await call('Understudy.ListModelPackageHistory', { ModelPackageArn })).ModelPackageHistory,
    ).toHaveLength(1);
  });

  it('will not reject or delete a package that serves an endpoint unless forced, and says which', async () => {
    const { ModelPackageArn } = await call('CreateModelPackage', {
      ModelPackageGroupName: 'Fraud',
      InferenceSpecification: spec,
      ModelApprovalStatus: 'Approved',
    });
    await call('CreateModel', { ModelName: 'm', PrimaryContainer: { ModelPackageName: ModelPackageArn } });
    await call('CreateEndpointConfig', {
      EndpointConfigName: 'c',
      ProductionVariants: [{ VariantName: 'v', ModelName: 'm' }],
    });
    await call('CreateEndpoint', { EndpointName: 'live', EndpointConfigName: 'c' });
    for (const attempt of [
      call('UpdateModelPackage', { ModelPackageArn, ModelApprovalStatus: 'Rejected' }),
      call('DeleteModelPackage', { ModelPackageName: ModelPackageArn }),
    ]) {
      const error = await errorOf(attempt);
      expect(error.type).toBe('ConflictException');
      expect(error.message).toMatch(/serves endpoint\(s\) live/);
    }
    expect(
      (await call('DescribeModelPackage', { ModelPackageName: ModelPackageArn })).ModelApprovalStatus,
    ).toBe('Approved');
    await call('Understudy.ForceRejectModelPackage', { ModelPackageArn, Reason: 'CVE in the feature code' });
    await call('Understudy.ForceDeleteModelPackage', {
      ModelPackageName: ModelPackageArn,
      Reason: 'withdrawn',
    });
    const { ModelPackageHistory: history } = await call('Understudy.ListModelPackageHistory', {
      ModelPackageArn,
      SortOrder: 'Descending',
    });
    expect(history.map((h: Json) => [h.Action, h.Reason, h.ForcedOverEndpoints])).toEqual([
      ['Deleted', 'withdrawn', ['live']],
      ['Updated', 'CVE in the feature code', ['live']],
      ['Created', undefined, undefined],
    ]);
  });
});

describe('metrics and metadata', () => {
  it('records the artifact digest and size, and refuses an unreadable report, creating nothing', async () => {
    const { ModelPackageArn } = await call('CreateModelPackage', {
      ModelPackageGroupName: 'Fraud',
      InferenceSpecification: spec,
      ModelMetrics: {
        ModelDataQuality: {
          Statistics: { ContentType: 'application/json', S3Uri: 's3://reports/statistics.json' },
        },
      },
      CustomerMetadataProperties: { dataset: 's3://data/train.csv' },
      ModelCard: { ModelCardContent: '{"model_overview": {}}', ModelCardStatus: 'Draft' },
    });
    const described = await call('DescribeModelPackage', { ModelPackageName: ModelPackageArn });
    const bytes = fixture('regressor.onnx');
    expect(described.UnderstudyArtifact).toEqual({
      S3Uri: 's3://models/regressor.onnx',
      Sha256: createHash('sha256').update(bytes).digest('hex'),
      SizeBytes: bytes.byteLength,
    });
    expect(described.CustomerMetadataProperties).toEqual({ dataset: 's3://data/train.csv' });
    const missing = await errorOf(
      call('CreateModelPackage', {
        ModelPackageGroupName: 'Fraud',
        InferenceSpecification: spec,
        DriftCheckBaselines: {
          ModelDataQuality: {
            Constraints: { ContentType: 'application/json', S3Uri: 's3://reports/constraints.json' },
          },
        },
      }),
    );
    expect(missing.type).toBe('ValidationException');
    expect(missing.message).toMatch(
      /DriftCheckBaselines\.ModelDataQuality\.Constraints\.S3Uri s3:\/\/reports\/constraints\.json/,
    );
    expect(
      (await call('ListModelPackages', { ModelPackageGroupName: 'Fraud' })).ModelPackageSummaryList,
    ).toHaveLength(1);
  });
});
