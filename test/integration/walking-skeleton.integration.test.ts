import { readFileSync } from 'node:fs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateHyperParameterTuningJobCommand,
  CreateModelCommand,
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  DeleteEndpointCommand,
  DescribeEndpointCommand,
  DescribeModelPackageCommand,
  ListEndpointsCommand,
  ListModelPackageGroupsCommand,
  ListModelsCommand,
  UpdateModelPackageCommand,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import { expected, FIXTURES } from '../support/models.js';
import {
  endpointInService,
  env,
  errorOf,
  runtime,
  s3,
  sagemaker,
  unique,
  uploadFixture,
} from './platform.js';

const decode = (body: Uint8Array | undefined) => JSON.parse(new TextDecoder().decode(body));
const csv = (rows: number[][]) => new TextEncoder().encode(`${rows.map((r) => r.join(',')).join('\n')}\n`);

describe('walking skeleton: register, deploy, predict with the AWS SDK', () => {
  const group = unique('fraud');
  const endpoint = unique('ep');
  let packageArn: string;

  beforeAll(async () => {
    const modelDataUrl = await uploadFixture('regressor.tar.gz', `models/${group}/model.tar.gz`);
    await sagemaker.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: group }));
    const created = await sagemaker.send(
      new CreateModelPackageCommand({
        ModelPackageGroupName: group,
        ModelPackageDescription: 'linear regressor',
        InferenceSpecification: {
          Containers: [
            { Image: 'ignored.dkr.ecr.us-east-1.amazonaws.com/onnx:latest', ModelDataUrl: modelDataUrl },
          ],
          SupportedContentTypes: ['text/csv', 'application/json'],
          SupportedResponseMIMETypes: ['application/json', 'text/csv'],
        },
      }),
    );
    packageArn = created.ModelPackageArn ?? '';
  });

  it('registers a versioned package that waits for approval', async () => {
    expect(packageArn).toMatch(new RegExp(`:model-package/${group}/1$`));
    const described = await sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: packageArn }));
    expect(described.ModelApprovalStatus).toBe('PendingManualApproval');
    expect(described.CreationTime).toBeInstanceOf(Date);
    const groups = await sagemaker.send(new ListModelPackageGroupsCommand({ NameContains: group }));
    expect(groups.ModelPackageGroupSummaryList?.map((g) => g.ModelPackageGroupName)).toEqual([group]);
  });

  it('refuses to deploy an unapproved package, then deploys it once approved', async () => {
    await sagemaker.send(
      new CreateModelCommand({ ModelName: `${group}-m`, PrimaryContainer: { ModelPackageName: packageArn } }),
    );
    const refused = await errorOf(
      sagemaker.send(
        new CreateEndpointConfigCommand({
          EndpointConfigName: `${group}-cfg`,
          ProductionVariants: [{ VariantName: 'main', ModelName: `${group}-m` }],
        }),
      ),
    );
    expect(refused).toMatchObject({ name: 'ValidationException', status: 400 });
    expect(refused.message).toMatch(/PendingManualApproval: only an Approved model package/);

    await sagemaker.send(
      new UpdateModelPackageCommand({ ModelPackageArn: packageArn, ModelApprovalStatus: 'Approved' }),
    );
    await sagemaker.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: `${group}-cfg`,
        ProductionVariants: [
          {
            VariantName: 'main',
            ModelName: `${group}-m`,
            InitialVariantWeight: 1,
            ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5 },
          },
        ],
      }),
    );
    await sagemaker.send(
      new CreateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: `${group}-cfg` }),
    );
    await endpointInService(endpoint);
    const described = await sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpoint }));
    expect(described.EndpointStatus).toBe('InService');
    expect(described.ProductionVariants?.[0]).toMatchObject({ VariantName: 'main', CurrentWeight: 1 });
    const listed = await sagemaker.send(new ListEndpointsCommand({ NameContains: endpoint }));
    expect(listed.Endpoints?.map((e) => e.EndpointName)).toEqual([endpoint]);
  });

  it('answers CSV rows with the values NumPy computed', async () => {
    const answer = await runtime.send(
      new InvokeEndpointCommand({
        EndpointName: endpoint,
        ContentType: 'text/csv',
        Body: csv(expected.inputs),
      }),
    );
    expect(answer.InvokedProductionVariant).toBe('main');
    expect(answer.ContentType).toBe('application/json');
    const body = decode(answer.Body);
    expect(body.predictions).toHaveLength(expected.inputs.length);
    body.predictions.forEach((p: number, i: number) => {
      expect(p).toBeCloseTo(expected.models['regressor.onnx'].score[i] as number, 5);
    });
    expect(Object.keys(body.outputs)).toEqual(['score']);
  });

  it('answers JSON instances, and CSV when asked', async () => {
    const answer = await runtime.send(
      new InvokeEndpointCommand({
        EndpointName: endpoint,
        ContentType: 'application/json',
        Accept: 'text/csv',
        Body: new TextEncoder().encode(JSON.stringify({ instances: expected.inputs.slice(0, 2) })),
      }),
    );
    expect(answer.ContentType).toBe('text/csv');
    const lines = new TextDecoder().decode(answer.Body).trim().split('\n').map(Number);
    expect(lines).toHaveLength(2);
    lines.forEach((v, i) => {
      expect(v).toBeCloseTo(expected.models['regressor.onnx'].score[i] as number, 5);
    });
  });

  it.each([
    ['malformed JSON', 'application/json', '{"instances": [[1,2,3,4]', /not valid JSON/],
    ['a CSV row of the wrong width', 'text/csv', '1,2,3\n', /row 1: the model expects 4 features, got 3/],
    ['a non-numeric cell', 'text/csv', '1,2,x,4\n', /line 1, column 3: 'x' is not a number/],
    ['an empty body', 'text/csv', '', /Request body is empty/],
    [
      'an unsupported content type',
      'application/xml',
      '<rows/>',
      /Content-Type 'application\/xml' is not supported/,
    ],
  ])('answers %s with a ValidationError naming the problem', async (_, contentType, body, message) => {
    const error = await errorOf(
      runtime.send(
        new InvokeEndpointCommand({
          EndpointName: endpoint,
          ContentType: contentType,
          Body: new TextEncoder().encode(body),
        }),
      ),
    );
    expect(error).toMatchObject({ name: 'ValidationError', status: 400 });
    expect(error.message).toMatch(message);
  });

  it('answers an unknown endpoint or variant with a ValidationError', async () => {
    const noEndpoint = await errorOf(
      runtime.send(
        new InvokeEndpointCommand({
          EndpointName: 'no-such-endpoint',
          ContentType: 'text/csv',
          Body: csv([[1, 2, 3, 4]]),
        }),
      ),
    );
    expect(noEndpoint).toMatchObject({ name: 'ValidationError', status: 400 });
    expect(noEndpoint.message).toMatch(/Endpoint no-such-endpoint of account \d+ not found/);
    const noVariant = await errorOf(
      runtime.send(
        new InvokeEndpointCommand({
          EndpointName: endpoint,
          TargetVariant: 'ghost',
          ContentType: 'text/csv',
          Body: csv([[1, 2, 3, 4]]),
        }),
      ),
    );
    expect(noVariant).toMatchObject({ name: 'ValidationError', status: 400 });
    expect(noVariant.message).toMatch(/Variant 'ghost' does not exist/);
  });

  it('refuses an artifact that is not ONNX and an unknown operation, creating nothing', async () => {
    const junk = await uploadFixture('not-a-model.onnx', `models/${group}/junk.onnx`);
    const error = await errorOf(
      sagemaker.send(
        new CreateModelCommand({
          ModelName: `${group}-junk`,
          PrimaryContainer: { Image: 'x', ModelDataUrl: junk },
        }),
      ),
    );
    expect(error).toMatchObject({ name: 'ValidationException', status: 400 });
    expect(error.message).toMatch(/not a servable ONNX model: not a valid ONNX model/);
    const models = await sagemaker.send(new ListModelsCommand({ NameContains: `${group}-junk` }));
    expect(models.Models).toEqual([]);

    const unknown = await errorOf(
      sagemaker.send(
        new CreateHyperParameterTuningJobCommand({
          HyperParameterTuningJobName: 'x',
          HyperParameterTuningJobConfig: {
            Strategy: 'Random',
            ResourceLimits: { MaxNumberOfTrainingJobs: 1, MaxParallelTrainingJobs: 1 },
          },
        }),
      ),
    );
    expect(unknown).toMatchObject({ name: 'UnknownOperationException', status: 400 });
    expect(unknown.message).toMatch(/CreateHyperParameterTuningJob/);
  });

  it('routes by TargetVariant across two variants and marks a changed artifact Failed', async () => {
    const classifierUrl = await uploadFixture('classifier.onnx', `models/${group}/classifier.onnx`);
    await sagemaker.send(
      new CreateModelCommand({
        ModelName: `${group}-clf`,
        PrimaryContainer: { Image: 'x', ModelDataUrl: classifierUrl },
      }),
    );
    const name = `${endpoint}-two`;
    await sagemaker.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: `${group}-two`,
        ProductionVariants: [
          { VariantName: 'regressor', ModelName: `${group}-m`, InitialVariantWeight: 1 },
          { VariantName: 'classifier', ModelName: `${group}-clf`, InitialVariantWeight: 0 },
        ],
      }),
    );
    await sagemaker.send(
      new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: `${group}-two` }),
    );
    await endpointInService(name);
    for (let i = 0; i < 5; i++) {
      const untargeted = await runtime.send(
        new InvokeEndpointCommand({ EndpointName: name, ContentType: 'text/csv', Body: csv([[1, 2, 3, 4]]) }),
      );
      expect(untargeted.InvokedProductionVariant).toBe('regressor');
    }
    const targeted = await runtime.send(
      new InvokeEndpointCommand({
        EndpointName: name,
        TargetVariant: 'classifier',
        ContentType: 'text/csv',
        Body: csv(expected.inputs),
      }),
    );
    expect(targeted.InvokedProductionVariant).toBe('classifier');
    expect(decode(targeted.Body).predictions).toEqual(expected.models['classifier.onnx'].label);

    // The object behind a registered model changes: a new endpoint on it fails, naming why.
    await s3.send(
      new PutObjectCommand({
        Bucket: env.UNDERSTUDY_BUCKET,
        Key: `models/${group}/classifier.onnx`,
        Body: readFileSync(`${FIXTURES}/regressor.onnx`),
      }),
    );
    await sagemaker.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: `${group}-clf-only`,
        ProductionVariants: [{ VariantName: 'only', ModelName: `${group}-clf` }],
      }),
    );
    await sagemaker.send(
      new CreateEndpointCommand({ EndpointName: `${name}-bad`, EndpointConfigName: `${group}-clf-only` }),
    );
    const failed = await sagemaker.send(new DescribeEndpointCommand({ EndpointName: `${name}-bad` }));
    expect(failed.EndpointStatus).toBe('Failed');
    expect(failed.FailureReason).toMatch(/Variant only .*changed since registration/);
  });

  it('deletes an endpoint, after which it is unknown', async () => {
    await sagemaker.send(new DeleteEndpointCommand({ EndpointName: endpoint }));
    const error = await errorOf(sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpoint })));
    expect(error).toMatchObject({ name: 'ValidationException', status: 400 });
  });
});

