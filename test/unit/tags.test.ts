import { beforeEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../lambdas/control/control-plane.js';
import { EndpointPackageUsage } from '../../lambdas/domain/hosting/package-usage.js';
import type { ControlContext } from '../../lambdas/domain/kernel/context.js';
import { COLLECTIONS } from '../../lambdas/domain/kernel/records.js';
import { listTags } from '../../lambdas/domain/tags/tags.js';
import { onnxModelProbe } from '../../lambdas/shared/model-probe.js';
import { errorOf } from '../support/api-error.js';
import { InMemoryRegistryStore } from '../support/in-memory-registry-store.js';
import { fixture, MemoryArtifactSource } from '../support/models.js';

// SageMaker's documented limits (Tag, TagKey, TagValue in the API reference), written out
// here rather than read from the code or the generated model.
const MAX_TAGS = 50;
const MAX_KEY = 128;
const MAX_VALUE = 256;

const ACCOUNT_ARN = 'arn:aws:sagemaker:us-east-1:123456789012';
const ROLE = 'arn:aws:iam::123456789012:role/x';

let ctx: ControlContext;
let store: InMemoryRegistryStore;
const call = (op: string, input: unknown) => dispatch(ctx, op, input) as Promise<Record<string, unknown>>;

const tag = (Key: string, Value = '') => ({ Key, Value });
const tagsOf = async (ResourceArn: string) => (await call('ListTags', { ResourceArn })).Tags;
const many = (n: number, prefix = 'k') => Array.from({ length: n }, (_, i) => tag(`${prefix}${i}`, `v${i}`));

const model = (name: string, Tags?: unknown[]) => ({
  ModelName: name,
  PrimaryContainer: { ModelDataUrl: 's3://m/row-sum.onnx' },
  ...(Tags ? { Tags } : {}),
});

beforeEach(() => {
  const artifacts = new MemoryArtifactSource();
  artifacts.put('s3://m/row-sum.onnx', fixture('row-sum.onnx'));
  store = new InMemoryRegistryStore();
  ctx = {
    store,
    artifacts,
    models: onnxModelProbe,
    region: 'us-east-1',
    accountId: '123456789012',
    caller: { accessKeyId: 'AKUSTEST', role: 'admin' },
    now: () => new Date('2026-11-25T12:00:00Z'),
    packageUsage: new EndpointPackageUsage(store),
  };
});

describe('Tags on every Create', () => {
  it('records the Tags of each resource kind, and ListTags returns them', async () => {
    const infra = {
      InfrastructureType: 'RealTimeInference',
      RealTimeInferenceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
    };
    const arns: Record<string, string> = {};
    const created = async (op: string, input: Record<string, unknown>, arnField: string) => {
      const out = await call(op, { ...input, Tags: [tag('made-by', op)] });
      arns[op] = out[arnField] as string;
    };
    await created('CreateModel', model('champion'), 'ModelArn');
    await call('CreateModel', model('challenger'));
    await created(
      'CreateEndpointConfig',
      {
        EndpointConfigName: 'cfg',
        ProductionVariants: [{ VariantName: 'main', ModelName: 'champion' }],
        DataCaptureConfig: {
          InitialSamplingPercentage: 100,
          DestinationS3Uri: 's3://b/captures',
          CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
        },
      },
      'EndpointConfigArn',
    );
    await created('CreateEndpoint', { EndpointName: 'ep', EndpointConfigName: 'cfg' }, 'EndpointArn');
    await created('CreateModelPackageGroup', { ModelPackageGroupName: 'fraud' }, 'ModelPackageGroupArn');
    await created(
      'CreateModelPackage',
      {
        ModelPackageGroupName: 'fraud',
        InferenceSpecification: {
          Containers: [{ Image: 'x', ModelDataUrl: 's3://m/row-sum.onnx' }],
          SupportedContentTypes: ['text/csv'],
          SupportedResponseMIMETypes: ['application/json'],
        },
      },
      'ModelPackageArn',
    );
    await created(
      'CreateInferenceExperiment',
      {
        Name: 'exp',
        Type: 'ShadowMode',
        RoleArn: ROLE,
        EndpointName: 'ep',
        ModelVariants: [
          { ModelName: 'champion', VariantName: 'main', InfrastructureConfig: infra },
          { ModelName: 'challenger', VariantName: 'shadow', InfrastructureConfig: infra },
        ],
        ShadowModeConfig: {
          SourceModelVariantName: 'main',
          ShadowModelVariants: [{ ShadowModelVariantName: 'shadow', SamplingPercentage: 100 }],
        },
      },
      'InferenceExperimentArn',
    );
    await created(
      'CreateDataQualityJobDefinition',
      {
        JobDefinitionName: 'dq',
        DataQualityBaselineConfig: {
          ConstraintsResource: { S3Uri: 's3://b/baseline/constraints.json' },
          StatisticsResource: { S3Uri: 's3://b/baseline/statistics.json' },
        },
        DataQualityAppSpecification: {
          ImageUri: '156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer',
        },
        DataQualityJobInput: { EndpointInput: { EndpointName: 'ep', LocalPath: '/opt/ml/processing/input' } },
        DataQualityJobOutputConfig: {
          MonitoringOutputs: [
            { S3Output: { S3Uri: 's3://b/reports', LocalPath: '/opt/ml/processing/output' } },
          ],
        },
        JobResources: {
          ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 20 },
        },
        RoleArn: ROLE,
      },
      'JobDefinitionArn',
    );
    await created(
      'CreateMonitoringSchedule',
      {
        MonitoringScheduleName: 'hourly',
        MonitoringScheduleConfig: {
          ScheduleConfig: { ScheduleExpression: 'cron(0 * ? * * *)' },
          MonitoringJobDefinitionName: 'dq',
          MonitoringType: 'DataQuality',
        },
      },
      'MonitoringScheduleArn',
    );
    expect(Object.keys(arns)).toHaveLength(8);
    for (const [op, resourceArn] of Object.entries(arns)) {
      expect(await tagsOf(resourceArn), op).toEqual([tag('made-by', op)]);
    }
    // None of these Describe outputs has Tags in the service model.
    expect(await call('DescribeModelPackageGroup', { ModelPackageGroupName: 'fraud' })).not.toHaveProperty(
      'Tags',
    );
    expect(await call('DescribeModel', { ModelName: 'champion' })).not.toHaveProperty('Tags');
  });

  it('finds a resource whose name has capitals by its (lower-cased) ARN, or the name as typed', async () => {
    const { ModelArn } = await call('CreateModel', model('Fraud-Scorer', [tag('team', 'risk')]));
    expect(ModelArn).toBe(`${ACCOUNT_ARN}:model/fraud-scorer`);
    expect(await tagsOf(`${ACCOUNT_ARN}:model/Fraud-Scorer`)).toEqual([tag('team', 'risk')]);
  });

  it.each([
    ['more than 50 tags', many(MAX_TAGS + 1)],
    ['a key longer than 128 characters', [tag('k'.repeat(MAX_KEY + 1))]],
    ['an empty key', [tag('')]],
    ['a value longer than 256 characters', [tag('k', 'v'.repeat(MAX_VALUE + 1))]],
    ['a key outside the pattern', [tag('cost#centre', 'x')]],
    ['a value outside the pattern', [tag('k', 'a;b')]],
    ['the reserved aws: prefix', [tag('aws:cloudformation:stack-name', 'x')]],
    ['the reserved prefix in capitals', [tag('AWS:owner', 'x')]],
    ['a key given twice', [tag('team', 'a'), tag('team', 'b')]],
  ])('refuses %s with a ValidationException and creates nothing', async (_, Tags) => {
    const error = await errorOf(call('CreateModel', model('m', Tags)));
    expect(error.type).toBe('ValidationException');
    expect((await errorOf(call('DescribeModel', { ModelName: 'm' }))).type).toBe('ValidationException');
    expect(await store.list(COLLECTIONS.tags)).toEqual([]);
  });

  it('accepts the limits themselves: 50 tags, a 128-character key, a 256-character value, letters of any script', async () => {
    const edge = [
      tag('k'.repeat(MAX_KEY), 'v'.repeat(MAX_VALUE)),
      tag('équipe données 数据', 'valeur: a/b=c+d-e@f_g.h'),
      tag('owner', 'aws:values may use the prefix'),
      ...many(MAX_TAGS - 3),
    ];
    const { ModelArn } = await call('CreateModel', model('m', edge));
    expect(await tagsOf(ModelArn as string)).toEqual(edge);
  });
});

