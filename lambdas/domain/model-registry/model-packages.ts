import {
  arn,
  type ControlContext,
  epochSeconds,
  type ListRequest,
  page,
  registerArtifact,
  userContext,
  view,
} from '../kernel/context.js';
import { ConflictException, ValidationException } from '../kernel/errors.js';
import { clientTokenClaim, clientTokenWrite, replayed } from '../kernel/idempotency.js';
import type { PackageEvaluationResult } from '../kernel/ports.js';
import {
  COLLECTIONS,
  type ModelPackageGroupInternal,
  type ModelPackageInternal,
  type StoredResource,
  type Timestamp,
} from '../kernel/records.js';
import { RecordExistsError, retryOnConflict, type StoredRecord } from '../kernel/store.js';
import { checkNewTags, forgetTags, recordTags, type Tag } from '../tags/tags.js';
import {
  type ApprovalStatus,
  appendHistory,
  checkApprovalMove,
  type ModelLifeCycle,
  type PackageState,
} from './history.js';
import { checkModelCard, checkReportsReadable } from './metrics.js';
import { publishPackageState } from './package-events.js';

export type { ApprovalStatus } from './history.js';

interface GroupView {
  ModelPackageGroupName: string;
  ModelPackageGroupArn: string;
  ModelPackageGroupDescription?: string;
  CreationTime: Timestamp;
  CreatedBy: { UserProfileName: string };
  ModelPackageGroupStatus: 'Completed';
}
type GroupRecord = StoredResource<GroupView, ModelPackageGroupInternal | undefined>;

interface ContainerInput {
  Image?: string;
  ModelDataUrl?: string;
  ModelDataSource?: { S3DataSource?: { S3Uri: string; S3DataType: string; CompressionType: string } };
  [key: string]: unknown;
}

export interface PackageView {
  ModelPackageName: string;
  ModelPackageGroupName: string;
  ModelPackageVersion: number;
  ModelPackageArn: string;
  ModelPackageDescription?: string;
  CreationTime: Timestamp;
  InferenceSpecification: { Containers: ContainerInput[]; [key: string]: unknown };
  ModelPackageStatus: 'Completed';
  ModelPackageStatusDetails: { ValidationStatuses: { Name: string; Status: 'Completed' }[] };
  /** Its profile's dataset is the package's offline evaluation (evaluation/), run before it is recorded. */
  ValidationSpecification?: unknown;
  ModelApprovalStatus: ApprovalStatus;
  ApprovalDescription?: string;
  CreatedBy: { UserProfileName: string };
  LastModifiedTime?: Timestamp;
  LastModifiedBy?: { UserProfileName: string };
  CustomerMetadataProperties?: Record<string, string>;
  MetadataProperties?: unknown;
  ModelMetrics?: unknown;
  Domain?: string;
  Task?: string;
  SamplePayloadUrl?: string;
  ModelPackageRegistrationType?: string;
  SourceUri?: string;
  ModelCard?: { ModelCardContent?: string; ModelCardStatus?: string };
  ModelLifeCycle?: ModelLifeCycle;
  DriftCheckBaselines?: unknown;
}
export type PackageRecord = StoredResource<PackageView, ModelPackageInternal>;

const VERSION_WIDTH = 10;
const packageId = (group: string, version: number) =>
  `${group}/${String(version).padStart(VERSION_WIDTH, '0')}`;

/**
 * A group by name or ARN. ARNs carry the name in lower case: the exact name is read first (one
 * GetItem), and only a miss reads the group collection to match it whatever its case.
 */
async function findGroup(
  ctx: ControlContext,
  nameOrArn: string,
): Promise<StoredRecord<GroupRecord> | undefined> {
  const name = nameOrArn.startsWith('arn:') ? (nameOrArn.split('/').pop() ?? nameOrArn) : nameOrArn;
  const exact = await ctx.store.get<GroupRecord>(COLLECTIONS.modelPackageGroup, name);
  if (exact) return exact;
  const groups = await ctx.store.list<GroupRecord>(COLLECTIONS.modelPackageGroup);
  const group = groups.find((g) => g.ModelPackageGroupName.toLowerCase() === name.toLowerCase());
  return group
    ? ctx.store.get<GroupRecord>(COLLECTIONS.modelPackageGroup, group.ModelPackageGroupName)
    : undefined;
}

