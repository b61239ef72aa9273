/**
 * Training jobs: CreateTrainingJob, DescribeTrainingJob, ListTrainingJobs, StopTrainingJob,
 * and the run in the training function. The control plane checks the request (a built-in
 * algorithm's image, its hyperparameters, the channels, the buckets), records the job
 * InProgress and sends it to the training queue, so it answers at once; the training function
 * (runTrainingJob) reads the channels, trains, writes `{output}/{job}/output/model.tar.gz`
 * holding `model.onnx` and a data-quality baseline of the train channel, and, with
 * `ModelPackageConfig`, registers the model as a version of that group.
 *
 * Lineage: the training function records a completed job's lineage after the run
 * (lineage/automatic.ts, recordTrainingJobLineage), so this folder knows nothing of it; a
 * registered version also carries the job's ARN and channels in its CustomerMetadataProperties.
 */
import { arn, type ControlContext, epochSeconds, page } from '../kernel/context.js';
import { ResourceInUse, ResourceNotFound, ValidationException } from '../kernel/errors.js';
import type { Log } from '../kernel/log.js';
import type { ObjectStore } from '../kernel/ports.js';
import { COLLECTIONS, type Timestamp } from '../kernel/records.js';
import {
  RecordExistsError,
  type RegistryStore,
  retryOnConflict,
  type StoredRecord,
} from '../kernel/store.js';
import { formatMonitoringFile, suggestBaselineFromPayloads } from '../model-monitor/statistics/index.js';
import { createModelPackage } from '../model-registry/model-packages.js';
import { checkNewTags, forgetTags, recordTags, type Tag } from '../tags/tags.js';
import type { BuiltInAlgorithm, Dataset, TrainingMetric } from './algorithm.js';
import { type ChannelFormat, type CsvLayout, channelFormat, csvLayout, parseChannel } from './channels.js';
import { linearLearner } from './linear-learner.js';
import { tarGz } from './tar.js';
import { xgboost } from './xgboost/index.js';

/** The built-in algorithms Understudy trains, by SageMaker's image repository name. */
export const ALGORITHMS: Readonly<Record<string, BuiltInAlgorithm | undefined>> = {
  'linear-learner': linearLearner,
  // SageMaker's XGBoost images live in two repositories (`xgboost` for 0.72, `sagemaker-xgboost` since 0.90).
  xgboost,
  'sagemaker-xgboost': xgboost,
};

/**
 * The algorithm a TrainingImage names: SageMaker's ECR image of a built-in algorithm, in any
 * region or account (`{account}.dkr.ecr.{region}.amazonaws.com[.cn]/linear-learner:1`, as
 * `sagemaker.image_uris.retrieve` returns it), or the bare repository name.
 */
export function algorithmForImage(image: string | undefined): BuiltInAlgorithm {
  const repository = /^(?:[^/]+\/)?([a-z0-9._-]+)(?::[\w.-]+|@sha256:[0-9a-f]+)?$/.exec(image ?? '')?.[1];
  const algorithm = repository ? ALGORITHMS[repository] : undefined;
  if (algorithm) return algorithm;
  const runs = Object.entries(ALGORITHMS)
    .filter(([, a]) => a)
    .map(([name]) => name);
  const known = repository && repository in ALGORITHMS;
  throw new ValidationException(
    `AlgorithmSpecification.TrainingImage '${image ?? ''}' ${known ? 'names a built-in algorithm this deployment does not train yet' : 'is not a SageMaker built-in algorithm image Understudy runs'}: Understudy trains ${runs.join(', ')} (SageMaker's images, as sagemaker.image_uris.retrieve returns them, in any region), not containers.`,
  );
}

export type TrainingJobStatus = 'InProgress' | 'Completed' | 'Failed' | 'Stopping' | 'Stopped';
type SecondaryStatus =
  | 'Starting'
  | 'Downloading'
  | 'Training'
  | 'Uploading'
  | 'Completed'
  | 'Failed'
  | 'Stopping'
  | 'Stopped'
  | 'MaxRuntimeExceeded';