describe('AddTags, ListTags, DeleteTags', () => {
  let modelArn: string;
  beforeEach(async () => {
    modelArn = (await call('CreateModel', model('m', [tag('team', 'risk'), tag('stage', 'dev')])))
      .ModelArn as string;
  });

  it('adds tags, overwriting the value of a key the resource has, and answers the tags it added', async () => {
    const added = await call('AddTags', {
      ResourceArn: modelArn,
      Tags: [tag('stage', 'prod'), tag('cost', '42')],
    });
    expect(added).toEqual({ Tags: [tag('stage', 'prod'), tag('cost', '42')] });
    expect(await tagsOf(modelArn)).toEqual([tag('team', 'risk'), tag('stage', 'prod'), tag('cost', '42')]);
  });

  it('deletes the given keys; a key the resource does not have is no error', async () => {
    expect(await call('DeleteTags', { ResourceArn: modelArn, TagKeys: ['team', 'never-set'] })).toEqual({});
    expect(await tagsOf(modelArn)).toEqual([tag('stage', 'dev')]);
    await call('DeleteTags', { ResourceArn: modelArn, TagKeys: ['stage'] });
    expect(await tagsOf(modelArn)).toEqual([]);
  });

  it('refuses an AddTags that would leave more than 50 tags on the resource, and changes nothing', async () => {
    await call('AddTags', { ResourceArn: modelArn, Tags: many(MAX_TAGS - 2) });
    expect(await tagsOf(modelArn)).toHaveLength(MAX_TAGS);
    // Overwriting keys the resource has does not count twice.
    await call('AddTags', { ResourceArn: modelArn, Tags: [tag('team', 'fraud'), tag('k0', 'again')] });
    const before = await tagsOf(modelArn);
    const error = await errorOf(call('AddTags', { ResourceArn: modelArn, Tags: [tag('one-more', 'x')] }));
    expect(error.type).toBe('ValidationException');
    expect(error.message).toMatch(/at most 50/);
    expect(await tagsOf(modelArn)).toEqual(before);
  });

  it.each([
    ['AddTags', { Tags: [tag('aws:owner', 'x')] }],
    ['AddTags', { Tags: [tag('Aws:owner', 'x')] }],
    ['AddTags', { Tags: [tag('k', 'a'), tag('k', 'b')] }],
    ['AddTags', { Tags: [tag('k'.repeat(MAX_KEY + 1))] }],
    ['AddTags', { Tags: many(MAX_TAGS + 1, 'n') }],
    ['DeleteTags', { TagKeys: ['aws:owner'] }],
    ['DeleteTags', { TagKeys: [] }],
  ])('%s %j is a ValidationException that changes nothing', async (op, input) => {
    const error = await errorOf(call(op, { ResourceArn: modelArn, ...input }));
    expect(error.type).toBe('ValidationException');
    expect(await tagsOf(modelArn)).toEqual([tag('team', 'risk'), tag('stage', 'dev')]);
  });

  it.each([
    ['a well-formed ARN of a model Understudy does not have', `${ACCOUNT_ARN}:model/nope`],
    ['a model of another account', 'arn:aws:sagemaker:us-east-1:999999999999:model/m'],
    ['a model of another region', 'arn:aws:sagemaker:eu-west-1:123456789012:model/m'],
    ['a resource type Understudy does not have', `${ACCOUNT_ARN}:training-job/m`],
    ['an ARN with no resource name', `${ACCOUNT_ARN}:model`],
    ['an ARN of another service', 'arn:aws:s3:::bucket/m'],
    ['no ARN at all', 'm'],
  ])('answers ValidationException for %s, on each operation, writing nothing', async (_, ResourceArn) => {
    for (const [op, input] of [
      ['ListTags', {}],
      ['AddTags', { Tags: [tag('k', 'v')] }],
      ['DeleteTags', { TagKeys: ['team'] }],
    ] as const) {
      const error = await errorOf(call(op, { ResourceArn, ...input }));
      expect(error.type, op).toBe('ValidationException');
    }
    expect(await store.list(COLLECTIONS.tags)).toEqual([
      { Tags: [tag('team', 'risk'), tag('stage', 'dev')] },
    ]);
  });

  it('lists at least 50 tags per page: MaxResults below 50 is a ValidationException, 50 tags fit one page', async () => {
    await call('AddTags', { ResourceArn: modelArn, Tags: many(MAX_TAGS - 2) });
    const error = await errorOf(call('ListTags', { ResourceArn: modelArn, MaxResults: 10 }));
    expect(error.type).toBe('ValidationException');
    const listed = await call('ListTags', { ResourceArn: modelArn, MaxResults: 50 });
    expect(listed.Tags).toHaveLength(MAX_TAGS);
    expect(listed).not.toHaveProperty('NextToken');
  });

  it('pages with NextToken in the order tags were first added', async () => {
    // Pages smaller than the wire's minimum of 50, to see the paging itself (called directly).
    await call('AddTags', { ResourceArn: modelArn, Tags: many(20) });
    const seen: unknown[] = [];
    let NextToken: string | undefined;
    let pages = 0;
    do {
      const out = await listTags(ctx, { ResourceArn: modelArn, MaxResults: 8, NextToken });
      seen.push(...out.Tags);
      NextToken = out.NextToken;
      pages++;
    } while (NextToken);
    expect(pages).toBe(3);
    expect(seen).toEqual([tag('team', 'risk'), tag('stage', 'dev'), ...many(20)]);
    expect((await errorOf(call('ListTags', { ResourceArn: modelArn, NextToken: 'not-ours' }))).type).toBe(
      'ValidationException',
    );
  });
});