async function getGroup(ctx: ControlContext, nameOrArn: string): Promise<StoredRecord<GroupRecord>> {
  const stored = await findGroup(ctx, nameOrArn);
  if (!stored) throw new ValidationException(`ModelPackageGroup ${nameOrArn} does not exist.`);
  return stored;
}

export async function createModelPackageGroup(
  ctx: ControlContext,
  input: { ModelPackageGroupName: string; ModelPackageGroupDescription?: string; Tags?: readonly Tag[] },
) {
  const tags = checkNewTags(input.Tags);
  const record: GroupRecord = {
    ModelPackageGroupName: input.ModelPackageGroupName,
    ModelPackageGroupArn: arn(ctx, 'model-package-group', input.ModelPackageGroupName),
    ModelPackageGroupDescription: input.ModelPackageGroupDescription,
    CreationTime: epochSeconds(ctx.now()),
    CreatedBy: userContext(ctx),
    ModelPackageGroupStatus: 'Completed',
    internal: { latestVersion: 0 },
  };
  // ARNs lower-case names, so names that differ only in case would share one ARN.
  if (await findGroup(ctx, input.ModelPackageGroupName)) {
    throw new ValidationException(`Model Package Group already exists: ${record.ModelPackageGroupArn}`);
  }
  try {
    await ctx.store.create(COLLECTIONS.modelPackageGroup, input.ModelPackageGroupName, record);
  } catch (error) {
    if (error instanceof RecordExistsError) {
      throw new ValidationException(`Model Package Group already exists: ${record.ModelPackageGroupArn}`);
    }
    throw error;
  }
  await recordTags(ctx, record.ModelPackageGroupArn, tags);
  return { ModelPackageGroupArn: record.ModelPackageGroupArn };
}

export async function describeModelPackageGroup(
  ctx: ControlContext,
  input: { ModelPackageGroupName: string },
) {
  return view((await getGroup(ctx, input.ModelPackageGroupName)).data);
}

export async function listModelPackageGroups(ctx: ControlContext, input: ListRequest) {
  const groups = await ctx.store.list<GroupRecord>(COLLECTIONS.modelPackageGroup);
  const { items, NextToken } = page(groups, input, (g) => g.ModelPackageGroupName);
  return {
    ModelPackageGroupSummaryList: items.map((g) => ({
      ModelPackageGroupName: g.ModelPackageGroupName,
      ModelPackageGroupArn: g.ModelPackageGroupArn,
      ModelPackageGroupDescription: g.ModelPackageGroupDescription,
      CreationTime: g.CreationTime,
      ModelPackageGroupStatus: g.ModelPackageGroupStatus,
    })),
    NextToken,
  };
}

export async function deleteModelPackageGroup(ctx: ControlContext, input: { ModelPackageGroupName: string }) {
  const group = (await getGroup(ctx, input.ModelPackageGroupName)).data;
  const packages = await ctx.store.list<PackageRecord>(
    COLLECTIONS.modelPackage,
    `${group.ModelPackageGroupName}/`,
  );
  if (packages.length > 0) {
    throw new ConflictException(
      `Model package group ${group.ModelPackageGroupName} still holds ${packages.length} model package(s); delete them first.`,
    );
  }
  await ctx.store.delete(COLLECTIONS.modelPackageGroup, group.ModelPackageGroupName);
  await forgetTags(ctx, group.ModelPackageGroupArn);
  return {};
}

/** The artifact URI of a container: ModelDataUrl, or ModelDataSource.S3DataSource (one object). */
export function containerArtifactUri(container: ContainerInput | undefined, field: string): string {
  const s3 = container?.ModelDataSource?.S3DataSource;
  if (container?.ModelDataUrl) return container.ModelDataUrl;
  if (s3) {
    if (s3.S3DataType !== 'S3Object') {
      throw new ValidationException(
        `${field}.ModelDataSource.S3DataSource.S3DataType must be S3Object for ONNX models.`,
      );
    }
    return s3.S3Uri;
  }
  throw new ValidationException(`${field} needs a ModelDataUrl: the s3:// URI of a .onnx file or a .tar.gz.`);
}

