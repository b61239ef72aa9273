import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ENV } from '../lambdas/functions.js';
import { AccessKeys } from './constructs/access-keys.js';
import { Alerts } from './constructs/alerts.js';
import { Api } from './constructs/api.js';
import { ArtifactStore } from './constructs/artifact-store.js';
import { DataCapture } from './constructs/data-capture.js';
import { Deployments } from './constructs/deployments.js';
import { Monitoring } from './constructs/monitoring.js';
import { OnnxRuntimeLayer } from './constructs/onnx-runtime-layer.js';
import { ProcessingJobs } from './constructs/processing-jobs.js';
import { Registry } from './constructs/registry.js';
import { ShadowPipeline } from './constructs/shadow-pipeline.js';
import { Training } from './constructs/training.js';
import { UnderstudyFunction } from './constructs/understudy-function.js';

export interface UnderstudyStackProps extends StackProps {
  /** Absolute path of the project (entries and the layer build are resolved from it). */
  readonly projectRoot: string;
  /**
   * Customer KMS key ARNs that captures and monitoring reports may be encrypted with (see
   * DataCapture). Set with `cdk deploy -c allowedKmsKeyArns=arn1,arn2`.
   * @default none
   */
  readonly allowedKmsKeyArns?: readonly string[];
}

/** Output keys; the local platform reads physical names through them. */
export const OUTPUTS = {
  apiUrl: 'ApiUrl',
  bucket: 'BucketName',
  registryTable: 'RegistryTableName',
  mirrorQueueUrl: 'MirrorQueueUrl',
  deadLetterQueueUrl: 'DeadLetterQueueUrl',
  keysKmsKeyId: 'KeysKmsKeyId',
  adminKeySecretName: 'AdminKeySecretName',
  adminAccessKeyId: 'AdminAccessKeyId',
  invokeFunction: 'InvokeFunctionName',
  controlFunction: 'ControlFunctionName',
  shadowFunction: 'ShadowFunctionName',
  monitorFunction: 'MonitorFunctionName',
  monitorRule: 'MonitorRuleName',
  onnxLayerArn: 'OnnxLayerArn',
  deploymentQueueUrl: 'DeploymentQueueUrl',
  deployerFunction: 'DeployerFunctionName',
  alertsTopicArn: 'AlertsTopicArn',
  jobsQueueUrl: 'JobsQueueUrl',
  trainingFunction: 'TrainingFunctionName',
  trainingQueueUrl: 'TrainingQueueUrl',
} as const;

