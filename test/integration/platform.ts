import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DescribeEndpointCommand,
  SageMakerClient,
  waitUntilEndpointInService,
} from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { expect, inject } from 'vitest';
import { FIXTURES } from '../support/models.js';
import { jsonTargetHeaders, signedPost } from '../support/signed-request.js';

/** The environment `npm start` wrote to local.env, as a user would source it. */
export const env = inject('platformEnv');

const credentials = {
  accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
  secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
};
const region = env.AWS_REGION ?? 'us-east-1';

export const sagemaker = new SageMakerClient({ endpoint: env.UNDERSTUDY_URL, region, credentials });
export const runtime = new SageMakerRuntimeClient({
  endpoint: env.UNDERSTUDY_URL,
  region,
  credentials,
  maxAttempts: 1,
});

/** S3 on the emulator, for uploading model artifacts as a user would. */
export const s3 = new S3Client({
  endpoint: env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL,
  region,
  forcePathStyle: true,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});

export const bucket = env.UNDERSTUDY_BUCKET ?? '';

/** Uploads a fixture model to the platform's bucket and returns its s3:// URI. */
export async function uploadFixture(file: string, key = `models/${file}`): Promise<string> {
  await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: readFileSync(`${FIXTURES}/${file}`) }),
  );
  return `s3://${bucket}/${key}`;
}

export async function ensureBucket(name: string): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: name })).catch(() => undefined);
}

/** A name unique to this run, so test files never collide. */
export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;
}

/**
 * Calls one of Understudy's own operations (`X-Amz-Target: Understudy.<Operation>`), signed
 * like any SageMaker call, with the SDK's signer.
 */
export async function understudy(operation: string, input: unknown): Promise<Record<string, unknown>> {
  const url = new URL(env.UNDERSTUDY_URL ?? '');
  const body = JSON.stringify(input);
  const signed = await signedPost(url, {
    region,
    credentials,
    path: '/',
    headers: jsonTargetHeaders(`Understudy.${operation}`),
    body,
  });
  const response = await fetch(url, { method: 'POST', headers: signed.headers, body });
  const json = (await response.json()) as Record<string, unknown>;
  if (!response.ok)
    throw Object.assign(new Error(String(json.message)), {
      name: String(json.__type),
      status: response.status,
    });
  return json;
}

/** The typed error a call failed with (name, message, HTTP status); fails when it did not fail. */
export async function errorOf(
  promise: Promise<unknown>,
): Promise<{ name: string; message: string; status?: number }> {
  try {
    await promise;
  } catch (error) {
    const e = error as {
      name: string;
      message: string;
      status?: number;
      $metadata?: { httpStatusCode?: number };
    };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode ?? e.status };
  }
  throw new Error('expected the call to fail');
}

/** SQS on the emulator. */
export const emulatorSqs = new SQSClient({
  endpoint: env.AWS_ENDPOINT_URL,
  region,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});

/**
 * DynamoDB on the emulator, without retries: a failed call (an emulator's 500 included) stays
 * visible to the test instead of being retried away.
 */
export const emulatorDynamoDb = new DynamoDBClient({
  endpoint: env.AWS_ENDPOINT_URL_DYNAMODB ?? env.AWS_ENDPOINT_URL,
  region,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  maxAttempts: 1,
});

/**
 * Waits until the mirror queue holds no message, visible or in flight, twice in a row: the
 * shadow Lambda has processed everything sent so far. Fails after `timeoutMs` rather than let
 * a test go on to check figures that are still moving.
 */
export async function mirrorQueueDrained(timeoutMs: number): Promise<void> {
  const started = Date.now();
  let emptyReads = 0;
  let left = '';
  while (emptyReads < 2) {
    if (Date.now() - started > timeoutMs)
      throw new Error(`mirror queue not drained after ${timeoutMs} ms: ${left}`);
    const { Attributes = {} } = await emulatorSqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: env.UNDERSTUDY_MIRROR_QUEUE_URL,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    const visible = Number(Attributes.ApproximateNumberOfMessages);
    const inFlight = Number(Attributes.ApproximateNumberOfMessagesNotVisible);
    left = `${visible} visible and ${inFlight} in flight`;
    emptyReads = visible + inFlight === 0 ? emptyReads + 1 : 0;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Waits (polling every second, as the SDK's waiter) until an endpoint is InService; returns it. */
export async function endpointInService(EndpointName: string, maxWaitTime = 120) {
  await waitUntilEndpointInService(
    { client: sagemaker, maxWaitTime, minDelay: 1, maxDelay: 1 },
    { EndpointName },
  );
  return sagemaker.send(new DescribeEndpointCommand({ EndpointName }));
}

/** Fires the stack's monitor rule through the local trigger, as EventBridge would at `time`. */
export async function fireMonitor(time: Date) {
  const { schedules } = (await (await fetch(`${env.UNDERSTUDY_URL}/_local/schedules`)).json()) as {
    schedules: { logicalId: string; targets: string[] }[];
  };
  const rule = schedules.find((s) => s.targets.some((t) => /monitor/i.test(t)));
  expect(rule, JSON.stringify(schedules)).toBeDefined();
  const response = await fetch(`${env.UNDERSTUDY_URL}/_local/schedules/${rule?.logicalId}/run`, {
    method: 'POST',
    body: JSON.stringify({ time: time.toISOString() }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { executions: { schedule: string; status: string }[] };
}