/** The life-cycle state of a package, as the history compares it. */
const stateOf = (p: PackageView): PackageState => ({
  ModelApprovalStatus: p.ModelApprovalStatus,
  ...(p.ModelLifeCycle ? { ModelLifeCycle: p.ModelLifeCycle } : {}),
});

/** Fields given in a request, for the history (undefined ones were not given). */
const givenFields = (input: Record<string, unknown>, ignore: readonly string[]) =>
  Object.keys(input)
    .filter((k) => input[k] !== undefined && !ignore.includes(k))
    .sort();

/** The Describe view: the record without `internal`, plus the artifact's digest and size. */
function describeView(record: PackageRecord) {
  const { artifact } = record.internal;
  return {
    ...view(record),
    // Understudy's own field: SDKs drop members their model does not name.
    UnderstudyArtifact: { S3Uri: artifact.uri, Sha256: artifact.sha256, SizeBytes: artifact.sizeBytes },
  };
}

export async function createModelPackage(
  ctx: ControlContext,
  input: Partial<PackageView> & {
    ModelPackageGroupName?: string;
    ClientToken?: string;
    Tags?: readonly Tag[];
  },
) {
  const tags = checkNewTags(input.Tags);
  const claim = clientTokenClaim('CreateModelPackage', input);
  const earlier = await replayed<{ ModelPackageArn: string }>(ctx.store, claim, () => ctx.now());
  if (earlier) return earlier;
  if (!input.ModelPackageGroupName) {
    throw new ValidationException(
      'ModelPackageGroupName is required: Understudy registers versioned model packages inside a group.',
    );
  }
  const containers = input.InferenceSpecification?.Containers ?? [];
  if (!input.InferenceSpecification) {
    throw new ValidationException('InferenceSpecification is required: it names the model artifact.');
  }
  if (containers.length !== 1) {
    throw new ValidationException(
      `InferenceSpecification.Containers must hold exactly one container, got ${containers.length}.`,
    );
  }
  const groupName = (await getGroup(ctx, input.ModelPackageGroupName)).data.ModelPackageGroupName;
  checkModelCard(input.ModelCard);
  await checkReportsReadable(ctx, input);
  const artifact = await registerArtifact(
    ctx,
    containerArtifactUri(containers[0], 'InferenceSpecification.Containers[0]'),
  );
  const evaluation = await evaluateBeforeRecording(ctx, groupName, artifact, input);
  // The version comes from the group record, advanced in the same transaction that creates the
  // package and its first history entry: concurrent registrations conflict and retry, so no
  // two share a number and none is skipped.
  const created = await retryOnConflict<
    { readonly raced: { ModelPackageArn: string } } | { readonly record: PackageRecord }
  >(async () => {
    // A concurrent retry of the same token may have won the race this attempt lost.
    const raced = await replayed<{ ModelPackageArn: string }>(ctx.store, claim, () => ctx.now());
    if (raced) return { raced };
    const group = await getGroup(ctx, groupName);
    const latest =
      group.data.internal?.latestVersion ??
      (await ctx.store.get<number>(COLLECTIONS.packageVersionCounter, groupName))?.data ??
      0;
    const version = latest + 1;
    const now = epochSeconds(ctx.now());
    const record: PackageRecord = {
      ModelPackageName: groupName,
      ModelPackageGroupName: groupName,
      ModelPackageVersion: version,
      ModelPackageArn: arn(ctx, 'model-package', `${groupName}/${version}`),
      ModelPackageDescription: input.ModelPackageDescription,
      CreationTime: now,
      InferenceSpecification: input.InferenceSpecification as PackageView['InferenceSpecification'],
      ModelPackageStatus: 'Completed',
      ModelPackageStatusDetails: {
        ValidationStatuses: [
          { Name: 'onnx-load', Status: 'Completed' },
          ...(evaluation?.validationStatuses ?? []),
        ],
      },
      ValidationSpecification: input.ValidationSpecification,
      ModelApprovalStatus: input.ModelApprovalStatus ?? 'PendingManualApproval',
      ApprovalDescription: input.ApprovalDescription,
      CreatedBy: userContext(ctx),
      LastModifiedTime: now,
      CustomerMetadataProperties: input.CustomerMetadataProperties,
      MetadataProperties: input.MetadataProperties,
      ModelMetrics: evaluation
        ? { ...(input.ModelMetrics as object | undefined), ModelQuality: evaluation.modelQuality }
        : input.ModelMetrics,
      Domain: input.Domain,
      Task: input.Task,
      SamplePayloadUrl: input.SamplePayloadUrl,
      ModelPackageRegistrationType: input.ModelPackageRegistrationType,
      SourceUri: input.SourceUri,
      ModelCard: input.ModelCard,
      ModelLifeCycle: input.ModelLifeCycle,
      DriftCheckBaselines: input.DriftCheckBaselines,
      internal: { artifact, historyCount: 1 },
    };
    await ctx.store.transact([
      {
        kind: 'replace',
        collection: COLLECTIONS.modelPackageGroup,
        id: groupName,
        data: { ...group.data, internal: { latestVersion: version } },
        expectedVersion: group.version,
      },
      {
        kind: 'create',
        collection: COLLECTIONS.modelPackage,
        id: packageId(groupName, version),
        data: record,
      },
      appendHistory(ctx, record, 1, {
        Time: now,
        Action: 'Created',
        ChangedFields: givenFields(input, ['ClientToken', 'Tags']),
        To: stateOf(record),
        Reason: input.ApprovalDescription ?? input.ModelLifeCycle?.StageDescription,
      }),
      ...(claim
        ? [await clientTokenWrite(ctx.store, claim, { ModelPackageArn: record.ModelPackageArn }, ctx.now())]
        : []),
    ]);
    return { record };
  });
  if ('raced' in created) return created.raced;
  const { record } = created;
  await recordTags(ctx, record.ModelPackageArn, tags);
  await publishPackageState(ctx, describeView(record));
  return { ModelPackageArn: record.ModelPackageArn };
}