export class UnderstudyStack extends Stack {
  constructor(scope: Construct, id: string, props: UnderstudyStackProps) {
    super(scope, id, props);
    const { projectRoot } = props;

    // Stateful resources.
    const store = new ArtifactStore(this, 'ArtifactStore');
    const registry = new Registry(this, 'Registry');
    const keys = new AccessKeys(this, 'AccessKeys');
    const onnx = new OnnxRuntimeLayer(this, 'OnnxRuntime', { projectRoot });

    const baseEnv = {
      [ENV.registryTable]: registry.table.tableName,
      [ENV.bucket]: store.bucket.bucketName,
      [ENV.keysKmsKeyId]: keys.encryptionKey.keyId,
      [ENV.adminKeySecretId]: keys.adminSecretName,
    };

    // Stateless compute.
    const shadow = new UnderstudyFunction(this, 'Shadow', {
      name: 'shadow',
      projectRoot,
      environment: baseEnv,
      onnxLayer: onnx.layer,
    });
    const pipeline = new ShadowPipeline(this, 'ShadowPipeline', { shadowFunction: shadow.fn });
    const dataCapture = new DataCapture(this, 'DataCapture', { allowedKmsKeyArns: props.allowedKmsKeyArns });
    // Messages that can never be processed are parked in the DLQ with their reason at once.
    shadow.fn.addEnvironment(ENV.deadLetterQueueUrl, pipeline.deadLetterQueue.queueUrl);
    // Retried messages get their backoff from the function (ChangeMessageVisibility, part of the
    // event source's consume grant).
    shadow.fn.addEnvironment(ENV.mirrorQueueUrl, pipeline.queue.queueUrl);
    pipeline.deadLetterQueue.grantSendMessages(shadow.fn);
    // Capture index entries live as long as the captures they point at.
    shadow.fn.addEnvironment(ENV.captureRetentionDays, String(store.captureRetentionDays));
    const apiEnv = { ...baseEnv, [ENV.mirrorQueueUrl]: pipeline.queue.queueUrl };
    const invoke = new UnderstudyFunction(this, 'Invoke', {
      name: 'invoke',
      projectRoot,
      environment: apiEnv,
      onnxLayer: onnx.layer,
    });
    const control = new UnderstudyFunction(this, 'Control', {
      name: 'control',
      projectRoot,
      environment: apiEnv,
      onnxLayer: onnx.layer,
    });
    const alerts = new Alerts(this, 'Alerts');
    const monitor = new UnderstudyFunction(this, 'Monitor', {
      name: 'monitor',
      projectRoot,
      environment: { ...baseEnv, [ENV.alertsTopicArn]: alerts.topic.topicArn },
    });
    const deployer = new UnderstudyFunction(this, 'Deployer', {
      name: 'deployer',
      projectRoot,
      environment: { [ENV.registryTable]: registry.table.tableName },
    });
    const deployments = new Deployments(this, 'Deployments', { deployerFunction: deployer.fn });
    control.fn.addEnvironment(ENV.deploymentQueueUrl, deployments.queue.queueUrl);
    control.fn.addEnvironment(ENV.listingKeySecretId, registry.listingKeySecretName);
    const api = new Api(this, 'Api', { invokeFunction: invoke.fn, controlFunction: control.fn });
    const monitoring = new Monitoring(this, 'Monitoring', { monitorFunction: monitor.fn });
    const processingJobs = new ProcessingJobs(this, 'ProcessingJobs', { monitorFunction: monitor.fn });
    control.fn.addEnvironment(ENV.jobsQueueUrl, processingJobs.queue.queueUrl);
    const trainer = new UnderstudyFunction(this, 'Trainer', {
      name: 'training',
      projectRoot,
      environment: baseEnv,
      onnxLayer: onnx.layer,
    });
    const training = new Training(this, 'Training', { trainingFunction: trainer.fn });
    control.fn.addEnvironment(ENV.trainingQueueUrl, training.queue.queueUrl);

    // Least privilege per function: what each handler's ports send (lambdas/<function>/handler.ts).
    // invoke: endpoints and keys (GetItem), drop counters (UpdateItem); models (GetObject),
    // spilled mirror bodies (PutObject under mirror-spill/); the mirror queue; key verification.
    registry.grantReadItemsAndCount(invoke.fn);
    store.grantReadObjects(invoke.fn);
    store.grantPutObjects(invoke.fn, 'mirror-spill/');
    pipeline.queue.grantSendMessages(invoke.fn);
    keys.grantVerify(invoke.fn);
    // ...and the redaction key: captured copies are redacted before they are sent.
    dataCapture.grantRedact(invoke.fn);
    invoke.fn.addEnvironment(ENV.captureRedactionKeySecretId, dataCapture.redactionKeySecretName);

    // control: the registry store and access keys; artifacts, datasets and baselines (ListObjectsV2
    // for datasets under a prefix); the step queue and alarm states for rollouts.
    registry.grantReadWriteItems(control.fn);
    store.grantReadObjects(control.fn);
    store.grantPutObjects(control.fn);
    keys.grantVerify(control.fn);
    keys.grantIssue(control.fn);
    deployments.grantStartRollouts(control.fn);
    processingJobs.grantSendJobs(control.fn);
    training.grantSendJobs(control.fn);
    registry.grantListings(control.fn);
    control.fn.addEnvironment(ENV.allowedKmsKeyArns, dataCapture.allowedKmsKeyArns.join(','));
    registry.grantPublishEvents(control.fn);

    // deployer: the registry store; its queue and alarms are granted by Deployments.
    registry.grantReadWriteItems(deployer.fn);

    // shadow: the registry store and the delivery ledger; models and spilled bodies in, captures and
    // report snapshots out; the DLQ (granted above).
    registry.grantReadWriteItems(shadow.fn);
    store.grantReadObjects(shadow.fn);
    store.grantPutObjects(shadow.fn);
    // Captures under a DataCaptureConfig.KmsKeyId: encrypt with the allowed customer keys only.
    dataCapture.grantEncryptWithCustomerKeys(shadow.fn);

    // monitor: reads captures and baselines, writes reports; publishes metrics and alerts.
    registry.grantReadWriteItems(monitor.fn);
    store.grantReadObjects(monitor.fn);
    store.grantPutObjects(monitor.fn);
    // Captures encrypted with a customer key in, reports under MonitoringOutputConfig.KmsKeyId out.
    dataCapture.grantDecryptWithCustomerKeys(monitor.fn);
    dataCapture.grantEncryptWithCustomerKeys(monitor.fn);
    monitoring.grantPutDataMetrics(monitor.fn);
    alerts.grantPublish(monitor.fn);

    // training: job records and registrations (the registry store); channels in, model.tar.gz,
    // baselines and metrics out; the registered package's event. Its queue is granted by Training.
    registry.grantReadWriteItems(trainer.fn);
    store.grantReadObjects(trainer.fn);
    store.grantPutObjects(trainer.fn);
    registry.grantPublishEvents(trainer.fn);

    const outputs: Record<keyof typeof OUTPUTS, string> = {
      apiUrl: api.url,
      bucket: store.bucket.bucketName,
      registryTable: registry.table.tableName,
      mirrorQueueUrl: pipeline.queue.queueUrl,
      deadLetterQueueUrl: pipeline.deadLetterQueue.queueUrl,
      keysKmsKeyId: keys.encryptionKey.keyId,
      adminKeySecretName: keys.adminSecretName,
      adminAccessKeyId: keys.adminAccessKeyId,
      invokeFunction: invoke.fn.functionName,
      controlFunction: control.fn.functionName,
      shadowFunction: shadow.fn.functionName,
      monitorFunction: monitor.fn.functionName,
      monitorRule: monitoring.rule.ruleName,
      onnxLayerArn: onnx.layer.layerVersionArn,
      deploymentQueueUrl: deployments.queue.queueUrl,
      deployerFunction: deployer.fn.functionName,
      alertsTopicArn: alerts.topic.topicArn,
      jobsQueueUrl: processingJobs.queue.queueUrl,
      trainingFunction: trainer.fn.functionName,
      trainingQueueUrl: training.queue.queueUrl,
    };
    for (const [key, value] of Object.entries(outputs)) {
      new CfnOutput(this, OUTPUTS[key as keyof typeof OUTPUTS], { value });
    }
  }
}
