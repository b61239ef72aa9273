import { beforeEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../lambdas/control/control-plane.js';
import { EndpointPackageUsage } from '../../lambdas/domain/hosting/package-usage.js';
import type { ControlContext } from '../../lambdas/domain/kernel/context.js';
import { ApiError } from '../../lambdas/domain/kernel/errors.js';
import { onnxModelProbe } from '../../lambdas/shared/model-probe.js';
import { InMemoryRegistryStore } from '../support/in-memory-registry-store.js';
import { fixture, MemoryArtifactSource } from '../support/models.js';

let ctx: ControlContext;
let artifacts: MemoryArtifactSource;
const call = (op: string, input: unknown) => dispatch(ctx, op, input) as Promise<Record<string, unknown>>;

async function expectError(promise: Promise<unknown>, type: string, message: RegExp) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  expect((error as ApiError).type).toBe(type);
  expect((error as ApiError).message).toMatch(message);
}

beforeEach(() => {
  artifacts = new MemoryArtifactSource();
  artifacts.put('s3://models/regressor.onnx', fixture('regressor.onnx'));
  artifacts.put('s3://models/regressor.tar.gz', fixture('regressor.tar.gz'));
  artifacts.put('s3://models/junk.onnx', fixture('not-a-model.onnx'));
  const store = new InMemoryRegistryStore();
  ctx = {
    store,
    packageUsage: new EndpointPackageUsage(store),
    artifacts,
    models: onnxModelProbe,
    region: 'us-east-1',
    accountId: '123456789012',
    caller: { accessKeyId: 'AKUSTEST', role: 'admin' },
    now: () => new Date('2026-11-25T12:00:00Z'),
  };
});

async function registerApprovedModel(name = 'm1') {
  await call('CreateModelPackageGroup', { ModelPackageGroupName: 'fraud' });
  const { ModelPackageArn } = await call('CreateModelPackage', {
    ModelPackageGroupName: 'fraud',
    InferenceSpecification: {
      Containers: [{ Image: 'whatever', ModelDataUrl: 's3://models/regressor.tar.gz' }],
      SupportedContentTypes: ['text/csv'],
      SupportedResponseMIMETypes: ['application/json'],
    },
    ModelApprovalStatus: 'Approved',
  });
  await call('CreateModel', { ModelName: name, PrimaryContainer: { ModelPackageName: ModelPackageArn } });
  return ModelPackageArn as string;
}

describe('model packages', () => {
  it('versions packages inside a group with SageMaker ARNs', async () => {
    await call('CreateModelPackageGroup', { ModelPackageGroupName: 'Fraud-Detector' });
    const spec = { Containers: [{ Image: 'x', ModelDataUrl: 's3://models/regressor.onnx' }] };
    const first = await call('CreateModelPackage', {
      ModelPackageGroupName: 'Fraud-Detector',
      InferenceSpecification: spec,
    });
    const second = await call('CreateModelPackage', {
      ModelPackageGroupName: 'Fraud-Detector',
      InferenceSpecification: spec,
    });
    expect(first.ModelPackageArn).toBe(
      'arn:aws:sagemaker:us-east-1:123456789012:model-package/fraud-detector/1',
    );
    expect(second.ModelPackageArn).toMatch(/fraud-detector\/2$/);
    const described = await call('DescribeModelPackage', { ModelPackageName: second.ModelPackageArn });
    expect(described).toMatchObject({
      ModelPackageGroupName: 'Fraud-Detector',
      ModelPackageVersion: 2,
      ModelApprovalStatus: 'PendingManualApproval',
      ModelPackageStatus: 'Completed',
    });
    expect(described).not.toHaveProperty('internal');
    const listed = await call('ListModelPackages', {
      ModelPackageGroupName: 'Fraud-Detector',
      SortOrder: 'Ascending',
    });
    expect(
      (listed.ModelPackageSummaryList as { ModelPackageVersion: number }[]).map((p) => p.ModelPackageVersion),
    ).toEqual([1, 2]);
    await call('UpdateModelPackage', {
      ModelPackageArn: first.ModelPackageArn,
      ModelApprovalStatus: 'Approved',
    });
    const approved = await call('ListModelPackages', { ModelApprovalStatus: 'Approved' });
    expect(approved.ModelPackageSummaryList).toHaveLength(1);
  });

  it('refuses an artifact that is not ONNX or does not exist, creating nothing', async () => {
    await call('CreateModelPackageGroup', { ModelPackageGroupName: 'g' });
    await expectError(
      call('CreateModelPackage', {
        ModelPackageGroupName: 'g',
        InferenceSpecification: { Containers: [{ Image: 'x', ModelDataUrl: 's3://models/junk.onnx' }] },
      }),
      'ValidationException',
      /s3:\/\/models\/junk.onnx is not a servable ONNX model: not a valid ONNX model/,
    );
    await expectError(
      call('CreateModel', { ModelName: 'm', PrimaryContainer: { ModelDataUrl: 's3://models/missing.onnx' } }),
      'ValidationException',
      /Could not find model data at s3:\/\/models\/missing.onnx/,
    );
    expect((await call('ListModelPackages', { ModelPackageGroupName: 'g' })).ModelPackageSummaryList).toEqual(
      [],
    );
    expect((await call('ListModels', {})).Models).toEqual([]);
  });

  it('will not delete a group that still holds packages', async () => {
    const arn = await registerApprovedModel();
    await expectError(
      call('DeleteModelPackageGroup', { ModelPackageGroupName: 'fraud' }),
      'ConflictException',
      /still holds 1/,
    );
    await call('DeleteModelPackage', { ModelPackageName: arn });
    await call('DeleteModelPackageGroup', { ModelPackageGroupName: 'fraud' });
    await expectError(
      call('DescribeModelPackageGroup', { ModelPackageGroupName: 'fraud' }),
      'ValidationException',
      /does not exist/,
    );
  });
});