/**
 * A package's ValidationSpecification is its offline evaluation, run by `ctx.packageEvaluation`
 * before anything is recorded: a refused dataset fails the registration. Its statistics become
 * the package's ModelMetrics.ModelQuality, so a request may not give both.
 */
async function evaluateBeforeRecording(
  ctx: ControlContext,
  groupName: string,
  artifact: PackageRecord['internal']['artifact'],
  input: { ValidationSpecification?: unknown; ModelMetrics?: unknown },
): Promise<PackageEvaluationResult | undefined> {
  if (input.ValidationSpecification === undefined) return undefined;
  if ((input.ModelMetrics as { ModelQuality?: unknown } | undefined)?.ModelQuality !== undefined) {
    throw new ValidationException(
      'Give ModelMetrics.ModelQuality or a ValidationSpecification, not both: the ValidationSpecification evaluates the model and writes ModelMetrics.ModelQuality itself.',
    );
  }
  if (!ctx.packageEvaluation) {
    throw new Error(
      'The control plane was built without packageEvaluation: it cannot run a ValidationSpecification.',
    );
  }
  return ctx.packageEvaluation.evaluate({
    groupName,
    artifact,
    specification: input.ValidationSpecification,
  });
}

const PACKAGE_ARN = /(?:^|model-package\/)([a-zA-Z0-9-]+)\/(\d+)$/;

/** Resolves a versioned package from its ARN (or `group/version`), with its stored version. */
async function getStoredPackage(
  ctx: ControlContext,
  nameOrArn: string,
): Promise<StoredRecord<PackageRecord>> {
  const match = PACKAGE_ARN.exec(nameOrArn);
  if (!match) {
    throw new ValidationException(
      `Model package '${nameOrArn}' is not a versioned model package ARN (arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>).`,
    );
  }
  const group = await findGroup(ctx, match[1] as string);
  const stored = group
    ? await ctx.store.get<PackageRecord>(
        COLLECTIONS.modelPackage,
        packageId(group.data.ModelPackageGroupName, Number(match[2])),
      )
    : undefined;
  if (!stored) throw new ValidationException(`ModelPackage ${nameOrArn} does not exist.`);
  return stored;
}

/** Resolves a versioned package from its ARN (or `group/version`). */
export async function getModelPackage(ctx: ControlContext, nameOrArn: string): Promise<PackageRecord> {
  return (await getStoredPackage(ctx, nameOrArn)).data;
}

