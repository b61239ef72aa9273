import { CloudWatchAlarmSource } from '../adapters/cloudwatch-alarm-source.js';
import { DynamoDbRegistryStore } from '../adapters/dynamodb-registry-store.js';
import { EventBridgePublisher } from '../adapters/eventbridge-publisher.js';
import { S3ArtifactSource } from '../adapters/s3-artifact-source.js';
import { S3ObjectStore } from '../adapters/s3-object-store.js';
import { secretsManagerKey } from '../adapters/secrets-manager-key.js';
import { SqsJobQueue } from '../adapters/sqs-job-queue.js';
import { SqsStepScheduler } from '../adapters/sqs-step-scheduler.js';
import { OfflineEvaluator } from '../domain/evaluation/offline-evaluation.js';
import { EndpointPackageUsage } from '../domain/hosting/package-usage.js';
import { BucketPolicy } from '../domain/kernel/buckets.js';
import { ListingTokens } from '../domain/kernel/context.js';
import { ENV } from '../functions.js';
import { accessKeysFromEnv } from '../shared/access-keys.js';
import { clients } from '../shared/clients.js';
import { listEnv, requireEnv } from '../shared/config.js';
import { functionLogger } from '../shared/logger.js';
import { onnxModelProbe } from '../shared/model-probe.js';
import { createControlHandler } from './control-plane.js';

const tableName = requireEnv(ENV.registryTable);
const logging = functionLogger('understudy-control');
const store = new DynamoDbRegistryStore(clients.dynamo(), tableName);

const keys = accessKeysFromEnv();
const artifacts = new S3ArtifactSource(clients.s3());
const objects = new S3ObjectStore(clients.s3());

export const handler = createControlHandler({
  logging,
  store,
  events: new EventBridgePublisher({ events: clients.events(), log: logging.log }),
  packageUsage: new EndpointPackageUsage(store),
  artifacts,
  objects,
  packageEvaluation: new OfflineEvaluator({ objects, artifacts }),
  models: onnxModelProbe,
  keys,
  accessKeys: keys,
  listingTokens: new ListingTokens(secretsManagerKey(clients.secrets(), requireEnv(ENV.listingKeySecretId))),
  region: requireEnv('AWS_REGION'),
  buckets: new BucketPolicy(requireEnv(ENV.bucket), BucketPolicy.parseList(process.env[ENV.allowedBuckets])),
  allowedKmsKeys: listEnv(ENV.allowedKmsKeyArns),
  jobs: new SqsJobQueue(clients.sqs(), requireEnv(ENV.jobsQueueUrl)),
  training: new SqsJobQueue(clients.sqs(), requireEnv(ENV.trainingQueueUrl)),
  deployments: {
    alarms: new CloudWatchAlarmSource(clients.cloudwatch()),
    scheduler: new SqsStepScheduler(clients.sqs(), requireEnv(ENV.deploymentQueueUrl)),
  },
});