describe('authentication', () => {
  const url = env.UNDERSTUDY_URL ?? '';

  it('refuses unsigned requests with 403 MissingAuthenticationTokenException', async () => {
    const response = await fetch(`${url}/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'SageMaker.ListEndpoints' },
      body: '{}',
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ __type: 'MissingAuthenticationTokenException' });
  });

  it('refuses a wrong secret and an unknown key', async () => {
    const region = env.AWS_REGION ?? 'us-east-1';
    const badSecret = new SageMakerRuntimeClient({
      endpoint: url,
      region,
      maxAttempts: 1,
      credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID ?? '', secretAccessKey: 'not-the-secret' },
    });
    const wrong = await errorOf(
      badSecret.send(
        new InvokeEndpointCommand({ EndpointName: 'x', ContentType: 'text/csv', Body: csv([[1]]) }),
      ),
    );
    expect(wrong).toMatchObject({ name: 'InvalidSignatureException', status: 403 });
    const unknownKey = new SageMakerRuntimeClient({
      endpoint: url,
      region,
      maxAttempts: 1,
      credentials: { accessKeyId: 'AKUSNOSUCHKEY0000000', secretAccessKey: 'whatever' },
    });
    const unknown = await errorOf(
      unknownKey.send(
        new InvokeEndpointCommand({ EndpointName: 'x', ContentType: 'text/csv', Body: csv([[1]]) }),
      ),
    );
    expect(unknown).toMatchObject({ name: 'UnrecognizedClientException', status: 403 });
  });
});
