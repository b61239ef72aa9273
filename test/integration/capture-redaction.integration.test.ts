/**
 * Capture redaction on the local platform, driven with the AWS SDK as a user would: an endpoint
 * config whose captures drop one field and hash another, one invocation, and the capture file
 * on S3 — without the dropped field, the hashed one equal to Python's HMAC under the key the
 * platform generated.
 */
import { execFileSync } from 'node:child_process';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import {
  GetSecretValueCommand,
  ListSecretsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import {
  bucket,
  endpointInService,
  env,
  mirrorQueueDrained,
  runtime,
  sagemaker,
  understudy,
  unique,
  uploadFixture,
} from './platform.js';
import { captureLines } from './shadow-support.js';

const secrets = new SecretsManagerClient({
  endpoint: env.AWS_ENDPOINT_URL,
  region: env.AWS_REGION ?? 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});

/** The platform's redaction key, as the stack generated it on the emulator. */
async function redactionKey(): Promise<string> {
  const { SecretList = [] } = await secrets.send(new ListSecretsCommand({}));
  const secret = SecretList.find((s) => s.Name?.endsWith('/capture-redaction-key'));
  if (!secret?.Name) throw new Error('the stack has no capture redaction key');
  const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: secret.Name }));
  return SecretString ?? '';
}

/** The reference digest, from Python's hmac (scripts/fixtures/capture-redaction.py). */
function pythonHmac(key: string, value: string): string {
  return execFileSync('python3', ['scripts/fixtures/capture-redaction.py', '--key', key, '--value', value], {
    encoding: 'utf8',
  }).trim();
}

describe('capture redaction', () => {
  it('writes the capture without the dropped field and with the hashed one keyed as Python computes it', async () => {
    const name = unique('redact');
    const url = await uploadFixture('regressor.onnx', `models/${name}/regressor.onnx`);
    await sagemaker.send(
      new CreateModelCommand({ ModelName: name, PrimaryContainer: { Image: 'x', ModelDataUrl: url } }),
    );
    await sagemaker.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: name,
        ProductionVariants: [{ VariantName: 'main', ModelName: name }],
        DataCaptureConfig: {
          InitialSamplingPercentage: 100,
          DestinationS3Uri: `s3://${bucket}/captures/${name}`,
          CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
        },
      }),
    );
    await understudy('ConfigureCaptureRedaction', {
      EndpointConfigName: name,
      Drop: [{ JsonPath: '$.customer.name' }],
      Hash: [{ JsonPath: '$.customer.email' }],
    });
    await sagemaker.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: name }));
    await endpointInService(name, 60);

    const body = { instances: [[5.1, 3.5, 1.4, 0.2]], customer: { email: 'ada@example.com', name: 'Ada' } };
    const answer = await runtime.send(
      new InvokeEndpointCommand({
        EndpointName: name,
        ContentType: 'application/json',
        Body: new TextEncoder().encode(JSON.stringify(body)),
      }),
    );
    expect(JSON.parse(new TextDecoder().decode(answer.Body)).predictions).toHaveLength(1);
    await mirrorQueueDrained(60_000);

    const lines = await captureLines(`captures/${name}/${name}/main/`);
    expect(lines).toHaveLength(1);
    const captured = JSON.parse(lines[0]?.captureData.endpointInput?.data ?? '');
    expect(captured).toEqual({
      instances: [[5.1, 3.5, 1.4, 0.2]],
      customer: { email: pythonHmac(await redactionKey(), 'ada@example.com') },
    });
  });
});
