/**
 * Deploying an endpoint with data capture and a shadow experiment, invoking it and reading
 * what it captured, as a user does with the AWS SDK: shared by the shadow and load tests.
 */
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateInferenceExperimentCommand,
  CreateModelCommand,
  StartInferenceExperimentCommand,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { bucket, endpointInService, runtime, s3, sagemaker, understudy, uploadFixture } from './platform.js';

export const infra = {
  InfrastructureType: 'RealTimeInference' as const,
  RealTimeInferenceConfig: { InstanceType: 'ml.m5.large' as const, InstanceCount: 1 },
};
export const role = 'arn:aws:iam::123456789012:role/understudy';

/** The fixture models `deploy` uploads: by default two regressors, the twin being the champion again. */
export interface FixtureModels {
  readonly champion: string;
  /** A shadow that answers as production does. */
  readonly twin: string;
  /** A shadow that answers otherwise. */
  readonly challenger: string;
}
const REGRESSORS: FixtureModels = {
  champion: 'regressor.onnx',
  twin: 'regressor.onnx',
  challenger: 'regressor-v2.onnx',
};

/**
 * Uploads the fixture models as `<name>-champion` (v1), `<name>-twin` (v1 again, a shadow
 * identical to production) and `<name>-challenger` (v2), and deploys endpoint `<name>` serving
 * the champion as variant `main`, capturing input and output at `captureSampling` percent.
 */
export async function deploy(name: string, captureSampling: number, models: FixtureModels = REGRESSORS) {
  for (const [model, file] of [
    [`${name}-champion`, models.champion],
    [`${name}-twin`, models.twin],
    [`${name}-challenger`, models.challenger],
  ] as const) {
    const url = await uploadFixture(file, `models/${name}/${file}`);
    await sagemaker.send(
      new CreateModelCommand({ ModelName: model, PrimaryContainer: { Image: 'x', ModelDataUrl: url } }),
    );
  }
  await sagemaker.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: name,
      ProductionVariants: [{ VariantName: 'main', ModelName: `${name}-champion` }],
      DataCaptureConfig: {
        EnableCapture: true,
        InitialSamplingPercentage: captureSampling,
        DestinationS3Uri: `s3://${bucket}/captures/${name}`,
        CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
      },
    }),
  );
  await sagemaker.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: name }));
  await endpointInService(name, 60);
}

/**
 * CreateInferenceExperiment's input for a shadow test on endpoint `<endpoint>`: its
 * `<endpoint>-champion` as variant `main`, `shadowModel` as variant `shadow`.
 */
export function shadowExperiment(endpoint: string, shadowModel: string, sampling: number, name = endpoint) {
  return new CreateInferenceExperimentCommand({
    Name: name,
    Type: 'ShadowMode',
    RoleArn: role,
    EndpointName: endpoint,
    ModelVariants: [
      { ModelName: `${endpoint}-champion`, VariantName: 'main', InfrastructureConfig: infra },
      { ModelName: shadowModel, VariantName: 'shadow', InfrastructureConfig: infra },
    ],
    ShadowModeConfig: {
      SourceModelVariantName: 'main',
      ShadowModelVariants: [{ ShadowModelVariantName: 'shadow', SamplingPercentage: sampling }],
    },
  });
}

/** Creates and starts shadow experiment `<name>` on endpoint `<name>`: `shadowModel` as variant `shadow`. */
export async function startExperiment(name: string, shadowModel: string, sampling: number) {
  await sagemaker.send(shadowExperiment(name, shadowModel, sampling));
  await sagemaker.send(new StartInferenceExperimentCommand({ Name: name }));
}

/** One CSV row to the endpoint; production's first prediction. */
export async function invoke(name: string, row: readonly number[]) {
  const answer = await runtime.send(
    new InvokeEndpointCommand({
      EndpointName: name,
      ContentType: 'text/csv',
      Body: new TextEncoder().encode(`${row.join(',')}\n`),
    }),
  );
  return JSON.parse(new TextDecoder().decode(answer.Body)).predictions[0] as number;
}

/** Rows as one CSV request to the endpoint. */
export async function invokeRows(name: string, rows: readonly (readonly number[])[]) {
  await runtime.send(
    new InvokeEndpointCommand({
      EndpointName: name,
      ContentType: 'text/csv',
      Body: new TextEncoder().encode(`${rows.map((row) => row.join(',')).join('\n')}\n`),
    }),
  );
}

/** Polls DescribeShadowReport until `done` holds (the shadow Lambda works asynchronously). */
export async function reportWhen(
  name: string,
  done: (report: Record<string, unknown>) => boolean,
  timeoutMs = 180_000,
) {
  const started = Date.now();
  for (;;) {
    const report = await understudy('DescribeShadowReport', { InferenceExperimentName: name });
    if (done(report) || Date.now() - started > timeoutMs) return report;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Every capture line (JSON Lines) under an S3 prefix of the platform's bucket. */
export async function captureLines(
  prefix: string,
): Promise<{ eventMetadata: { eventId: string }; captureData: Record<string, { data: string }> }[]> {
  const lines = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) {
      const body = await (
        await s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }))
      ).Body?.transformToString();
      for (const line of (body ?? '').trim().split('\n')) if (line) lines.push(JSON.parse(line));
    }
    token = page.NextContinuationToken;
  } while (token);
  return lines;
}
