/**
 * The one module the CLI's commands talk through: where Understudy is, with which credentials,
 * and the SDK clients over it. Commands stay thin: each is a few calls of this client.
 *
 * Where Understudy is, in this order: `--endpoint-url`; AWS_ENDPOINT_URL_SAGEMAKER (the AWS
 * SDKs' own variable, so boto3 and the AWS CLI agree); the env file `npm start` writes
 * (`.understudy/local.env`, or `--local-env`), when it exists. Credentials and region: the
 * env file's when it is used, else the SDK's default chain (`--profile`, AWS_PROFILE,
 * AWS_ACCESS_KEY_ID, SSO...). Nothing falls back to localhost silently.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { parseEnvFile } from '../scripts/local/env-file.js';
import { CliError, EXIT } from './errors.js';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_ENV_FILE = path.join(PROJECT_ROOT, '.understudy', 'local.env');

export interface GlobalOptions {
  readonly endpointUrl?: string;
  readonly region?: string;
  readonly profile?: string;
  readonly localEnv?: string;
  readonly bucket?: string;
}

export interface Connection {
  readonly endpoint: string;
  readonly region?: string;
  readonly profile?: string;
  readonly credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  readonly s3Endpoint?: string;
  readonly sqsEndpoint?: string;
  readonly bucket?: string;
  readonly mirrorQueueUrl?: string;
  readonly dlqUrl?: string;
  /** Where the settings came from, for `status` and error messages. */
  readonly source: string;
}

function credentialsOf(env: Readonly<Record<string, string | undefined>>) {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = env;
  if (!accessKeyId || !secretAccessKey) return undefined;
  return {
    accessKeyId,
    secretAccessKey,
    ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
  };
}

/** Where Understudy is and who calls it (see the module comment for the order). */
export function resolveConnection(
  options: GlobalOptions,
  env: Readonly<Record<string, string | undefined>>,
): Connection {
  const envFile = options.localEnv ?? env.UNDERSTUDY_ENV_FILE ?? DEFAULT_ENV_FILE;
  const explicit = options.endpointUrl ?? env.AWS_ENDPOINT_URL_SAGEMAKER;
  const fromFile =
    !explicit || options.localEnv
      ? existsSync(envFile)
        ? parseEnvFile(readFileSync(envFile, 'utf8'))
        : undefined
      : undefined;
  if (options.localEnv && !fromFile) {
    throw new CliError(
      `env file ${options.localEnv} does not exist (is the platform running? try: understudy up)`,
      EXIT.unreachable,
    );
  }
  const source = fromFile ? { ...env, ...fromFile } : env;
  const endpoint = options.endpointUrl ?? source.AWS_ENDPOINT_URL_SAGEMAKER ?? source.UNDERSTUDY_URL;
  if (!endpoint) {
    throw new CliError(
      'no Understudy endpoint: start the local platform (understudy up), or set AWS_ENDPOINT_URL_SAGEMAKER / --endpoint-url to the ApiUrl output of cdk deploy',
      EXIT.unreachable,
    );
  }
  // A profile named on the command line wins over keys from the env file.
  const credentials = options.profile ? undefined : credentialsOf(source);
  const region = options.region ?? source.AWS_REGION ?? source.AWS_DEFAULT_REGION;
  const s3Endpoint = source.AWS_ENDPOINT_URL_S3 ?? source.AWS_ENDPOINT_URL;
  const sqsEndpoint = source.AWS_ENDPOINT_URL_SQS ?? source.AWS_ENDPOINT_URL;
  return {
    endpoint,
    ...(region ? { region } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
    ...(credentials ? { credentials } : {}),
    ...(s3Endpoint ? { s3Endpoint } : {}),
    ...(sqsEndpoint ? { sqsEndpoint } : {}),
    ...(options.bucket || source.UNDERSTUDY_BUCKET
      ? { bucket: options.bucket ?? source.UNDERSTUDY_BUCKET }
      : {}),
    ...(source.UNDERSTUDY_MIRROR_QUEUE_URL ? { mirrorQueueUrl: source.UNDERSTUDY_MIRROR_QUEUE_URL } : {}),
    ...(source.UNDERSTUDY_DLQ_URL ? { dlqUrl: source.UNDERSTUDY_DLQ_URL } : {}),
    source: options.endpointUrl ? '--endpoint-url' : fromFile ? envFile : 'AWS_ENDPOINT_URL_SAGEMAKER',
  };
}

export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match?.[1]) throw new CliError(`not an s3:// URI: ${uri}`, EXIT.usage);
  return { bucket: match[1], key: match[2] ?? '' };
}

/** The SDK clients over one connection, built on first use. */
export class UnderstudyClient {
  #sagemaker?: SageMakerClient;
  #runtime?: SageMakerRuntimeClient;
  #s3?: S3Client;
  #sqs?: SQSClient;

  constructor(readonly connection: Connection) {}

