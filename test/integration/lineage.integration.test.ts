import {
  AddAssociationCommand,
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  DeleteEndpointCommand,
  ListArtifactsCommand,
  ListAssociationsCommand,
  ListContextsCommand,
  QueryLineageCommand,
  UpdateEndpointCommand,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, describe, expect, it } from 'vitest';
import {
  bucket,
  endpointInService,
  errorOf,
  mirrorQueueDrained,
  runtime,
  sagemaker,
  understudy,
  unique,
  uploadFixture,
} from './platform.js';

const name = unique('lineage');
const ROW = new TextEncoder().encode('0.5,-1.5,2.25,0\n');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Which package version each config's variant serves: the variant names tell them apart. */
const VERSION_OF_VARIANT: Record<string, number> = { v1: 1, v2: 2 };

afterAll(async () => {
  await understudy('RollbackEndpoint', { EndpointName: name }).catch(() => undefined);
  await sagemaker.send(new DeleteEndpointCommand({ EndpointName: name })).catch(() => undefined);
});

async function deployCanary() {
  await sagemaker.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: name }));
  for (const [version, file] of [
    [1, 'regressor.onnx'],
    [2, 'regressor-v2.onnx'],
  ] as const) {
    const uri = await uploadFixture(file, `models/${name}/${file}`);
    const { ModelPackageArn } = await sagemaker.send(
      new CreateModelPackageCommand({
        ModelPackageGroupName: name,
        InferenceSpecification: {
          Containers: [{ Image: 'onnx', ModelDataUrl: uri }],
          SupportedContentTypes: ['text/csv'],
          SupportedResponseMIMETypes: ['application/json'],
        },
        ModelApprovalStatus: 'Approved',
        CustomerMetadataProperties: {
          TrainingDataS3Uri: `s3://${bucket}/datasets/${name}/train-v${version}.csv`,
        },
      }),
    );
    await sagemaker.send(
      new CreateModelCommand({
        ModelName: `${name}-m${version}`,
        PrimaryContainer: { ModelPackageName: ModelPackageArn },
      }),
    );
    await sagemaker.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: `${name}-c${version}`,
        ProductionVariants: [{ VariantName: `v${version}`, ModelName: `${name}-m${version}` }],
        DataCaptureConfig: {
          EnableCapture: true,
          InitialSamplingPercentage: 100,
          DestinationS3Uri: `s3://${bucket}/captures/${name}`,
          CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
        },
      }),
    );
  }
  await sagemaker.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: `${name}-c1` }));
  await endpointInService(name);
  // A canary that bakes for ten minutes: both versions serve throughout the test.
  await sagemaker.send(
    new UpdateEndpointCommand({
      EndpointName: name,
      EndpointConfigName: `${name}-c2`,
      DeploymentConfig: {
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: {
            Type: 'CANARY',
            CanarySize: { Type: 'CAPACITY_PERCENT', Value: 50 },
            WaitIntervalInSeconds: 600,
          },
        },
      },
    }),
  );
  await sleep(1200); // the data plane's endpoint cache
}