describe('endpoints', () => {
  it('goes InService once every variant loads', async () => {
    await registerApprovedModel('m1');
    await call('CreateModel', {
      ModelName: 'm2',
      PrimaryContainer: { Image: 'i', ModelDataUrl: 's3://models/regressor.onnx' },
    });
    await call('CreateEndpointConfig', {
      EndpointConfigName: 'cfg',
      ProductionVariants: [
        {
          VariantName: 'blue',
          ModelName: 'm1',
          InitialVariantWeight: 3,
          ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5 },
        },
        { VariantName: 'green', ModelName: 'm2' },
      ],
    });
    await call('CreateEndpoint', { EndpointName: 'ep', EndpointConfigName: 'cfg' });
    const ep = await call('DescribeEndpoint', { EndpointName: 'ep' });
    expect(ep).toMatchObject({
      EndpointName: 'ep',
      EndpointArn: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/ep',
      EndpointStatus: 'InService',
      ProductionVariants: [
        {
          VariantName: 'blue',
          CurrentWeight: 3,
          DesiredWeight: 3,
          CurrentServerlessConfig: { MemorySizeInMB: 2048 },
        },
        { VariantName: 'green', CurrentWeight: 1 },
      ],
    });
    expect((await call('ListEndpoints', { StatusEquals: 'InService' })).Endpoints).toHaveLength(1);
  });

  it('fails with a reason naming the variant when an artifact changed after registration', async () => {
    await call('CreateModel', {
      ModelName: 'm',
      PrimaryContainer: { ModelDataUrl: 's3://models/regressor.onnx' },
    });
    await call('CreateEndpointConfig', {
      EndpointConfigName: 'c',
      ProductionVariants: [{ VariantName: 'v', ModelName: 'm' }],
    });
    artifacts.put('s3://models/regressor.onnx', fixture('regressor-v2.onnx'));
    await call('CreateEndpoint', { EndpointName: 'e', EndpointConfigName: 'c' });
    const ep = await call('DescribeEndpoint', { EndpointName: 'e' });
    expect(ep.EndpointStatus).toBe('Failed');
    expect(ep.FailureReason).toMatch(
      /Variant v \(model m, s3:\/\/models\/regressor.onnx\).*changed since registration/,
    );
  });

  it('only lets an Approved package back a variant', async () => {
    const arn = await registerApprovedModel('m1');
    await call('UpdateModelPackage', { ModelPackageArn: arn, ModelApprovalStatus: 'Rejected' });
    await expectError(
      call('CreateEndpointConfig', {
        EndpointConfigName: 'c',
        ProductionVariants: [{ VariantName: 'v', ModelName: 'm1' }],
      }),
      'ValidationException',
      /is Rejected: only an Approved model package may back an endpoint variant/,
    );
    await call('UpdateModelPackage', { ModelPackageArn: arn, ModelApprovalStatus: 'Approved' });
    await call('CreateEndpointConfig', {
      EndpointConfigName: 'c',
      ProductionVariants: [{ VariantName: 'v', ModelName: 'm1' }],
    });
    await expectError(
      call('UpdateModelPackage', { ModelPackageArn: arn, ModelApprovalStatus: 'PendingManualApproval' }),
      'ValidationException',
      /cannot go from Approved to PendingManualApproval: Approved may only become Rejected/,
    );
    // A config is not an endpoint: nothing serves the package yet, so it may be rejected.
    await call('UpdateModelPackage', { ModelPackageArn: arn, ModelApprovalStatus: 'Rejected' });
    await expectError(
      call('CreateEndpoint', { EndpointName: 'e', EndpointConfigName: 'c' }),
      'ValidationException',
      /is Rejected/,
    );
    await expectError(
      call('DescribeEndpoint', { EndpointName: 'e' }),
      'ValidationException',
      /Could not find endpoint/,
    );
  });

  it.each([
    [
      'a negative weight',
      [{ VariantName: 'v', ModelName: 'm', InitialVariantWeight: -1 }],
      /greater than or equal to 0/,
    ],
    ['all-zero weights', [{ VariantName: 'v', ModelName: 'm', InitialVariantWeight: 0 }], /must be positive/],
    [
      'a duplicate variant',
      [
        { VariantName: 'v', ModelName: 'm' },
        { VariantName: 'v', ModelName: 'm' },
      ],
      /used more than once/,
    ],
    ['an unknown model', [{ VariantName: 'v', ModelName: 'nope' }], /Could not find model/],
    ['a bad variant name', [{ VariantName: 'under_score', ModelName: 'm' }], /regular expression pattern/],
  ])('refuses a config with %s', async (_, variants, message) => {
    await call('CreateModel', {
      ModelName: 'm',
      PrimaryContainer: { ModelDataUrl: 's3://models/regressor.onnx' },
    });
    await expectError(
      call('CreateEndpointConfig', { EndpointConfigName: 'c', ProductionVariants: variants }),
      'ValidationException',
      message,
    );
    expect((await call('ListEndpointConfigs', {})).EndpointConfigs).toEqual([]);
  });

  it('refuses duplicates, missing fields, unknown members and unknown operations', async () => {
    await expectError(
      call('CreateEndpoint', { EndpointName: 'e' }),
      'ValidationException',
      /'endpointConfigName' failed to satisfy constraint: Member must not be null/,
    );
    await expectError(
      call('DescribeEndpoint', { EndpointName: 'e', Bogus: 1 }),
      'ValidationException',
      /Unknown member 'Bogus'/,
    );
    await expectError(
      call('CreateHyperParameterTuningJob', {}),
      'UnknownOperationException',
      /CreateHyperParameterTuningJob/,
    );
    await call('CreateModelPackageGroup', { ModelPackageGroupName: 'g' });
    await expectError(
      call('CreateModelPackageGroup', { ModelPackageGroupName: 'g' }),
      'ValidationException',
      /already exists/,
    );
  });

  it('pages list results with NextToken', async () => {
    for (const name of ['a', 'b', 'c']) {
      await call('CreateModel', {
        ModelName: name,
        PrimaryContainer: { ModelDataUrl: 's3://models/regressor.onnx' },
      });
    }
    const first = await call('ListModels', { MaxResults: 2, SortBy: 'Name', SortOrder: 'Ascending' });
    expect((first.Models as { ModelName: string }[]).map((m) => m.ModelName)).toEqual(['a', 'b']);
    const second = await call('ListModels', {
      MaxResults: 2,
      SortBy: 'Name',
      SortOrder: 'Ascending',
      NextToken: first.NextToken,
    });
    expect((second.Models as { ModelName: string }[]).map((m) => m.ModelName)).toEqual(['c']);
    expect(second.NextToken).toBeUndefined();
    await expectError(
      call('ListModels', { NextToken: 'garbage' }),
      'ValidationException',
      /NextToken is not valid/,
    );
  });
});