export async function describeModelPackage(ctx: ControlContext, input: { ModelPackageName: string }) {
  return describeView(await getModelPackage(ctx, input.ModelPackageName));
}

export async function listModelPackages(
  ctx: ControlContext,
  input: ListRequest & {
    ModelPackageGroupName?: string;
    ModelApprovalStatus?: string;
    ModelPackageType?: string;
  },
) {
  const prefix = input.ModelPackageGroupName
    ? `${(await getGroup(ctx, input.ModelPackageGroupName)).data.ModelPackageGroupName}/`
    : '';
  // Every Understudy package is versioned: an Unversioned-only listing is empty.
  const all =
    input.ModelPackageType === 'Unversioned'
      ? []
      : await ctx.store.list<PackageRecord>(COLLECTIONS.modelPackage, prefix);
  const matching = all.filter(
    (p) => !input.ModelApprovalStatus || p.ModelApprovalStatus === input.ModelApprovalStatus,
  );
  // Packages of one group share their name: by Name, versions keep their order within it.
  const { items, NextToken } = page(matching, input, (p) => p.ModelPackageName);
  return {
    ModelPackageSummaryList: items.map((p) => ({
      ModelPackageName: p.ModelPackageName,
      ModelPackageGroupName: p.ModelPackageGroupName,
      ModelPackageVersion: p.ModelPackageVersion,
      ModelPackageArn: p.ModelPackageArn,
      ModelPackageDescription: p.ModelPackageDescription,
      CreationTime: p.CreationTime,
      ModelPackageStatus: p.ModelPackageStatus,
      ModelApprovalStatus: p.ModelApprovalStatus,
      ModelPackageRegistrationType: p.ModelPackageRegistrationType,
      ModelLifeCycle: p.ModelLifeCycle,
    })),
    NextToken,
  };
}

/** A reject or delete the caller forces over the endpoints the package serves, and why. */
export interface Forced {
  readonly reason: string;
}

/**
 * The endpoints a package serves, when that stops `what` (a reject, a delete): a
 * ConflictException naming them unless the caller forces it, when they are recorded instead.
 */
async function servedEndpoints(
  ctx: ControlContext,
  pkg: PackageRecord,
  what: string,
  forced: Forced | undefined,
): Promise<string[] | undefined> {
  if (!ctx.packageUsage) {
    throw new Error(
      'The control plane was built without packageUsage: it cannot tell which endpoints a package serves.',
    );
  }
  const endpoints = await ctx.packageUsage.endpointsServing(pkg.ModelPackageArn);
  if (endpoints.length === 0) return undefined;
  if (!forced) {
    throw new ConflictException(
      `Cannot ${what} model package ${pkg.ModelPackageArn}: it serves endpoint(s) ${endpoints.join(', ')}. Move them to another model first, or use Understudy.Force${what === 'delete' ? 'Delete' : 'Reject'}ModelPackage with a Reason.`,
    );
  }
  return endpoints;
}

