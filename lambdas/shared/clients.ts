import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * One SDK client per service per process, created on first use. Endpoints, region and
 * credentials come only from the standard environment (AWS_ENDPOINT_URL*, AWS_REGION, ...).
 */
let dynamo: DynamoDBDocumentClient | undefined;
let s3: S3Client | undefined;
let sqs: SQSClient | undefined;
let kms: KMSClient | undefined;
let secrets: SecretsManagerClient | undefined;
let cloudwatch: CloudWatchClient | undefined;
let events: EventBridgeClient | undefined;
let sns: SNSClient | undefined;

export const clients = {
  dynamo(): DynamoDBDocumentClient {
    dynamo ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true },
    });
    return dynamo;
  },
  s3(): S3Client {
    // Custom endpoints (emulators, S3-compatible stores) need path-style addressing.
    const customEndpoint = Boolean(process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL);
    s3 ??= new S3Client({ forcePathStyle: customEndpoint });
    return s3;
  },
  sqs(): SQSClient {
    sqs ??= new SQSClient({});
    return sqs;
  },
  kms(): KMSClient {
    kms ??= new KMSClient({});
    return kms;
  },
  secrets(): SecretsManagerClient {
    secrets ??= new SecretsManagerClient({});
    return secrets;
  },
  cloudwatch(): CloudWatchClient {
    cloudwatch ??= new CloudWatchClient({});
    return cloudwatch;
  },
  events(): EventBridgeClient {
    events ??= new EventBridgeClient({});
    return events;
  },
  sns(): SNSClient {
    sns ??= new SNSClient({});
    return sns;
  },
};
