/**
 * AWS clients of the local platform. They, like the handlers running in the same process,
 * take everything from the standard environment (AWS_ENDPOINT_URL, AWS_REGION and the
 * credentials), which `useEmulator` points at the emulator before any client exists.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';

/** moto's account; the account of any stack deployed onto it. */
export const EMULATOR_ACCOUNT_ID = '123456789012';

export function defaultRegion(): string {
  return process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1';
}

/**
 * Points this process at the emulator: its endpoint for every service, throwaway
 * credentials (the emulator accepts any), the region. Per-service endpoint overrides,
 * profiles and session tokens a caller's shell may carry (for instance from a sourced
 * local.env) are removed so nothing here talks to anything but the emulator.
 */
export function useEmulator(endpoint: string, region: string): void {
  for (const key of Object.keys(process.env)) {
    if (key.startsWith('AWS_ENDPOINT_URL_')) delete process.env[key];
  }
  for (const key of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS']) {
    delete process.env[key];
  }
  process.env.AWS_ENDPOINT_URL = endpoint;
  // A fault-injection hook (`npm run bench -- faults`): S3 through a proxy that can refuse
  // writes for a while. Not for anything else: every S3 call of the platform goes there.
  const s3Proxy = process.env.UNDERSTUDY_LOCAL_S3_PROXY;
  if (s3Proxy) process.env.AWS_ENDPOINT_URL_S3 = s3Proxy;
  process.env.AWS_REGION = region;
  process.env.AWS_DEFAULT_REGION = region;
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
}

export interface Clients {
  readonly cfn: CloudFormationClient;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
  readonly secrets: SecretsManagerClient;
  destroy(): void;
}

/** Clients configured from the environment only (call after useEmulator). */
export function createClients(): Clients {
  const clients = {
    cfn: new CloudFormationClient({}),
    s3: new S3Client({ forcePathStyle: true }),
    sqs: new SQSClient({}),
    dynamodb: new DynamoDBClient({}),
    secrets: new SecretsManagerClient({}),
  };
  return {
    ...clients,
    destroy() {
      for (const client of Object.values(clients)) client.destroy();
    },
  };
}