describe('lineage and traced predictions', () => {
  it('traces each prediction of a canary to the version that answered, and its training data', async () => {
    await deployCanary();
    const answered = new Map<string, string>();
    for (let i = 0; i < 40 && (answered.size < 12 || new Set(answered.values()).size < 2); i++) {
      const inferenceId = `${name}-${i}`;
      const answer = await runtime.send(
        new InvokeEndpointCommand({
          EndpointName: name,
          ContentType: 'text/csv',
          Accept: 'application/json',
          Body: ROW,
          InferenceId: inferenceId,
        }),
      );
      answered.set(inferenceId, answer.InvokedProductionVariant ?? '');
    }
    expect(new Set(answered.values())).toEqual(new Set(['v1', 'v2']));
    await mirrorQueueDrained(60_000);
    for (const [inferenceId, variant] of answered) {
      const trace = await understudy('TraceInference', { EndpointName: name, InferenceId: inferenceId });
      const version = VERSION_OF_VARIANT[variant] as number;
      expect(trace, inferenceId).toMatchObject({
        VariantName: variant,
        EndpointConfigName: `${name}-c${version}`,
        ModelPackageVersion: version,
        ModelArtifact: {
          S3Uri: `s3://${bucket}/models/${name}/${version === 1 ? 'regressor' : 'regressor-v2'}.onnx`,
        },
        Approval: { StatusWhenDeployed: 'Approved' },
        Lineage: { TrainingData: [{ SourceUri: `s3://${bucket}/datasets/${name}/train-v${version}.csv` }] },
      });
      expect(trace.CaptureS3Uri).toMatch(new RegExp(`^s3://${bucket}/captures/${name}/${name}/${variant}/`));
    }
    const at = await understudy('DescribeEndpointAt', { EndpointName: name, At: Date.now() / 1000 });
    expect(
      (at.ProductionVariants as { ModelPackageVersion: number; TrafficShare: number }[]).map((v) => [
        v.ModelPackageVersion,
        v.TrafficShare,
      ]),
    ).toEqual([
      [1, 0.5],
      [2, 0.5],
    ]);
  });

  it('QueryLineage reaches the training data from the endpoint, and the endpoint from the data, with the edge types', async () => {
    const [endpoint] =
      (await sagemaker.send(new ListContextsCommand({ ContextType: 'Endpoint' }))).ContextSummaries?.filter(
        (c) => c.Source?.SourceUri?.endsWith(`:endpoint/${name}`),
      ) ?? [];
    expect(endpoint?.ContextArn).toBeDefined();
    const up = await sagemaker.send(
      new QueryLineageCommand({
        StartArns: [endpoint?.ContextArn as string],
        Direction: 'Ascendants',
        IncludeEdges: true,
      }),
    );
    const types = new Map((up.Vertices ?? []).map((v) => [v.Arn, v.Type]));
    types.set(endpoint?.ContextArn, 'Endpoint');
    const edges = new Set(
      (up.Edges ?? []).map(
        (e) => `${types.get(e.SourceArn)} -${e.AssociationType}-> ${types.get(e.DestinationArn)}`,
      ),
    );
    expect(edges).toEqual(
      new Set([
        'DataSet -ContributedTo-> ModelPackage',
        'Model -ContributedTo-> ModelPackage',
        'Model -ContributedTo-> ModelDeployment',
        'ModelPackage -ContributedTo-> ModelDeployment',
        'ModelDeployment -AssociatedWith-> Endpoint',
      ]),
    );
    expect((up.Vertices ?? []).filter((v) => v.Type === 'DataSet')).toHaveLength(2);
    const [dataset] =
      (
        await sagemaker.send(
          new ListArtifactsCommand({ SourceUri: `s3://${bucket}/datasets/${name}/train-v1.csv` }),
        )
      ).ArtifactSummaries ?? [];
    const down = await sagemaker.send(
      new QueryLineageCommand({
        StartArns: [dataset?.ArtifactArn as string],
        Direction: 'Descendants',
        IncludeEdges: false,
        Filters: { Types: ['Endpoint'] },
      }),
    );
    expect(down.Vertices).toEqual([{ Arn: endpoint?.ContextArn, Type: 'Endpoint', LineageType: 'Context' }]);
    expect(down.Edges).toEqual([]);
  });

  it('refuses MaxDepth 11, an association to an unknown or malformed ARN and an unknown EventId, changing nothing', async () => {
    const [dataset] =
      (
        await sagemaker.send(
          new ListArtifactsCommand({ SourceUri: `s3://${bucket}/datasets/${name}/train-v1.csv` }),
        )
      ).ArtifactSummaries ?? [];
    const source = dataset?.ArtifactArn as string;
    const before = (await sagemaker.send(new ListAssociationsCommand({ SourceArn: source })))
      .AssociationSummaries;
    expect(
      await errorOf(sagemaker.send(new QueryLineageCommand({ StartArns: [source], MaxDepth: 11 }))),
    ).toMatchObject({ name: 'ValidationException', status: 400 });
    const unknownArn = source.replace(/artifact\/.*/, 'artifact/0123456789abcdef0123456789abcdef');
    expect(
      await errorOf(
        sagemaker.send(new AddAssociationCommand({ SourceArn: source, DestinationArn: unknownArn })),
      ),
    ).toMatchObject({ name: 'ResourceNotFound', status: 400 });
    expect(
      await errorOf(
        sagemaker.send(new AddAssociationCommand({ SourceArn: source, DestinationArn: 'arn:nope' })),
      ),
    ).toMatchObject({ name: 'ValidationException', status: 400 });
    expect(
      await errorOf(understudy('TraceInference', { EndpointName: name, EventId: 'no-such-event' })),
    ).toMatchObject({
      name: 'ResourceNotFound',
      status: 400,
    });
    expect(
      (await sagemaker.send(new ListAssociationsCommand({ SourceArn: source }))).AssociationSummaries,
    ).toEqual(before);
  });
});
