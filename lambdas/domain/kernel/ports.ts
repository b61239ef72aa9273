/**
 * The ports the control plane is built with, beyond the registry store (store.ts) and
 * artifacts (artifact.ts): objects on S3 by URI, and what rollouts need (alarms, the step
 * queue), and the monitor's jobs queue. Adapters in lambdas/adapters/ implement them over the AWS
 * SDK; tests fake them.
 */

import type { RegisteredArtifact } from './records.js';

/** One object under a prefix. */
export interface ObjectSummary {
  /** `s3://bucket/key`. */
  readonly uri: string;
  readonly key: string;
  readonly size: number;
}

/** Reading and writing objects by `s3://bucket/key` URI. */
export interface ObjectStore {
  /** The object's text, or undefined when there is no such object (or bucket). */
  getText(uri: string): Promise<string | undefined>;
  /**
   * The object's bytes as they arrive, in chunks of any size (an S3 GetObject body), or
   * undefined when there is no such object: for files read once, front to back, that may be
   * larger than memory should hold (capture files).
   */
  getStream(uri: string): Promise<AsyncIterable<Uint8Array> | undefined>;
  /** Writes text; with `kmsKeyId`, encrypted SSE-KMS with that (customer) key. */
  putText(uri: string, body: string, contentType: string, options?: { kmsKeyId?: string }): Promise<void>;
  /** Writes binary bytes (a model.tar.gz). */
  putBytes(uri: string, body: Uint8Array, contentType: string): Promise<void>;
  /** Every object whose key starts with the prefix of `prefixUri` (`s3://bucket/prefix`), by key. */
  list(prefixUri: string): Promise<ObjectSummary[]>;
  /** Whether the bucket of `uri` (`s3://bucket[/key]`) exists. */
  bucketExists(uri: string): Promise<boolean>;
}

/** The message that drives a rollout: "look at this deployment again". */
export interface StepMessage {
  readonly EndpointName: string;
  readonly DeploymentId: string;
  readonly Tick: number;
}

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** CloudWatch alarms by name (metric or composite). */
export interface AlarmSource {
  /** The states of the named alarms; a name missing from the answer has no alarm. */
  states(names: readonly string[]): Promise<Map<string, AlarmState>>;
}

/** Delivers step messages to the deployer after a delay, at least once. */
export interface StepScheduler {
  schedule(message: StepMessage, delaySeconds: number): Promise<void>;
}

/** What rollouts need beyond the registry; the control plane and the deployer both have it. */
export interface DeploymentServices {
  readonly alarms: AlarmSource;
  readonly scheduler: StepScheduler;
}

/**
 * Work the control plane hands to the monitor Lambda, to run at once rather than on the
 * monitor's tick: a processing job to run, or a `NOW` monitoring schedule to start.
 */
export type JobMessage =
  | { readonly kind: 'ProcessingJob'; readonly ProcessingJobName: string }
  | { readonly kind: 'MonitoringSchedule'; readonly MonitoringScheduleName: string };

/** Delivers job messages to the monitor Lambda, at least once. */
export interface JobQueue {
  send(message: JobMessage): Promise<void>;
}

/** The message that runs a training job in the training function. */
export interface TrainingJobMessage {
  readonly kind: 'TrainingJob';
  readonly TrainingJobName: string;
}

/**
 * Delivers training jobs to the training function, at least once. Its own queue rather than
 * the monitor's jobs queue: an SQS queue feeds one consumer, and training needs another
 * function (10 GB, 15 minutes) and a visibility timeout to match.
 */
export interface TrainingQueue {
  send(message: TrainingJobMessage): Promise<void>;
}

/** An event for EventBridge: its source and detail-type are what rules match on. */
export interface PlatformEvent {
  readonly source: string;
  readonly detailType: string;
  readonly detail: unknown;
  readonly resources: readonly string[];
}

/**
 * Puts events on the event bus. It never throws: a change the registry has made stays made,
 * so an event that cannot be delivered is logged by the adapter rather than failing the call.
 */
export interface EventPublisher {
  publish(event: PlatformEvent): Promise<void>;
}

/**
 * Which endpoints a model package serves: those whose current config, or the config an
 * in-flight rollout moves to, has a production variant whose model was created from the
 * package. Hosting answers it; the registry, below hosting, only asks.
 */
export interface PackageUsage {
  /** Names of the endpoints served by the package, sorted. */
  endpointsServing(modelPackageArn: string): Promise<string[]>;
}

/** An S3 report as ModelMetrics names it (SageMaker's MetricsSource). */
export interface MetricsSource {
  readonly ContentType: string;
  readonly S3Uri: string;
  readonly ContentDigest?: string;
}

/** What CreateModelPackage asks of the offline evaluation: the package's artifact and its ValidationSpecification. */
export interface PackageEvaluationRequest {
  readonly groupName: string;
  readonly artifact: RegisteredArtifact;
  /** The request's ValidationSpecification, as the service model validated it. */
  readonly specification: unknown;
}

/** The evaluation's files, and the validation statuses the package records. */
export interface PackageEvaluationResult {
  readonly modelQuality: { readonly Statistics: MetricsSource; readonly Constraints: MetricsSource };
  readonly validationStatuses: readonly { readonly Name: string; readonly Status: 'Completed' }[];
}

/**
 * Runs a model package's offline evaluation (its ValidationSpecification) before the package is
 * recorded: a refused dataset is a ValidationException and nothing is registered. The
 * evaluation capability answers it; the registry, below it, only asks.
 */
export interface PackageEvaluator {
  evaluate(request: PackageEvaluationRequest): Promise<PackageEvaluationResult>;
}

/** What the control plane records of an issued access key; never its secret. */
export interface AccessKeySummary {
  readonly accessKeyId: string;
  readonly role: string;
  readonly endpointNames?: readonly string[];
  readonly description?: string;
  /** ISO 8601. */
  readonly createdAt: string;
}

/** A key to issue. */
export interface AccessKeySpec {
  readonly role: string;
  readonly endpointNames?: readonly string[];
  readonly description?: string;
}

/**
 * Issuing, listing and deleting access keys (Understudy.CreateAccessKey and friends). The
 * bootstrap admin key, created at deployment, is not among them: it lives in Secrets Manager.
 */
export interface AccessKeyAdmin {
  /** A new key; the only time its secret is handed out. */
  issue(spec: AccessKeySpec): Promise<AccessKeySummary & { readonly secretAccessKey: string }>;
  /** Every issued key. */
  list(): Promise<AccessKeySummary[]>;
  /** Deletes an issued key: `not-found` when there is none, `bootstrap` for the deployment's admin key. */
  delete(accessKeyId: string): Promise<'deleted' | 'not-found' | 'bootstrap'>;
}