interface Transition {
  Status: SecondaryStatus;
  StartTime: Timestamp;
  EndTime?: Timestamp;
  StatusMessage?: string;
}

interface ChannelInput {
  ChannelName: string;
  DataSource: { S3DataSource?: { S3DataType: string; S3Uri: string } };
  ContentType?: string;
  CompressionType?: string;
}

export interface TrainingJobRequest {
  TrainingJobName: string;
  HyperParameters?: Record<string, string>;
  AlgorithmSpecification?: { TrainingImage?: string; AlgorithmName?: string; TrainingInputMode: string };
  RoleArn: string;
  InputDataConfig?: ChannelInput[];
  OutputDataConfig: { S3OutputPath: string; KmsKeyId?: string };
  ResourceConfig?: Record<string, unknown>;
  StoppingCondition?: { MaxRuntimeInSeconds?: number };
  ModelPackageConfig?: { ModelPackageGroupArn: string };
  Tags?: readonly Tag[];
}

export interface TrainingJobRecord extends Omit<TrainingJobRequest, 'Tags'> {
  TrainingJobArn: string;
  TrainingJobStatus: TrainingJobStatus;
  SecondaryStatus: SecondaryStatus;
  SecondaryStatusTransitions: Transition[];
  CreationTime: Timestamp;
  LastModifiedTime: Timestamp;
  TrainingStartTime?: Timestamp;
  TrainingEndTime?: Timestamp;
  TrainingTimeInSeconds?: number;
  BillableTimeInSeconds?: number;
  FailureReason?: string;
  ModelArtifacts?: { S3ModelArtifacts: string };
  FinalMetricDataList?: (TrainingMetric & { Timestamp: Timestamp })[];
  OutputModelPackageArn?: string;
  internal: {
    algorithm: string;
    /** Who created the job: the registration at its end is theirs. */
    caller: { accessKeyId: string; role: string };
    runStartedAt?: number;
  };
}

const CHANNELS = ['train', 'validation'];
/** How long SageMaker lets a job run by default (1 day); Understudy's cap is the function's. */
const DEFAULT_MAX_RUNTIME = 86_400;

function alreadyExists(ctx: ControlContext, name: string): ResourceInUse {
  return new ResourceInUse(
    `Training job names must be unique within an AWS account and region, and a training job with this name already exists (${arn(ctx, 'training-job', name)}).`,
  );
}

function channelsOf(
  input: Pick<TrainingJobRequest, 'InputDataConfig'>,
): Map<string, { uri: string; format: ChannelFormat }> {
  const channels = new Map<string, { uri: string; format: ChannelFormat }>();
  for (const channel of input.InputDataConfig ?? []) {
    const name = channel.ChannelName;
    if (!CHANNELS.includes(name)) {
      throw new ValidationException(
        `Channel '${name}' is not one the built-in algorithms read: use train and, optionally, validation.`,
      );
    }
    if (channels.has(name)) throw new ValidationException(`Channel '${name}' is given more than once.`);
    const s3 = channel.DataSource.S3DataSource;
    if (s3?.S3DataType !== 'S3Prefix' || !s3) {
      throw new ValidationException(
        `Channel ${name}: Understudy reads S3DataSource with S3DataType S3Prefix (an object or every object under a prefix).`,
      );
    }
    if (channel.CompressionType && channel.CompressionType !== 'None') {
      throw new ValidationException(
        `Channel ${name}: CompressionType ${channel.CompressionType} is not read; give uncompressed objects.`,
      );
    }
    channels.set(name, { uri: s3.S3Uri, format: channelFormat(channel.ContentType, name) });
  }
  if (!channels.has('train')) {
    throw new ValidationException(
      'InputDataConfig needs a channel named train (and may have one named validation).',
    );
  }
  return channels;
}

function groupNameOf(groupArn: string): string {
  return /:model-package-group\/(.+)$/.exec(groupArn)?.[1] ?? groupArn;
}

/**
 * Checks the request, records the job InProgress (Starting) and sends it to the training
 * queue. Bad input is a typed error with nothing recorded or sent; a send that fails removes
 * the record again.
 */
