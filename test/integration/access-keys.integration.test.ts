import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import { endpointInService, env, errorOf, sagemaker, understudy, unique, uploadFixture } from './platform.js';

const ROW = new TextEncoder().encode('1,2,3,4\n');

describe('access keys: an invoker key limited to one endpoint, deleted and refused', () => {
  const name = unique('keys');
  const endpointA = `${name}-a`;
  const endpointB = `${name}-b`;

  beforeAll(async () => {
    const modelDataUrl = await uploadFixture('regressor.onnx', `models/${name}/model.onnx`);
    await sagemaker.send(
      new CreateModelCommand({
        ModelName: name,
        PrimaryContainer: { Image: 'onnx', ModelDataUrl: modelDataUrl },
      }),
    );
    await sagemaker.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: name,
        ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: name, InitialVariantWeight: 1 }],
      }),
    );
    for (const endpoint of [endpointA, endpointB]) {
      await sagemaker.send(new CreateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: name }));
    }
    await Promise.all([endpointInService(endpointA), endpointInService(endpointB)]);
  });

  it('invokes its endpoint, is refused the other, and is refused everywhere within 10 s of its deletion', async () => {
    const created = await understudy('CreateAccessKey', {
      Role: 'invoker',
      EndpointNames: [endpointA],
      Description: 'integration test',
    });
    expect(created).toMatchObject({ Role: 'invoker', EndpointNames: [endpointA] });
    const runtime = new SageMakerRuntimeClient({
      endpoint: env.UNDERSTUDY_URL,
      region: env.AWS_REGION ?? 'us-east-1',
      credentials: {
        accessKeyId: String(created.AccessKeyId),
        secretAccessKey: String(created.SecretAccessKey),
      },
      maxAttempts: 1,
    });
    const invoke = (EndpointName: string) =>
      runtime.send(new InvokeEndpointCommand({ EndpointName, ContentType: 'text/csv', Body: ROW }));

    await expect(invoke(endpointA)).resolves.toMatchObject({ InvokedProductionVariant: 'AllTraffic' });
    expect(await errorOf(invoke(endpointB))).toMatchObject({ name: 'AccessDeniedException', status: 403 });

    const listed = await understudy('ListAccessKeys', { MaxResults: 100 });
    const mine = (listed.AccessKeys as Record<string, unknown>[]).find(
      (k) => k.AccessKeyId === created.AccessKeyId,
    );
    expect(mine).toMatchObject({
      Role: 'invoker',
      EndpointNames: [endpointA],
      Description: 'integration test',
    });
    expect(JSON.stringify(listed)).not.toContain(String(created.SecretAccessKey));

    // The data plane has the key cached from the calls above; the deletion must still reach it.
    await understudy('DeleteAccessKey', { AccessKeyId: created.AccessKeyId });
    const deletedAt = Date.now();
    let refusal: { name: string; status?: number } | undefined;
    while (refusal === undefined && Date.now() - deletedAt < 15_000) {
      refusal = await invoke(endpointA).then(
        () => undefined,
        (error: { name: string; $metadata?: { httpStatusCode?: number } }) => ({
          name: error.name,
          status: error.$metadata?.httpStatusCode,
        }),
      );
      if (refusal === undefined) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const refusedAfterMs = Date.now() - deletedAt;
    console.log(`deleted key refused after ${refusedAfterMs} ms`);
    expect(refusal).toMatchObject({ name: 'UnrecognizedClientException', status: 403 });
    expect(refusedAfterMs).toBeLessThan(10_000);
    expect(await errorOf(understudy('DeleteAccessKey', { AccessKeyId: created.AccessKeyId }))).toMatchObject({
      name: 'ResourceNotFound',
    });
  });
});