describe('tags end with their resource', () => {
  it.each([
    [
      'model',
      async (Tags?: unknown[]) => (await call('CreateModel', model('m', Tags))).ModelArn as string,
      () => call('DeleteModel', { ModelName: 'm' }),
    ],
    [
      'endpoint config',
      async (Tags?: unknown[]) => {
        if (!(await store.get(COLLECTIONS.model, 'm'))) await call('CreateModel', model('m'));
        return (
          await call('CreateEndpointConfig', {
            EndpointConfigName: 'cfg',
            ProductionVariants: [{ VariantName: 'main', ModelName: 'm' }],
            ...(Tags ? { Tags } : {}),
          })
        ).EndpointConfigArn as string;
      },
      () => call('DeleteEndpointConfig', { EndpointConfigName: 'cfg' }),
    ],
    [
      'model package group',
      async (Tags?: unknown[]) =>
        (await call('CreateModelPackageGroup', { ModelPackageGroupName: 'g', ...(Tags ? { Tags } : {}) }))
          .ModelPackageGroupArn as string,
      () => call('DeleteModelPackageGroup', { ModelPackageGroupName: 'g' }),
    ],
  ])(
    'a deleted %s has no tags to list, and one re-created under its name starts with none',
    async (_, create, remove) => {
      const resourceArn = await create([tag('team', 'risk')]);
      await remove();
      expect((await errorOf(call('ListTags', { ResourceArn: resourceArn }))).type).toBe(
        'ValidationException',
      );
      expect(await store.list(COLLECTIONS.tags)).toEqual([]);
      expect(await create()).toBe(resourceArn);
      expect(await tagsOf(resourceArn)).toEqual([]);
    },
  );

  it('a re-created resource does not inherit tags left behind (a delete that stopped half-way)', async () => {
    const { ModelArn } = await call('CreateModel', model('m', [tag('team', 'risk')]));
    await store.delete(COLLECTIONS.model, 'm');
    await call('CreateModel', model('m', [tag('stage', 'dev')]));
    expect(await tagsOf(ModelArn as string)).toEqual([tag('stage', 'dev')]);
    await store.delete(COLLECTIONS.model, 'm');
    await call('CreateModel', model('m'));
    expect(await tagsOf(ModelArn as string)).toEqual([]);
  });

  it('a model package keeps its tags apart from its group', async () => {
    const { ModelPackageGroupArn } = await call('CreateModelPackageGroup', {
      ModelPackageGroupName: 'g',
      Tags: [tag('level', 'group')],
    });
    const { ModelPackageArn } = await call('CreateModelPackage', {
      ModelPackageGroupName: 'g',
      InferenceSpecification: { Containers: [{ Image: 'x', ModelDataUrl: 's3://m/row-sum.onnx' }] },
      Tags: [tag('level', 'version')],
    });
    await call('DeleteModelPackage', { ModelPackageName: ModelPackageArn });
    expect((await errorOf(call('ListTags', { ResourceArn: ModelPackageArn }))).type).toBe(
      'ValidationException',
    );
    expect(await tagsOf(ModelPackageGroupArn as string)).toEqual([tag('level', 'group')]);
  });
});