export async function createTrainingJob(ctx: ControlContext, input: TrainingJobRequest) {
  const name = input.TrainingJobName;
  if (await ctx.store.get(COLLECTIONS.trainingJob, name)) throw alreadyExists(ctx, name);
  const algorithm = algorithmForImage(input.AlgorithmSpecification?.TrainingImage);
  const channels = channelsOf(input);
  const { algorithmHyperParameters } = csvLayout(
    input.HyperParameters ?? {},
    [...channels.values()].map((c) => c.format),
  );
  algorithm.validate(algorithmHyperParameters);
  const tags = checkNewTags(input.Tags);
  const { objects, training } = ctx;
  if (!objects || !training)
    throw new Error('This deployment cannot run training jobs (no object store or training queue).');
  const output = input.OutputDataConfig.S3OutputPath;
  if (!/^s3:\/\/[^/]+/.test(output))
    throw new ValidationException(`OutputDataConfig.S3OutputPath '${output}' is not an s3:// URI.`);
  for (const [what, uri] of [
    ...[...channels].map(([c, v]) => [`channel ${c}`, v.uri]),
    ['output path', output],
  ]) {
    if (!(await objects.bucketExists(uri as string))) {
      throw new ValidationException(`The bucket of the ${what} ${uri} does not exist.`);
    }
  }
  const group = input.ModelPackageConfig?.ModelPackageGroupArn;
  if (group && !(await ctx.store.get(COLLECTIONS.modelPackageGroup, groupNameOf(group)))) {
    throw new ValidationException(
      `ModelPackageConfig.ModelPackageGroupArn ${group}: there is no such model package group.`,
    );
  }
  const now = epochSeconds(ctx.now());
  const { Tags: _tags, ...fields } = input;
  const jobArn = arn(ctx, 'training-job', name);
  const record: TrainingJobRecord = {
    ...fields,
    HyperParameters: input.HyperParameters ?? {},
    StoppingCondition: {
      MaxRuntimeInSeconds: input.StoppingCondition?.MaxRuntimeInSeconds ?? DEFAULT_MAX_RUNTIME,
    },
    TrainingJobArn: jobArn,
    TrainingJobStatus: 'InProgress',
    SecondaryStatus: 'Starting',
    SecondaryStatusTransitions: [
      { Status: 'Starting', StartTime: now, StatusMessage: 'Starting the training job' },
    ],
    CreationTime: now,
    LastModifiedTime: now,
    internal: {
      algorithm: algorithm.name,
      caller: { accessKeyId: ctx.caller.accessKeyId, role: ctx.caller.role },
    },
  };
  try {
    await ctx.store.create(COLLECTIONS.trainingJob, name, record);
  } catch (error) {
    if (error instanceof RecordExistsError) throw alreadyExists(ctx, name);
    throw error;
  }
  await recordTags(ctx, jobArn, tags);
  try {
    await training.send({ kind: 'TrainingJob', TrainingJobName: name });
  } catch (error) {
    await ctx.store.delete(COLLECTIONS.trainingJob, name);
    await forgetTags(ctx, jobArn);
    throw error;
  }
  return { TrainingJobArn: jobArn };
}

async function getJob(
  store: RegistryStore,
  name: string,
  ctx?: ControlContext,
): Promise<StoredRecord<TrainingJobRecord>> {
  const stored = await store.get<TrainingJobRecord>(COLLECTIONS.trainingJob, name);
  if (!stored) {
    throw new ResourceNotFound(
      `Requested resource not found: training job ${ctx ? arn(ctx, 'training-job', name) : name} does not exist.`,
    );
  }
  return stored;
}

export async function describeTrainingJob(ctx: ControlContext, input: { TrainingJobName: string }) {
  const { internal: _internal, ...job } = (await getJob(ctx.store, input.TrainingJobName, ctx)).data;
  return job;
}

