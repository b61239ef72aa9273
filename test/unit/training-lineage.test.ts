/**
 * A training job in the lineage graph, as SageMaker records one: the training function (its
 * SQS handler, as deployed) runs the job, registers its model (ModelPackageConfig) and records
 * the job, its channels and image, and the model it produced; Understudy.TraceInference from a
 * prediction of the deployed version then reaches the job and its training data.
 */
import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSEvent } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../lambdas/control/control-plane.js';
import { RegistryCaptureIndex } from '../../lambdas/domain/data-capture/capture-index.js';
import { newEventId } from '../../lambdas/domain/data-capture/capture-record.js';
import { ModelCache } from '../../lambdas/domain/inference/model-cache.js';
import type { ControlContext } from '../../lambdas/domain/kernel/context.js';
import type { StepMessage, TrainingJobMessage } from '../../lambdas/domain/kernel/ports.js';
import { recordTrainingJobLineage } from '../../lambdas/domain/lineage/automatic.js';
import { buildMirrorMessage } from '../../lambdas/domain/mirroring/mirror.js';
import { processShadowBatch } from '../../lambdas/domain/mirroring/mirror-batch.js';
import { onnxModelProbe } from '../../lambdas/shared/model-probe.js';
import { createTrainingHandler } from '../../lambdas/training/training.js';
import { InMemoryDeliveryLedger } from '../support/delivery-ledger.js';
import { InMemoryObjectStore } from '../support/in-memory-object-store.js';
import { InMemoryRegistryStore } from '../support/in-memory-registry-store.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/training/${name}.csv`, import.meta.url), 'utf8');
const IMAGE = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1';
const GROUP = 'arn:aws:sagemaker:us-east-1:123456789012:model-package-group/penguins';
const logger = new Logger({ logLevel: 'SILENT' });
const quiet = { logger, log: { info: () => undefined, warn: () => undefined, error: () => undefined } };

let store: InMemoryRegistryStore;
let objects: InMemoryObjectStore;
let ctx: ControlContext;
let sent: TrainingJobMessage[];
const call = (op: string, input: unknown) => dispatch(ctx, op, input) as Promise<Record<string, unknown>>;

function channel(name: string) {
  return {
    ChannelName: name,
    DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://b/penguins/${name}` } },
    ContentType: 'text/csv',
  };
}

async function train(name: string, hyperParameters: Record<string, string>) {
  await call('CreateTrainingJob', {
    TrainingJobName: name,
    AlgorithmSpecification: { TrainingImage: IMAGE, TrainingInputMode: 'File' },
    RoleArn: 'arn:aws:iam::123456789012:role/unused',
    HyperParameters: hyperParameters,
    InputDataConfig: [channel('train'), channel('validation')],
    OutputDataConfig: { S3OutputPath: 's3://b/output' },
    StoppingCondition: { MaxRuntimeInSeconds: 600 },
    ModelPackageConfig: { ModelPackageGroupArn: GROUP },
  });
  const handler = createTrainingHandler({
    store,
    objects,
    limits: { memoryMb: 10240, timeoutSeconds: 900 },
    now: () => new Date(),
    registrar: () => ctx,
    pollMs: 10,
    logging: quiet,
  });
  const event = {
    Records: sent.splice(0).map((m, i) => ({ messageId: `m${i}`, body: JSON.stringify(m) })),
  } as unknown as SQSEvent;
  expect(await handler(event, {} as Context)).toEqual({ batchItemFailures: [] });
  return call('DescribeTrainingJob', { TrainingJobName: name });
}

beforeEach(async () => {
  store = new InMemoryRegistryStore();
  objects = new InMemoryObjectStore(['b']);
  sent = [];
  await objects.putText('s3://b/penguins/train/part-0.csv', fixture('penguins-train'), 'text/csv');
  await objects.putText('s3://b/penguins/validation/part-0.csv', fixture('penguins-validation'), 'text/csv');
  const steps: StepMessage[] = [];
  ctx = {
    store,
    objects,
    artifacts: { fetch: async (uri) => objects.binaries.get(uri) ?? Promise.reject(new Error(`no ${uri}`)) },
    models: onnxModelProbe,
    training: { send: async (m) => void sent.push(m) },
    deployments: {
      alarms: { states: async () => new Map() },
      scheduler: { schedule: async (m) => void steps.push(m) },
    },
    region: 'us-east-1',
    accountId: '123456789012',
    caller: { accessKeyId: 'AKUSTEST', role: 'admin' },
    now: () => new Date(),
  };
  await call('CreateModelPackageGroup', { ModelPackageGroupName: 'penguins' });
});

const XGBOOST = { objective: 'multi:softprob', num_class: '3', num_round: '5', max_depth: '2' };