  #common() {
    const c = this.connection;
    return {
      ...(c.region ? { region: c.region } : {}),
      ...(c.profile ? { profile: c.profile } : {}),
      ...(c.credentials ? { credentials: c.credentials } : {}),
    };
  }

  get sagemaker(): SageMakerClient {
    this.#sagemaker ??= new SageMakerClient({ ...this.#common(), endpoint: this.connection.endpoint });
    return this.#sagemaker;
  }

  get runtime(): SageMakerRuntimeClient {
    this.#runtime ??= new SageMakerRuntimeClient({
      ...this.#common(),
      endpoint: this.connection.endpoint,
      // An invocation is not retried behind the user's back: it may be captured and shadowed.
      maxAttempts: 1,
    });
    return this.#runtime;
  }

  get s3(): S3Client {
    this.#s3 ??= new S3Client({
      ...this.#common(),
      ...(this.connection.s3Endpoint ? { endpoint: this.connection.s3Endpoint, forcePathStyle: true } : {}),
    });
    return this.#s3;
  }

  get sqs(): SQSClient {
    this.#sqs ??= new SQSClient({
      ...this.#common(),
      ...(this.connection.sqsEndpoint ? { endpoint: this.connection.sqsEndpoint } : {}),
    });
    return this.#sqs;
  }

  /** The platform's bucket (UNDERSTUDY_BUCKET, the env file or --bucket). */
  bucket(): string {
    if (!this.connection.bucket) {
      throw new CliError(
        'no bucket: pass --bucket or set UNDERSTUDY_BUCKET (the Bucket output of cdk deploy)',
        EXIT.usage,
      );
    }
    return this.connection.bucket;
  }

  async putObject(uri: string, body: Uint8Array | string, contentType?: string): Promise<string> {
    const { bucket, key } = parseS3Uri(uri);
    await this.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ...(contentType ? { ContentType: contentType } : {}),
      }),
    );
    return uri;
  }

  async getObject(uri: string): Promise<string> {
    const { bucket, key } = parseS3Uri(uri);
    const object = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return (await object.Body?.transformToString()) ?? '';
  }

  /** A SigV4 signer for SageMaker's service name, with the client's region and credentials. */
  private async signer(): Promise<SignatureV4> {
    const config = this.sagemaker.config;
    return new SignatureV4({
      service: 'sagemaker',
      region: await config.region(),
      credentials: config.credentials,
      sha256: Hash.bind(null, 'sha256'),
    });
  }

  /**
   * A presigned URL of the console (`GET <endpoint>/console`, SigV4 query authentication with
   * the user's credentials), valid for `expiresSeconds` (at most 604800, as AWS). A browser opens
   * it as it is; the page's report links carry its signature (docs/operations.md, "Console").
   */
  async consoleUrl(expiresSeconds: number): Promise<{ url: string; expiresAt: Date }> {
    const url = new URL(this.connection.endpoint);
    const signer = await this.signer();
    const signingDate = new Date();
    const path = `${url.pathname.replace(/\/$/, '')}/console`;
    const presigned = await signer.presign(
      new HttpRequest({
        method: 'GET',
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path,
        headers: { host: url.host },
      }),
      { expiresIn: expiresSeconds, signingDate },
    );
    const query = new URLSearchParams(presigned.query as Record<string, string>)
      .toString()
      .replaceAll('+', '%20');
    return {
      url: `${url.protocol}//${url.host}${path}?${query}`,
      expiresAt: new Date(Math.floor(signingDate.getTime() / 1000) * 1000 + expiresSeconds * 1000),
    };
  }

  /**
   * One of Understudy's own operations (`X-Amz-Target: Understudy.<Operation>`), signed with
   * SigV4 as the SDK signs SageMaker's: the SDK has no command for them. With `SageMaker`, a
   * SageMaker operation whose answer carries fields the SDK's model lacks (it drops them).
   */
  async call<T = Record<string, unknown>>(
    operation: string,
    input: unknown,
    service: 'Understudy' | 'SageMaker' = 'Understudy',
  ): Promise<T> {
    const url = new URL(this.connection.endpoint);
    const signer = await this.signer();
    const body = JSON.stringify(input);
    const pathname = url.pathname || '/';
    const signed = await signer.sign(
      new HttpRequest({
        method: 'POST',
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path: pathname,
        headers: {
          host: url.host,
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': `${service}.${operation}`,
        },
        body,
      }),
    );
    const response = await fetch(url, { method: 'POST', headers: signed.headers, body });
    const text = await response.text();
    let json: Record<string, unknown> = {};
    try {
      json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      json = { message: text };
    }
    if (!response.ok) {
      const type = String(json.__type ?? json.code ?? `HTTP ${response.status}`);
      throw Object.assign(new Error(String(json.message ?? json.Message ?? text)), {
        name: type.split('#').pop() ?? type,
        $metadata: { httpStatusCode: response.status },
      });
    }
    return json as T;
  }
}
