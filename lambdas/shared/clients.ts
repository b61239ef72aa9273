import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/**
 * Explicit timeouts for every client: the SDK's defaults are none, so one stuck connection
 * holds a handler until its function times out (the caller then sees a 500 instead of a typed
 * error or a retry). `connectionTimeout` bounds getting a connected socket (pool wait and DNS
 * included, TLS not); in-region endpoints connect in milliseconds, so 1 s means the connection
 * is lost (a dropped SYN is only resent after 1 s) and the SDK's retry on a new connection is
 * the faster way out.
 * `requestTimeout` bounds the wait for the response's headers; with `throwOnRequestTimeout`
 * it fails the attempt (without it, this version of the handler only logs a warning). Each
 * service's value leaves room for the SDK's three attempts inside the shortest function
 * timeout that uses it (30 s), and sits far above the service's normal latency so a loaded
 * machine (the local emulator on two cores) slows down rather than fails.
 */
function timeouts(
  requestTimeout: number,
  extra: { socketTimeout?: number; connectionTimeout?: number } = {},
) {
  return new NodeHttpHandler({
    connectionTimeout: extra.connectionTimeout ?? 1_000,
    requestTimeout,
    throwOnRequestTimeout: true,
    socketTimeout: extra.socketTimeout,
  });
}

/**
 * Per client, in milliseconds. DynamoDB answers in single-digit ms; 5 s covers a slow
 * transaction or a long query page. KMS and Secrets Manager sit on the signature check of a
 * cold start (access keys), so they fail faster. S3 bodies stream after the headers, which
 * `requestTimeout` does not cover: `socketTimeout` (inactivity) catches a stalled model
 * download or capture upload without cutting a large one that is still moving. SQS
 * (deployment steps, dead letters; no handler long-polls), CloudWatch, EventBridge and SNS
 * are small control calls.
 */
const CLIENT_TIMEOUTS_MS = {
  dynamo: 5_000,
  kms: 3_000,
  secrets: 3_000,
  s3: 8_000,
  sqs: 5_000,
  cloudwatch: 5_000,
  events: 5_000,
  sns: 5_000,
} as const;

/**
 * The mirror's clients (invoke Lambda: SendMessage, and the S3 spill of large messages) are
 * separate from the others because the mirror has its own time budget and its own single
 * retry (lambdas/domain/capture/mirror-delivery.ts): one SDK attempt per call, so the budget
 * sees every attempt. The short connect timeout lets a lost connection fail while the budget
 * still has room for the retry on a fresh one; the request timeout is only a backstop, since
 * the budget's abort signal (500 ms by default) ends a send sooner; a budget set above it
 * still ends each attempt there, leaving the rest of the budget to the retry.
 */
export const MIRROR_CLIENT_CONFIG = {
  maxAttempts: 1,
  connectionTimeoutMs: 250,
  requestTimeoutMs: 2_000,
} as const;

function mirrorHandler(): NodeHttpHandler {
  return timeouts(MIRROR_CLIENT_CONFIG.requestTimeoutMs, {
    connectionTimeout: MIRROR_CLIENT_CONFIG.connectionTimeoutMs,
  });
}

/** An SQS client for the mirror queue; `config` adds to it (an endpoint, in the benchmark). */
export function mirrorSqsClient(config: SQSClientConfig = {}): SQSClient {
  return new SQSClient({
    maxAttempts: MIRROR_CLIENT_CONFIG.maxAttempts,
    requestHandler: mirrorHandler(),
    ...config,
  });
}

function mirrorS3Client(config: S3ClientConfig = {}): S3Client {
  return new S3Client({
    maxAttempts: MIRROR_CLIENT_CONFIG.maxAttempts,
    requestHandler: mirrorHandler(),
    ...config,
  });
}

/** Custom endpoints (emulators, S3-compatible stores) need path-style addressing. */
const s3PathStyle = () => Boolean(process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL);

/**
 * One SDK client per service per process, created on first use. Endpoints, region and
 * credentials come only from the standard environment (AWS_ENDPOINT_URL*, AWS_REGION, ...).
 */
let dynamo: DynamoDBDocumentClient | undefined;
let s3: S3Client | undefined;
let sqs: SQSClient | undefined;
let mirror: { sqs: SQSClient; s3: S3Client } | undefined;
let kms: KMSClient | undefined;
let secrets: SecretsManagerClient | undefined;
let cloudwatch: CloudWatchClient | undefined;
let events: EventBridgeClient | undefined;
let sns: SNSClient | undefined;

export const clients = {
  dynamo(): DynamoDBDocumentClient {
    dynamo ??= DynamoDBDocumentClient.from(
      new DynamoDBClient({ requestHandler: timeouts(CLIENT_TIMEOUTS_MS.dynamo) }),
      { marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true } },
    );
    return dynamo;
  },
  s3(): S3Client {
    s3 ??= new S3Client({
      forcePathStyle: s3PathStyle(),
      requestHandler: timeouts(CLIENT_TIMEOUTS_MS.s3, { socketTimeout: CLIENT_TIMEOUTS_MS.s3 }),
    });
    return s3;
  },
  sqs(): SQSClient {
    sqs ??= new SQSClient({ requestHandler: timeouts(CLIENT_TIMEOUTS_MS.sqs) });
    return sqs;
  },
  /** The mirror queue's clients: see MIRROR_CLIENT_CONFIG. */
  mirror(): { sqs: SQSClient; s3: S3Client } {
    mirror ??= { sqs: mirrorSqsClient(), s3: mirrorS3Client({ forcePathStyle: s3PathStyle() }) };
    return mirror;
  },
  kms(): KMSClient {
    kms ??= new KMSClient({ requestHandler: timeouts(CLIENT_TIMEOUTS_MS.kms) });
    return kms;
  },
  secrets(): SecretsManagerClient {
    secrets ??= new SecretsManagerClient({ requestHandler: timeouts(CLIENT_TIMEOUTS_MS.secrets) });
    return secrets;
  },
  cloudwatch(): CloudWatchClient {
    cloudwatch ??= new CloudWatchClient({ requestHandler: timeouts(CLIENT_TIMEOUTS_MS.cloudwatch) });
    return cloudwatch;
  },
  events(): EventBridgeClient {
    events ??= new EventBridgeClient({ requestHandler: timeouts(CLIENT_TIMEOUTS_MS.events) });
    return events;
  },
  sns(): SNSClient {
    sns ??= new SNSClient({ requestHandler: timeouts(CLIENT_TIMEOUTS_MS.sns) });
    return sns;
  },
};