export async function listTrainingJobs(
  ctx: ControlContext,
  input: {
    CreationTimeAfter?: number | string;
    CreationTimeBefore?: number | string;
    LastModifiedTimeAfter?: number | string;
    LastModifiedTimeBefore?: number | string;
    NameContains?: string;
    StatusEquals?: TrainingJobStatus;
    SortBy?: 'Name' | 'CreationTime' | 'Status';
    SortOrder?: 'Ascending' | 'Descending';
    NextToken?: string;
    MaxResults?: number;
  },
) {
  const after = toSeconds(input.LastModifiedTimeAfter);
  const before = toSeconds(input.LastModifiedTimeBefore);
  const summaries = (await ctx.store.list<TrainingJobRecord>(COLLECTIONS.trainingJob))
    .filter(
      (j) =>
        (!input.StatusEquals || j.TrainingJobStatus === input.StatusEquals) &&
        (after === undefined || j.LastModifiedTime > after) &&
        (before === undefined || j.LastModifiedTime < before),
    )
    .map((j) => ({
      TrainingJobName: j.TrainingJobName,
      TrainingJobArn: j.TrainingJobArn,
      CreationTime: j.CreationTime,
      ...(j.TrainingEndTime !== undefined ? { TrainingEndTime: j.TrainingEndTime } : {}),
      LastModifiedTime: j.LastModifiedTime,
      TrainingJobStatus: j.TrainingJobStatus,
      SecondaryStatus: j.SecondaryStatus,
    }));
  const { items, NextToken } = page(summaries, input, (s) => s.TrainingJobName, {
    keys: { Status: (a, b) => a.TrainingJobStatus.localeCompare(b.TrainingJobStatus) },
  });
  return NextToken ? { TrainingJobSummaries: items, NextToken } : { TrainingJobSummaries: items };
}

function toSeconds(value: number | string | undefined): number | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'number' ? value : Date.parse(value) / 1000;
}

function transition(
  job: TrainingJobRecord,
  status: SecondaryStatus,
  now: Timestamp,
  message: string,
): Transition[] {
  const previous = job.SecondaryStatusTransitions.map((t, i, all) =>
    i === all.length - 1 && t.EndTime === undefined ? { ...t, EndTime: now } : t,
  );
  return [...previous, { Status: status, StartTime: now, StatusMessage: message }];
}

/**
 * Stops an InProgress job: Stopping until the training function settles it as Stopped (its
 * running loop sees the stop between epochs or rounds; a message is sent so a job that has not
 * started yet is settled too). A job that already ended cannot be stopped.
 */
export async function stopTrainingJob(ctx: ControlContext, input: { TrainingJobName: string }) {
  const name = input.TrainingJobName;
  let stopping = false;
  await retryOnConflict(async () => {
    const stored = await getJob(ctx.store, name, ctx);
    const job = stored.data;
    if (job.TrainingJobStatus === 'Stopping') return;
    if (job.TrainingJobStatus !== 'InProgress') {
      throw new ValidationException(
        `The request was rejected because the training job is in status ${job.TrainingJobStatus}.`,
      );
    }
    const now = epochSeconds(ctx.now());
    const changed: TrainingJobRecord = {
      ...job,
      TrainingJobStatus: 'Stopping',
      SecondaryStatus: 'Stopping',
      SecondaryStatusTransitions: transition(job, 'Stopping', now, 'Stopping the training job'),
      LastModifiedTime: now,
    };
    await ctx.store.replace(COLLECTIONS.trainingJob, name, changed, stored.version);
    stopping = true;
  });
  if (stopping && ctx.training) await ctx.training.send({ kind: 'TrainingJob', TrainingJobName: name });
  return {};
}

export interface TrainingLimits {
  /** The training function's memory size, in MB. */
  readonly memoryMb: number;
  /** The training function's timeout, in seconds. */
  readonly timeoutSeconds: number;
}

export interface TrainingRunDeps {
  readonly store: RegistryStore;
  readonly objects: ObjectStore;
  readonly limits: TrainingLimits;
  now(): Date;
  /** The control context a finished job registers its model with (ModelPackageConfig), as the job's creator. */
  registrar(job: TrainingJobRecord): ControlContext;
  readonly log?: Log;
  /** @default 5000 */
  readonly pollMs?: number;
}

