import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/**
 * A client that is built (its configuration resolved, its middleware stack assembled: a few ms
 * of a cold start) on its first call: for clients a request may never need, as the mirror's, or
 * KMS when only the admin key signs. Only `send` is offered, which is all the adapters call.
 */
export function onFirstSend<C extends { send(...args: never[]): unknown }>(create: () => C): C {
  let client: C | undefined;
  const send = (...args: unknown[]) => {
    client ??= create();
    return (client.send as (...a: unknown[]) => unknown).apply(client, args);
  };
  return { send } as unknown as C;
}

/**
 * A connection to an in-region endpoint takes milliseconds; 5 s leaves room for the pool wait
 * of a busy process (the local platform runs every function in one process, sharing these
 * clients) while still ending a black-holed connect well inside a function's timeout.
 */
const CONNECTION_TIMEOUT_MS = 5_000;

/**
 * Explicit timeouts for every client: the SDK's defaults are none, so one stuck connection
 * (a half-open socket, an endpoint that stopped answering) holds a handler until its function
 * times out, and the caller sees a 500 where a retry on a fresh connection would have worked.
 * `connectionTimeout` bounds getting a connected socket, which here includes waiting for one
 * from the pool and the DNS lookup (the kernel resends a lost SYN by itself). `requestTimeout`
 * bounds the wait for the response's headers; `throwOnRequestTimeout` makes it fail the attempt
 * (this version of the handler only logs a warning otherwise), and the SDK retries.
 */
export function timeouts(
  requestTimeout: number,
  extra: { socketTimeout?: number; connectionTimeout?: number } = {},
) {
  return new NodeHttpHandler({
    connectionTimeout: extra.connectionTimeout ?? CONNECTION_TIMEOUT_MS,
    requestTimeout,
    throwOnRequestTimeout: true,
    socketTimeout: extra.socketTimeout,
  });
}

/**
 * Per client, in milliseconds. These services answer in milliseconds; the timeouts are there
 * for calls that will never answer, not to hurry slow ones, since a call given up on is
 * retried and a retried write (a DynamoDB transaction, an ADD) may apply twice. So each is
 * far above normal latency and above what the emulator was seen to take on a loaded two-core
 * machine (up to ~10 s for DynamoDB; 3-5 s timeouts failed requests there), and an attempt plus
 * one retry still fit in the 30 s of the shortest function timeout (invoke, deployer).
 * DynamoDB, SQS (deployment steps, dead letters; no handler long-polls), KMS and Secrets
 * Manager (access keys, at cold start), CloudWatch, EventBridge and SNS are all small
 * calls, so they share one value. S3 differs: bodies stream after the headers, which
 * `requestTimeout` does not cover, so `socketTimeout` (inactivity) also catches a stalled model
 * download or capture upload without cutting a large one that is still moving.
 */
export const CLIENT_TIMEOUTS_MS = {
  dynamo: 12_000,
  sqs: 12_000,
  kms: 12_000,
  secrets: 12_000,
  cloudwatch: 12_000,
  events: 12_000,
  sns: 12_000,
  s3: 12_000,
} as const;

/**
 * The mirror's clients (invoke Lambda: SendMessage, and the S3 spill of large messages) are
 * separate from the others because the mirror has its own time budget and its own single
 * retry (lambdas/domain/capture/mirror-delivery.ts): one SDK attempt per call, so the budget
 * sees every attempt, and timeouts taken from the budget. The connect timeout is half of it,
 * so a connection that does not come up fails while the budget still has room for the retry
 * on a fresh one; the request timeout is the budget itself, a backstop for a send made
 * without the budget's abort signal, which otherwise ends a send first.
 */
export function mirrorClientConfig(budgetMs: number) {
  return { maxAttempts: 1, connectionTimeoutMs: Math.ceil(budgetMs / 2), requestTimeoutMs: budgetMs };
}

function mirrorClientOptions(budgetMs: number) {
  const config = mirrorClientConfig(budgetMs);
  return {
    maxAttempts: config.maxAttempts,
    requestHandler: timeouts(config.requestTimeoutMs, { connectionTimeout: config.connectionTimeoutMs }),
  };
}

/** An SQS client for the mirror queue; `config` adds to it (an endpoint, in the benchmark). */
export function mirrorSqsClient(budgetMs: number, config: SQSClientConfig = {}): SQSClient {
  return new SQSClient({ ...mirrorClientOptions(budgetMs), ...config });
}

function mirrorS3Client(budgetMs: number, config: S3ClientConfig = {}): S3Client {
  return new S3Client({ ...mirrorClientOptions(budgetMs), ...config });
}

/** Custom endpoints (emulators, S3-compatible stores) need path-style addressing. */
const s3PathStyle = () => Boolean(process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL);

/**
 * One SDK client per service per process, created on first use: the clients of the data plane
 * (the invoke function), apart from clients.ts so that the invoke function's bundle holds only
 * the SDK clients it calls (each one adds to what a cold start parses and runs); clients.ts
 * adds the others and shares these. Endpoints, region and credentials come only from the
 * standard environment (AWS_ENDPOINT_URL*, AWS_REGION, ...).
 */
let dynamo: DynamoDBDocumentClient | undefined;
let s3: S3Client | undefined;
let sqs: SQSClient | undefined;
let mirror: { sqs: SQSClient; s3: S3Client } | undefined;
let kms: KMSClient | undefined;
let secrets: SecretsManagerClient | undefined;

export const dataPlaneClients = {
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
  /**
   * The mirror queue's clients, for the mirror's time budget (see mirrorClientConfig), built on
   * their first send: only sampled requests use them.
   */
  mirror(budgetMs: number): { sqs: SQSClient; s3: S3Client } {
    mirror ??= {
      sqs: onFirstSend(() => mirrorSqsClient(budgetMs)),
      s3: onFirstSend(() => mirrorS3Client(budgetMs, { forcePathStyle: s3PathStyle() })),
    };
    return mirror;
  },
  kms(): KMSClient {
    kms ??= new KMSClient({ requestHandler: timeouts(CLIENT_TIMEOUTS_MS.kms) });
    return kms;
  },
  secrets(): SecretsManagerClient {
    secrets ??= new SecretsManagerClient({
      requestHandler: timeouts(CLIENT_TIMEOUTS_MS.secrets),
    });
    return secrets;
  },
};
