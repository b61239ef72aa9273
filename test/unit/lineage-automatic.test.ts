import { beforeEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../lambdas/control/control-plane.js';
import type { ControlContext } from '../../lambdas/domain/kernel/context.js';
import { onnxModelProbe } from '../../lambdas/shared/model-probe.js';
import { InMemoryRegistryStore } from '../support/in-memory-registry-store.js';
import { MemoryArtifactSource } from '../support/models.js';

let ctx: ControlContext;
const call = (op: string, input: unknown) => dispatch(ctx, op, input) as Promise<Record<string, unknown>>;
const ACCOUNT = 'arn:aws:sagemaker:us-east-1:123456789012';

beforeEach(() => {
  const artifacts = new MemoryArtifactSource();
  artifacts.register('regressor.onnx', 's3://models');
  artifacts.register('regressor-v2.onnx', 's3://models');
  ctx = {
    store: new InMemoryRegistryStore(),
    artifacts,
    models: onnxModelProbe,
    region: 'us-east-1',
    accountId: '123456789012',
    caller: { accessKeyId: 'AKUSTEST', role: 'admin' },
    now: () => new Date('2026-11-25T12:00:00Z'),
  };
});

type Query = {
  Vertices: { Arn: string; Type: string; LineageType: string }[];
  Edges: { SourceArn: string; DestinationArn: string; AssociationType: string }[];
};

async function deployed() {
  await call('CreateModelPackageGroup', { ModelPackageGroupName: 'fraud' });
  const { ModelPackageArn } = await call('CreateModelPackage', {
    ModelPackageGroupName: 'fraud',
    InferenceSpecification: { Containers: [{ Image: 'onnx', ModelDataUrl: 's3://models/regressor.onnx' }] },
    ModelApprovalStatus: 'Approved',
    CustomerMetadataProperties: { TrainingDataS3Uri: 's3://data/fraud/train.csv' },
  });
  await call('CreateModel', {
    ModelName: 'fraud-v1',
    PrimaryContainer: { ModelPackageName: ModelPackageArn },
  });
  await call('CreateEndpointConfig', {
    EndpointConfigName: 'fraud-c1',
    ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'fraud-v1' }],
  });
  await call('CreateEndpoint', { EndpointName: 'fraud', EndpointConfigName: 'fraud-c1' });
  const endpoint = (await call('ListContexts', { SourceUri: `${ACCOUNT}:endpoint/fraud` }))
    .ContextSummaries as {
    ContextArn: string;
    ContextType: string;
  }[];
  const dataset = (await call('ListArtifacts', { SourceUri: 's3://data/fraud/train.csv' }))
    .ArtifactSummaries as {
    ArtifactArn: string;
    ArtifactType: string;
  }[];
  return { packageArn: ModelPackageArn as string, endpoint, dataset };
}

describe('lineage SageMaker records on its own', () => {
  it('creates the group context, package and model artifacts, dataset, endpoint context and deployment action', async () => {
    const { packageArn, endpoint, dataset } = await deployed();
    expect(endpoint).toEqual([expect.objectContaining({ ContextType: 'Endpoint' })]);
    expect(dataset).toEqual([expect.objectContaining({ ArtifactType: 'DataSet' })]);
    expect((await call('ListArtifacts', { SourceUri: packageArn })).ArtifactSummaries).toEqual([
      expect.objectContaining({ ArtifactType: 'ModelPackage' }),
    ]);
    expect(
      (await call('ListArtifacts', { SourceUri: 's3://models/regressor.onnx' })).ArtifactSummaries,
    ).toEqual([expect.objectContaining({ ArtifactType: 'Model' })]);
    expect((await call('ListContexts', { ContextType: 'ModelGroup' })).ContextSummaries).toEqual([
      expect.objectContaining({
        Source: expect.objectContaining({ SourceUri: `${ACCOUNT}:model-package-group/fraud` }),
      }),
    ]);
    expect((await call('ListActions', { ActionType: 'ModelDeployment' })).ActionSummaries).toEqual([
      expect.objectContaining({
        Source: expect.objectContaining({ SourceUri: `${ACCOUNT}:endpoint-config/fraud-c1` }),
      }),
    ]);
  });

  it('reaches the training data from the endpoint upstream, and the endpoint from the data downstream', async () => {
    const { endpoint, dataset } = await deployed();
    const endpointArn = endpoint[0]?.ContextArn as string;
    const datasetArn = dataset[0]?.ArtifactArn as string;
    const up = (await call('QueryLineage', {
      StartArns: [endpointArn],
      Direction: 'Ascendants',
      IncludeEdges: true,
    })) as Query;
    expect(up.Vertices.map((v) => v.Type).sort()).toEqual([
      'DataSet',
      'Model',
      'ModelDeployment',
      'ModelPackage',
    ]);
    const types = new Map([...up.Vertices.map((v) => [v.Arn, v.Type] as const), [endpointArn, 'Endpoint']]);
    const edges = up.Edges.map(
      (e) => `${types.get(e.SourceArn)} -${e.AssociationType}-> ${types.get(e.DestinationArn)}`,
    );
    expect(edges.sort()).toEqual([
      'DataSet -ContributedTo-> ModelPackage',
      'Model -ContributedTo-> ModelDeployment',
      'Model -ContributedTo-> ModelPackage',
      'ModelDeployment -AssociatedWith-> Endpoint',
      'ModelPackage -ContributedTo-> ModelDeployment',
    ]);
    const down = (await call('QueryLineage', {
      StartArns: [datasetArn],
      Direction: 'Descendants',
      Filters: { Types: ['Endpoint'] },
    })) as Query;
    expect(down.Vertices).toEqual([{ Arn: endpointArn, Type: 'Endpoint', LineageType: 'Context' }]);
  });

  it('records a new deployment action for the config an UpdateEndpoint moves to, not for a refused one', async () => {
    await deployed();
    await call('CreateModel', {
      ModelName: 'plain-v2',
      PrimaryContainer: { ModelDataUrl: 's3://models/regressor-v2.onnx' },
    });
    await call('CreateEndpointConfig', {
      EndpointConfigName: 'fraud-c2',
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'plain-v2' }],
    });
    await expect(
      call('UpdateEndpoint', { EndpointName: 'fraud', EndpointConfigName: 'missing' }),
    ).rejects.toThrow();
    expect((await call('ListActions', {})).ActionSummaries).toHaveLength(1);
    await call('UpdateEndpoint', { EndpointName: 'fraud', EndpointConfigName: 'fraud-c2' });
    const actions = (await call('ListActions', { SortOrder: 'Ascending' })).ActionSummaries as {
      ActionArn: string;
    }[];
    expect(actions).toHaveLength(2);
    const v2 = (await call('ListArtifacts', { SourceUri: 's3://models/regressor-v2.onnx' }))
      .ArtifactSummaries as {
      ArtifactArn: string;
    }[];
    const endpointContext = (await call('ListContexts', { ContextType: 'Endpoint' })).ContextSummaries as {
      ContextArn: string;
    }[];
    const fromV2 = (await call('QueryLineage', {
      StartArns: [v2[0]?.ArtifactArn],
      Direction: 'Descendants',
      Filters: { LineageTypes: ['Context'] },
    })) as Query;
    expect(fromV2.Vertices.map((v) => v.Arn)).toEqual([endpointContext[0]?.ContextArn]);
  });
});