export type TrainingOutcome = 'Completed' | 'Failed' | 'Stopped' | 'skipped';

/** A job's failure that the request or the data is to blame for: `ClientError:` in FailureReason. */
class TrainingClientError extends Error {}

const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MB`;

/**
 * What a job may hold in memory, from the channels' object sizes before any is read. CSV or
 * JSON holds at most one number per 2 bytes (`0,`); parsed, each is a float64 (8 bytes) held
 * twice while read, and the text itself once more: about 12 bytes per byte of data at worst.
 */
export function checkMemory(bytes: number, limits: TrainingLimits): void {
  const needed = bytes * 12;
  const available = limits.memoryMb * 2 ** 20 * 0.8;
  if (needed > available) {
    throw new TrainingClientError(
      `the channels hold ${mb(bytes)}, which needs about ${mb(needed)} of memory to train; a training Lambda has ${limits.memoryMb} MB (Lambda's largest memory size is 10,240 MB). Sample the data below ${mb(available / 12)}.`,
    );
  }
}

/** Values (numbers) in CSV or JSON Lines text: one more than the separators on each row. */
export function countValues(text: string): number {
  let values = 0;
  let rowHasValue = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 44 /* , */) values++;
    else if (c === 10 /* \n */) {
      if (rowHasValue) values++;
      rowHasValue = false;
    } else if (c > 32) rowHasValue = true;
  }
  return values + (rowHasValue ? 1 : 0);
}

/**
 * Whether the training fits the function's time: the channels' values, estimated from their
 * bytes at the bytes per value of the train channel's first object (measured, not assumed:
 * `0,1` and `0.123456789,1` differ fivefold), times the algorithm's cost per value per
 * iteration and its iterations. Checked once the first object is read, before the rest is and
 * before training; a job the estimate lets through still ends safely as MaxRuntimeExceeded.
 */
export function checkTime(
  bytes: number,
  sample: { bytes: number; values: number },
  cost: { iterations: number; nanosecondsPerValue: number },
  limits: TrainingLimits,
  maxRuntimeSeconds: number,
): void {
  const bytesPerValue = sample.values > 0 ? sample.bytes / sample.values : 2;
  const values = bytes / bytesPerValue;
  const seconds = values * cost.iterations * cost.nanosecondsPerValue * 1e-9;
  const budget = Math.min(maxRuntimeSeconds, limits.timeoutSeconds - 60);
  if (seconds > limits.timeoutSeconds - 60) {
    throw new TrainingClientError(
      `the channels hold ${mb(bytes)}, about ${Math.round(values).toLocaleString('en')} values at ${bytesPerValue.toFixed(1)} bytes each, and ${cost.iterations} epochs or rounds at about ${cost.nanosecondsPerValue} ns per value would take about ${Math.ceil(seconds)} s; a training Lambda runs for at most ${limits.timeoutSeconds} s (15 minutes), ${budget} s of them training. Sample the data or train for fewer iterations.`,
    );
  }
}

async function readChannel(
  objects: ObjectStore,
  uri: string,
  format: ChannelFormat,
  channel: string,
  layout: CsvLayout,
  prefetched?: { uri: string; text: string },
): Promise<{ data: Dataset; text: string[] }> {
  const files = (await objects.list(uri)).filter((o) => !o.key.endsWith('/'));
  const text = await Promise.all(
    files.map(async (f) => ({
      key: f.key,
      text: (f.uri === prefetched?.uri ? prefetched.text : await objects.getText(f.uri)) ?? '',
    })),
  );
  return { data: parseChannel(text, format, channel, layout), text: text.map((t) => t.text) };
}

/**
 * Runs a training job the training queue delivered: claims it, checks the limits from the
 * channels' sizes, reads and trains (stopping at MaxRuntimeInSeconds or a StopTrainingJob),
 * writes the artifact and the baseline, registers the model when asked, and records the end.
 * Deliveries of an ended job, or of one another live run holds, are skipped.
 */
