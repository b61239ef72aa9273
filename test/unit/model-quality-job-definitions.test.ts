import { beforeEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../lambdas/control/control-plane.js';
import type { ControlContext } from '../../lambdas/domain/kernel/context.js';
import { COLLECTIONS } from '../../lambdas/domain/kernel/records.js';
import { onnxModelProbe } from '../../lambdas/shared/model-probe.js';
import { errorOf } from '../support/api-error.js';
import { InMemoryObjectStore } from '../support/in-memory-object-store.js';
import { InMemoryRegistryStore } from '../support/in-memory-registry-store.js';
import { fixture, MemoryArtifactSource } from '../support/models.js';

let ctx: ControlContext;
let store: InMemoryRegistryStore;
const call = (op: string, input: unknown) => dispatch(ctx, op, input) as Promise<Record<string, unknown>>;
const ROLE = 'arn:aws:iam::123456789012:role/monitor';

function modelQualityDefinition(
  name: string,
  options: {
    problemType?: string | null;
    endpointInput?: Record<string, unknown>;
    groundTruth?: string;
    constraints?: string;
    output?: string;
  } = {},
) {
  return {
    JobDefinitionName: name,
    ...(options.constraints
      ? { ModelQualityBaselineConfig: { ConstraintsResource: { S3Uri: options.constraints } } }
      : {}),
    ModelQualityAppSpecification: {
      ImageUri: '156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer',
      ...(options.problemType === null ? {} : { ProblemType: options.problemType ?? 'BinaryClassification' }),
    },
    ModelQualityJobInput: {
      EndpointInput: {
        EndpointName: 'ep',
        LocalPath: '/opt/ml/processing/input',
        InferenceAttribute: '0',
        StartTimeOffset: '-PT2H',
        EndTimeOffset: '-PT1H',
        ...options.endpointInput,
      },
      GroundTruthS3Input: { S3Uri: options.groundTruth ?? 's3://b/ground-truth' },
    },
    ModelQualityJobOutputConfig: {
      MonitoringOutputs: [
        { S3Output: { S3Uri: options.output ?? 's3://b/reports', LocalPath: '/opt/ml/processing/output' } },
      ],
    },
    JobResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 20 } },
    RoleArn: ROLE,
  };
}

beforeEach(async () => {
  const artifacts = new MemoryArtifactSource();
  artifacts.put('s3://m/row-sum.onnx', fixture('row-sum.onnx'));
  store = new InMemoryRegistryStore();
  ctx = {
    store,
    artifacts,
    objects: new InMemoryObjectStore(),
    models: onnxModelProbe,
    region: 'us-east-1',
    accountId: '123456789012',
    caller: { accessKeyId: 'AKUSTEST', role: 'admin' },
    now: () => new Date('2026-11-25T12:00:00Z'),
  };
  await call('CreateModel', { ModelName: 'm', PrimaryContainer: { ModelDataUrl: 's3://m/row-sum.onnx' } });
  await call('CreateEndpointConfig', {
    EndpointConfigName: 'c',
    ProductionVariants: [{ VariantName: 'main', ModelName: 'm' }],
  });
  await call('CreateEndpoint', { EndpointName: 'ep', EndpointConfigName: 'c' });
});