describe('a training job’s lineage', () => {
  it('is the job (TrainingJob action), its channels and image contributing, the model it produced', async () => {
    const job = await train('penguins-xgb', XGBOOST);
    expect(job.TrainingJobStatus).toBe('Completed');
    const modelData = (job.ModelArtifacts as { S3ModelArtifacts: string }).S3ModelArtifacts;
    const actions = await call('ListActions', { ActionType: 'TrainingJob' });
    const [summary] = actions.ActionSummaries as { ActionArn: string; ActionName: string }[];
    expect(summary?.ActionName).toBe('penguins-xgb-aws-training-job');
    const action = await call('DescribeAction', { ActionName: summary?.ActionName });
    expect(action).toMatchObject({
      ActionType: 'TrainingJob',
      Status: 'Completed',
      Source: { SourceUri: job.TrainingJobArn },
      Properties: { TrainingJobName: 'penguins-xgb', TrainingImage: IMAGE, ...XGBOOST },
    });
    const up = await call('QueryLineage', {
      StartArns: [summary?.ActionArn],
      Direction: 'Both',
      IncludeEdges: true,
    });
    const vertices = up.Vertices as { Arn: string; Type: string; LineageType: string }[];
    const edges = up.Edges as { SourceArn: string; DestinationArn: string; AssociationType: string }[];
    const artifactOf = async (uri: string) =>
      ((await call('ListArtifacts', { SourceUri: uri })).ArtifactSummaries as { ArtifactArn: string }[])[0]
        ?.ArtifactArn;
    const trainSet = await artifactOf('s3://b/penguins/train');
    const validation = await artifactOf('s3://b/penguins/validation');
    const image = await artifactOf(IMAGE);
    const model = await artifactOf(modelData);
    expect(edges).toEqual(
      expect.arrayContaining([
        { SourceArn: trainSet, DestinationArn: summary?.ActionArn, AssociationType: 'ContributedTo' },
        { SourceArn: validation, DestinationArn: summary?.ActionArn, AssociationType: 'ContributedTo' },
        { SourceArn: image, DestinationArn: summary?.ActionArn, AssociationType: 'ContributedTo' },
        { SourceArn: summary?.ActionArn, DestinationArn: model, AssociationType: 'Produced' },
      ]),
    );
    expect(vertices.find((v) => v.Arn === trainSet)?.Type).toBe('DataSet');
    expect(vertices.find((v) => v.Arn === image)?.Type).toBe('Image');
    // The registered version's package artifact is downstream of the model the job produced.
    const packageArtifact = vertices.find((v) => v.Type === 'ModelPackage');
    expect(edges).toContainEqual({
      SourceArn: model,
      DestinationArn: packageArtifact?.Arn,
      AssociationType: 'ContributedTo',
    });
    // Recording again (a delivery again) changes nothing.
    const before = (await call('ListArtifacts', {})).ArtifactSummaries as unknown[];
    await recordTrainingJobLineage(ctx, 'penguins-xgb');
    expect((await call('ListArtifacts', {})).ArtifactSummaries).toHaveLength(before.length);
  });

  it('a failed job records none', async () => {
    const job = await train('bad-labels', { ...XGBOOST, num_class: '2' });
    expect(job.TrainingJobStatus).toBe('Failed');
    expect((await call('ListActions', { ActionType: 'TrainingJob' })).ActionSummaries).toEqual([]);
    expect((await call('ListArtifacts', {})).ArtifactSummaries).toEqual([]);
  });

  it('TraceInference from a prediction of the deployed version reaches the job and its channels', async () => {
    const job = await train('penguins-xgb', XGBOOST);
    await call('UpdateModelPackage', {
      ModelPackageArn: job.OutputModelPackageArn,
      ModelApprovalStatus: 'Approved',
    });
    await call('CreateModel', {
      ModelName: 'm',
      PrimaryContainer: { ModelPackageName: job.OutputModelPackageArn },
    });
    await call('CreateEndpointConfig', {
      EndpointConfigName: 'c',
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'm' }],
    });
    await call('CreateEndpoint', { EndpointName: 'penguins', EndpointConfigName: 'c' });
    const eventId = newEventId();
    const message = buildMirrorMessage(
      {
        eventId,
        inferenceTime: new Date(Date.now() + 1000),
        endpointName: 'penguins',
        variantName: 'AllTraffic',
        endpointConfigName: 'c',
        requestBody: new TextEncoder().encode('39.1,18.7,181,3750\n'),
        requestContentType: 'text/csv',
        responseBody: '0.9,0.05,0.05\n',
        responseContentType: 'text/csv',
        predictions: [0],
        modelLatencyUs: 20,
      },
      {
        capture: {
          enabled: true,
          samplingPercentage: 100,
          destination: 's3://captures/penguins',
          captureInput: true,
          captureOutput: true,
          csvContentTypes: ['text/csv'],
          jsonContentTypes: ['application/json'],
        },
        shadows: [],
      },
    );
    await processShadowBatch([{ messageId: eventId, body: JSON.stringify(message) }], {
      models: new ModelCache(ctx.artifacts as never),
      sink: { write: async () => undefined, readSpilled: async () => undefined, exists: async () => false },
      deadLetters: { send: async () => undefined },
      comparisons: { record: async () => undefined },
      ledger: new InMemoryDeliveryLedger(),
      captureIndex: new RegistryCaptureIndex(store),
    });
    const trace = await call('Understudy.TraceInference', { EndpointName: 'penguins', EventId: eventId });
    const lineage = trace.Lineage as {
      TrainingData: { SourceUri: string }[];
      Upstream: { Type: string; Arn: string }[];
    };
    expect(trace.ModelPackageArn).toBe(job.OutputModelPackageArn);
    expect(lineage.TrainingData.map((d) => d.SourceUri).sort()).toEqual([
      's3://b/penguins/train',
      's3://b/penguins/validation',
    ]);
    expect(lineage.Upstream).toContainEqual(
      expect.objectContaining({
        Type: 'TrainingJob',
        Arn: 'arn:aws:sagemaker:us-east-1:123456789012:action/penguins-xgb-aws-training-job',
      }),
    );
  });
});