export async function runTrainingJob(deps: TrainingRunDeps, name: string): Promise<TrainingOutcome> {
  const seconds = () => epochSeconds(deps.now());
  const hold = deps.limits.timeoutSeconds + 30;
  const update = (change: (job: TrainingJobRecord, now: Timestamp) => TrainingJobRecord | undefined) =>
    retryOnConflict(async () => {
      const stored = await deps.store.get<TrainingJobRecord>(COLLECTIONS.trainingJob, name);
      if (!stored) return undefined;
      const next = change(stored.data, seconds());
      if (next) await deps.store.replace(COLLECTIONS.trainingJob, name, next, stored.version);
      return next;
    });
  const settleStop = (
    job: TrainingJobRecord,
    now: Timestamp,
    message: string,
    status: SecondaryStatus = 'Stopped',
  ): TrainingJobRecord => ({
    ...job,
    TrainingJobStatus: 'Stopped',
    SecondaryStatus: status,
    SecondaryStatusTransitions: transition(job, status, now, message),
    ...(status === 'MaxRuntimeExceeded' ? { FailureReason: message } : {}),
    TrainingEndTime: now,
    LastModifiedTime: now,
    ...billing(job, now),
  });

  let stoppedBeforeStart = false;
  const claimed = await update((job, now) => {
    if (job.TrainingJobStatus === 'Stopping') {
      stoppedBeforeStart = true;
      return settleStop(job, now, 'Training job stopped by StopTrainingJob.');
    }
    if (job.TrainingJobStatus !== 'InProgress') return undefined;
    const started = job.internal.runStartedAt;
    if (started !== undefined && now - started < hold) return undefined;
    return {
      ...job,
      SecondaryStatus: 'Downloading',
      SecondaryStatusTransitions: transition(job, 'Downloading', now, 'Downloading the training channels'),
      TrainingStartTime: job.TrainingStartTime ?? now,
      LastModifiedTime: now,
      internal: { ...job.internal, runStartedAt: now },
    };
  });
  if (stoppedBeforeStart) return 'Stopped';
  if (!claimed) return 'skipped';

  const maxRuntime = claimed.StoppingCondition?.MaxRuntimeInSeconds ?? DEFAULT_MAX_RUNTIME;
  const startedAt = deps.now().getTime();
  const deadline = startedAt + Math.min(maxRuntime, deps.limits.timeoutSeconds - 60) * 1000;
  let stopAsked = false;
  let latest: readonly TrainingMetric[] = [];
  let iterations = 0;
  const poll = setInterval(() => {
    deps.store
      .get<TrainingJobRecord>(COLLECTIONS.trainingJob, name)
      .then((s) => {
        if (s?.data.TrainingJobStatus === 'Stopping') stopAsked = true;
      })
      .catch(() => {});
  }, deps.pollMs ?? 5000);
  try {
    const algorithm = ALGORITHMS[claimed.internal.algorithm];
    if (!algorithm)
      throw new TrainingClientError(`the algorithm ${claimed.internal.algorithm} is not available`);
    const channels = channelsOf(claimed);
    const { layout, algorithmHyperParameters: hp } = csvLayout(
      claimed.HyperParameters ?? {},
      [...channels.values()].map((c) => c.format),
    );
    let bytes = 0;
    let firstTrainObject: { uri: string; size: number } | undefined;
    for (const [channel, { uri }] of channels) {
      const listed = (await deps.objects.list(uri)).filter((o) => !o.key.endsWith('/'));
      if (listed.length === 0) throw new TrainingClientError(`no object at or under ${uri}`);
      bytes += listed.reduce((sum, o) => sum + o.size, 0);
      if (channel === 'train') firstTrainObject = listed[0];
    }
    checkMemory(bytes, deps.limits);
    const train = channels.get('train');
    const validation = channels.get('validation');
    const first = firstTrainObject && {
      uri: firstTrainObject.uri,
      text: (await deps.objects.getText(firstTrainObject.uri)) ?? '',
    };
    if (first) {
      const sample = { bytes: Buffer.byteLength(first.text), values: countValues(first.text) };
      checkTime(bytes, sample, algorithm.cost(hp), deps.limits, maxRuntime);
    }
    const trainData = await readChannel(
      deps.objects,
      train?.uri ?? '',
      train?.format ?? 'csv',
      'train',
      layout,
      first,
    );
    const validationData = validation
      ? (await readChannel(deps.objects, validation.uri, validation.format, 'validation', layout)).data
      : undefined;
    await update((job, now) => ({
      ...job,
      SecondaryStatus: 'Training',
      SecondaryStatusTransitions: transition(
        job,
        'Training',
        now,
        `Training ${algorithm.name} on ${trainData.data.rows} rows × ${trainData.data.columns} features`,
      ),
      LastModifiedTime: now,
    }));
    const model = await algorithm.train(trainData.data, validationData, hp, {
      iteration: (index, metrics) => {
        iterations = index + 1;
        latest = metrics;
      },
      stopRequested: () => stopAsked || deps.now().getTime() > deadline,
    });
    if (stopAsked || deps.now().getTime() > deadline) {
      const runtime = deps.now().getTime() > deadline;
      const outcome = await update((job, now) =>
        runtime
          ? settleStop(
              job,
              now,
              `MaxRuntimeExceeded: the job ran past its limit of ${Math.min(maxRuntime, deps.limits.timeoutSeconds - 60)} s (StoppingCondition.MaxRuntimeInSeconds ${maxRuntime}) after ${iterations} epochs or rounds; no model was written.`,
              'MaxRuntimeExceeded',
            )
          : settleStop(job, now, 'Training job stopped by StopTrainingJob.'),
      );
      return outcome ? 'Stopped' : 'skipped';
    }
    await update((job, now) => ({
      ...job,
      SecondaryStatus: 'Uploading',
      SecondaryStatusTransitions: transition(job, 'Uploading', now, 'Uploading the trained model'),
      LastModifiedTime: now,
    }));
    const output = `${claimed.OutputDataConfig.S3OutputPath.replace(/\/+$/, '')}/${name}/output`;
    const artifact = `${output}/model.tar.gz`;
    await deps.objects.putBytes(
      artifact,
      await tarGz([{ name: 'model.onnx', body: model.onnx }]),
      'application/gzip',
    );
    const baseline = await writeBaseline(deps.objects, `${output}/baseline`, trainData.data);
    const evaluation = `${output}/evaluation/metrics.json`;
    await deps.objects.putText(
      evaluation,
      JSON.stringify(modelQualityReport(model.metrics), null, 2),
      'application/json',
    );
    let packageArn: string | undefined;
    const group = claimed.ModelPackageConfig?.ModelPackageGroupArn;
    if (group) {
      const registered = await createModelPackage(deps.registrar(claimed), {
        ModelPackageGroupName: groupNameOf(group),
        ModelPackageDescription: `Trained by ${claimed.TrainingJobArn}`,
        InferenceSpecification: {
          Containers: [
            {
              Image: claimed.AlgorithmSpecification?.TrainingImage ?? algorithm.name,
              ModelDataUrl: artifact,
            },
          ],
          SupportedContentTypes: ['text/csv', 'application/json'],
          SupportedResponseMIMETypes: ['application/json', 'text/csv'],
        },
        ModelApprovalStatus: 'PendingManualApproval',
        ModelMetrics: {
          ModelQuality: { Statistics: { ContentType: 'application/json', S3Uri: evaluation } },
          ModelDataQuality: {
            Statistics: { ContentType: 'application/json', S3Uri: baseline.statistics },
            Constraints: { ContentType: 'application/json', S3Uri: baseline.constraints },
          },
        },
        CustomerMetadataProperties: {
          TrainingJobArn: claimed.TrainingJobArn,
          TrainChannel: train?.uri ?? '',
          ...(validation ? { ValidationChannel: validation.uri } : {}),
          HyperParameters: JSON.stringify(claimed.HyperParameters ?? {}).slice(0, 256),
        },
      } as Parameters<typeof createModelPackage>[1]);
      packageArn = registered.ModelPackageArn;
    }
    const ended = await update((job, now) => {
      if (job.TrainingJobStatus === 'Stopping')
        return settleStop(job, now, 'Training job stopped by StopTrainingJob.');
      return {
        ...job,
        TrainingJobStatus: 'Completed',
        SecondaryStatus: 'Completed',
        SecondaryStatusTransitions: transition(
          job,
          'Completed',
          now,
          `Training job completed after ${model.iterations} epochs or rounds`,
        ).map((t, i, all) => (i === all.length - 1 ? { ...t, EndTime: now } : t)),
        ModelArtifacts: { S3ModelArtifacts: artifact },
        FinalMetricDataList: model.metrics.map((m) => ({ ...m, Timestamp: now })),
        ...(packageArn ? { OutputModelPackageArn: packageArn } : {}),
        TrainingEndTime: now,
        LastModifiedTime: now,
        ...billing(job, now),
      };
    });
    return ended?.TrainingJobStatus === 'Completed' ? 'Completed' : ended ? 'Stopped' : 'skipped';
  } catch (error) {
    const known =
      error instanceof ValidationException ||
      error instanceof TrainingClientError ||
      error instanceof ResourceNotFound;
    if (!known) deps.log?.error('training job failed', { name, error: (error as Error).stack });
    const reason = `${known ? 'ClientError' : 'AlgorithmError'}: ${(error as Error).message}`.slice(0, 1024);
    const failed = await update((job, now) => {
      if (job.TrainingJobStatus === 'Stopping')
        return settleStop(job, now, 'Training job stopped by StopTrainingJob.');
      if (job.TrainingJobStatus !== 'InProgress') return undefined;
      return {
        ...job,
        TrainingJobStatus: 'Failed',
        SecondaryStatus: 'Failed',
        SecondaryStatusTransitions: transition(job, 'Failed', now, reason),
        FailureReason: reason,
        ...(latest.length ? { FinalMetricDataList: latest.map((m) => ({ ...m, Timestamp: now })) } : {}),
        TrainingEndTime: now,
        LastModifiedTime: now,
        ...billing(job, now),
      };
    });
    return failed?.TrainingJobStatus === 'Failed' ? 'Failed' : failed ? 'Stopped' : 'skipped';
  } finally {
    clearInterval(poll);
  }
}