describe('model-quality job definitions', () => {
  it('creates, describes, lists, tags and deletes one', async () => {
    const created = await call('CreateModelQualityJobDefinition', {
      ...modelQualityDefinition('mq', { constraints: 's3://b/baseline/constraints.json' }),
      Tags: [{ Key: 'team', Value: 'risk' }],
    });
    expect(created.JobDefinitionArn).toBe(
      'arn:aws:sagemaker:us-east-1:123456789012:model-quality-job-definition/mq',
    );
    const described = await call('DescribeModelQualityJobDefinition', { JobDefinitionName: 'mq' });
    expect(described).toMatchObject({
      JobDefinitionName: 'mq',
      ModelQualityAppSpecification: { ProblemType: 'BinaryClassification' },
      ModelQualityJobInput: { GroundTruthS3Input: { S3Uri: 's3://b/ground-truth' } },
      ModelQualityBaselineConfig: { ConstraintsResource: { S3Uri: 's3://b/baseline/constraints.json' } },
    });
    expect(described).not.toHaveProperty('internal');
    const tags = await call('ListTags', { ResourceArn: created.JobDefinitionArn });
    expect(tags.Tags).toEqual([{ Key: 'team', Value: 'risk' }]);
    const listed = await call('ListModelQualityJobDefinitions', { EndpointName: 'ep' });
    expect(listed.JobDefinitionSummaries).toEqual([
      expect.objectContaining({ MonitoringJobDefinitionName: 'mq', EndpointName: 'ep' }),
    ]);
    expect(
      (await call('ListModelQualityJobDefinitions', { EndpointName: 'other' })).JobDefinitionSummaries,
    ).toEqual([]);
    // The data-quality listing does not see it.
    expect((await call('ListDataQualityJobDefinitions', {})).JobDefinitionSummaries).toEqual([]);
    expect((await errorOf(call('CreateModelQualityJobDefinition', modelQualityDefinition('mq')))).type).toBe(
      'ResourceInUse',
    );
    await call('DeleteModelQualityJobDefinition', { JobDefinitionName: 'mq' });
    expect((await errorOf(call('DescribeModelQualityJobDefinition', { JobDefinitionName: 'mq' }))).type).toBe(
      'ResourceNotFound',
    );
    expect((await errorOf(call('DeleteModelQualityJobDefinition', { JobDefinitionName: 'mq' }))).type).toBe(
      'ResourceNotFound',
    );
  });

  it.each([
    ['an unknown endpoint', { endpointInput: { EndpointName: 'nope' } }, /Could not find endpoint/],
    ['no problem type', { problemType: null }, /ProblemType/],
    [
      'binary classification without inference or probability',
      { endpointInput: { InferenceAttribute: undefined } },
      /InferenceAttribute .*or ProbabilityAttribute/,
    ],
    [
      'binary classification with a probability but no threshold',
      { endpointInput: { InferenceAttribute: undefined, ProbabilityAttribute: '0' } },
      /ProbabilityThresholdAttribute/,
    ],
    [
      'a threshold outside [0, 1]',
      { endpointInput: { ProbabilityAttribute: '1', ProbabilityThresholdAttribute: 1.5 } },
      /between 0 and 1/,
    ],
    [
      'multiclass classification without an inference attribute',
      { problemType: 'MulticlassClassification', endpointInput: { InferenceAttribute: undefined } },
      /MulticlassClassification needs/,
    ],
    [
      'regression with a probability',
      { problemType: 'Regression', endpointInput: { ProbabilityAttribute: '1' } },
      /Regression takes no ProbabilityAttribute/,
    ],
    ['a non-s3 ground truth URI', { groundTruth: 'https://example.com/labels' }, /GroundTruthS3Input/],
    ['a non-s3 constraints URI', { constraints: 'https://example.com/c.json' }, /ConstraintsResource/],
    ['a non-s3 output URI', { output: 'https://example.com/out' }, /S3Output/],
    [
      'an offset looking forward',
      { endpointInput: { StartTimeOffset: 'PT1H', EndTimeOffset: 'PT2H' } },
      /negative durations/,
    ],
    [
      'a start offset after the end offset',
      { endpointInput: { StartTimeOffset: '-PT1H', EndTimeOffset: '-PT2H' } },
      /earlier than/,
    ],
    ['one offset only', { endpointInput: { EndTimeOffset: undefined } }, /both StartTimeOffset/],
    ['a malformed offset', { endpointInput: { StartTimeOffset: '-P1X' } }, /ISO 8601/],
  ])('refuses %s with a ValidationException and creates nothing', async (_what, options, message) => {
    const error = await errorOf(
      call('CreateModelQualityJobDefinition', modelQualityDefinition('bad', options)),
    );
    expect(error.type).toBe('ValidationException');
    expect(error.statusCode).toBe(400);
    expect(error.message).toMatch(message);
    expect(await store.list(COLLECTIONS.modelQualityJobDefinition)).toEqual([]);
    expect(await store.list(COLLECTIONS.tags)).toEqual([]);
  });

  it('accepts a binary probability with its threshold and regression with an inference attribute', async () => {
    await call(
      'CreateModelQualityJobDefinition',
      modelQualityDefinition('prob', {
        endpointInput: {
          InferenceAttribute: undefined,
          ProbabilityAttribute: '0',
          ProbabilityThresholdAttribute: 0.5,
        },
      }),
    );
    await call(
      'CreateModelQualityJobDefinition',
      modelQualityDefinition('reg', { problemType: 'Regression' }),
    );
    expect((await call('ListModelQualityJobDefinitions', {})).JobDefinitionSummaries).toHaveLength(2);
  });
});