export async function updateModelPackage(
  ctx: ControlContext,
  input: {
    ModelPackageArn: string;
    ModelApprovalStatus?: ApprovalStatus;
    ApprovalDescription?: string;
    CustomerMetadataProperties?: Record<string, string>;
    CustomerMetadataPropertiesToRemove?: string[];
    ModelCard?: PackageView['ModelCard'];
    ModelLifeCycle?: ModelLifeCycle;
    [key: string]: unknown;
  },
  forced?: Forced,
) {
  const unsupported = ['InferenceSpecification', 'AdditionalInferenceSpecificationsToAdd'].filter(
    (field) => input[field] !== undefined,
  );
  if (unsupported.length > 0) {
    throw new ValidationException(
      `${unsupported.join(', ')} cannot be updated: a model package's artifact is immutable; register a new version.`,
    );
  }
  checkModelCard(input.ModelCard);
  // UpdateModelPackage's ClientToken: a retry of an update that was applied answers again
  // without applying it a second time over changes made since.
  const claim = clientTokenClaim('UpdateModelPackage', input as { ClientToken?: string });
  const earlier = await replayed<{ ModelPackageArn: string }>(ctx.store, claim, () => ctx.now());
  if (earlier) return earlier;
  const outcome = await retryOnConflict(async () => {
    const raced = await replayed<{ ModelPackageArn: string }>(ctx.store, claim, () => ctx.now());
    if (raced) return { raced };
    const stored = await getStoredPackage(ctx, input.ModelPackageArn);
    const current = stored.data;
    const status = input.ModelApprovalStatus ?? current.ModelApprovalStatus;
    checkApprovalMove(current.ModelApprovalStatus, status, current.ModelPackageArn);
    const rejecting = status === 'Rejected' && current.ModelApprovalStatus !== 'Rejected';
    const forcedOver = rejecting ? await servedEndpoints(ctx, current, 'reject', forced) : undefined;
    const metadata = {
      ...(current.CustomerMetadataProperties ?? {}),
      ...(input.CustomerMetadataProperties ?? {}),
    };
    for (const key of input.CustomerMetadataPropertiesToRemove ?? []) delete metadata[key];
    const sequence = (current.internal.historyCount ?? 0) + 1;
    const now = epochSeconds(ctx.now());
    const record: PackageRecord = {
      ...current,
      ModelApprovalStatus: status,
      ApprovalDescription: input.ApprovalDescription ?? current.ApprovalDescription,
      CustomerMetadataProperties: Object.keys(metadata).length > 0 ? metadata : undefined,
      ModelCard: input.ModelCard ?? current.ModelCard,
      ModelLifeCycle: input.ModelLifeCycle ?? current.ModelLifeCycle,
      SourceUri: (input.SourceUri as string | undefined) ?? current.SourceUri,
      ModelPackageRegistrationType:
        (input.ModelPackageRegistrationType as string | undefined) ?? current.ModelPackageRegistrationType,
      LastModifiedTime: now,
      LastModifiedBy: userContext(ctx),
      internal: { ...current.internal, historyCount: sequence },
    };
    await ctx.store.transact([
      {
        kind: 'replace',
        collection: COLLECTIONS.modelPackage,
        id: packageId(current.ModelPackageGroupName, current.ModelPackageVersion),
        data: record,
        expectedVersion: stored.version,
      },
      appendHistory(ctx, record, sequence, {
        Time: now,
        Action: 'Updated',
        ChangedFields: givenFields(input, ['ModelPackageArn', 'ClientToken']),
        From: stateOf(current),
        To: stateOf(record),
        Reason: forced?.reason ?? input.ApprovalDescription ?? input.ModelLifeCycle?.StageDescription,
        ...(forcedOver ? { ForcedOverEndpoints: forcedOver } : {}),
      }),
      ...(claim
        ? [await clientTokenWrite(ctx.store, claim, { ModelPackageArn: record.ModelPackageArn }, ctx.now())]
        : []),
    ]);
    return { record, before: current };
  });
  if ('raced' in outcome) return outcome.raced;
  const { record: updated, before } = outcome;
  const moved =
    updated.ModelApprovalStatus !== before.ModelApprovalStatus ||
    JSON.stringify(updated.ModelLifeCycle) !== JSON.stringify(before.ModelLifeCycle);
  if (moved) await publishPackageState(ctx, describeView(updated));
  return { ModelPackageArn: updated.ModelPackageArn };
}

export async function deleteModelPackage(
  ctx: ControlContext,
  input: { ModelPackageName: string },
  forced?: Forced,
) {
  const deletedArn = await retryOnConflict(async () => {
    const stored = await getStoredPackage(ctx, input.ModelPackageName);
    const current = stored.data;
    const forcedOver = await servedEndpoints(ctx, current, 'delete', forced);
    const sequence = (current.internal.historyCount ?? 0) + 1;
    await ctx.store.transact([
      {
        kind: 'delete',
        collection: COLLECTIONS.modelPackage,
        id: packageId(current.ModelPackageGroupName, current.ModelPackageVersion),
        expectedVersion: stored.version,
      },
      appendHistory(ctx, current, sequence, {
        Time: epochSeconds(ctx.now()),
        Action: 'Deleted',
        ChangedFields: [],
        From: stateOf(current),
        ...(forced ? { Reason: forced.reason } : {}),
        ...(forcedOver ? { ForcedOverEndpoints: forcedOver } : {}),
      }),
    ]);
    return current.ModelPackageArn;
  });
  await forgetTags(ctx, deletedArn);
  return {};
}