function billing(job: TrainingJobRecord, now: Timestamp) {
  const seconds = Math.max(1, Math.ceil(now - (job.TrainingStartTime ?? now)));
  return { TrainingTimeInSeconds: seconds, BillableTimeInSeconds: seconds };
}

/**
 * The train channel's features (the label left out: an endpoint's captured input has none)
 * as Model Monitor's baseline, computed by the monitor's own code.
 */
async function writeBaseline(
  objects: ObjectStore,
  prefix: string,
  data: Dataset,
): Promise<{ statistics: string; constraints: string }> {
  const lines: string[] = [];
  for (let r = 0; r < data.rows; r++)
    lines.push(Array.from(data.features.subarray(r * data.columns, (r + 1) * data.columns)).join(','));
  const names = Array.from({ length: data.columns }, (_, i) => `_c${i}`);
  const { statistics, constraints } = suggestBaselineFromPayloads(
    [{ data: lines.join('\n'), contentType: 'text/csv' }],
    names,
  );
  const uris = { statistics: `${prefix}/statistics.json`, constraints: `${prefix}/constraints.json` };
  await objects.putText(uris.statistics, formatMonitoringFile(statistics), 'application/json');
  await objects.putText(uris.constraints, formatMonitoringFile(constraints), 'application/json');
  return uris;
}

/** The validation (else train) metrics in the shape of SageMaker's model quality statistics. */
function modelQualityReport(metrics: readonly TrainingMetric[]) {
  const channel = metrics.some((m) => m.MetricName.startsWith('validation:')) ? 'validation:' : 'train:';
  return {
    training_metrics: Object.fromEntries(
      metrics
        .filter((m) => m.MetricName.startsWith(channel))
        .map((m) => [m.MetricName.slice(channel.length), { value: m.Value }]),
    ),
  };
}
