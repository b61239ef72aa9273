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
import {
  COLLECTIONS,
  type ModelPackageInternal,
  type StoredResource,
  type Timestamp,
} from '../kernel/records.js';
import { RecordExistsError } from '../kernel/store.js';
import { checkNewTags, forgetTags, recordTags, type Tag } from '../tags/tags.js';

export type ApprovalStatus = 'Approved' | 'Rejected' | 'PendingManualApproval';

interface GroupView {
  ModelPackageGroupName: string;
  ModelPackageGroupArn: string;
  ModelPackageGroupDescription?: string;
  CreationTime: Timestamp;
  CreatedBy: { UserProfileName: string };
  ModelPackageGroupStatus: 'Completed';
}
type GroupRecord = StoredResource<GroupView, undefined>;

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
  ModelCard?: unknown;
  ModelLifeCycle?: unknown;
  DriftCheckBaselines?: unknown;
}
export type PackageRecord = StoredResource<PackageView, ModelPackageInternal>;

const VERSION_WIDTH = 10;
const packageId = (group: string, version: number) =>
  `${group}/${String(version).padStart(VERSION_WIDTH, '0')}`;

async function getGroup(ctx: ControlContext, name: string): Promise<GroupRecord> {
  const groupName = name.startsWith('arn:') ? (name.split('/').pop() ?? name) : name;
  const stored = await ctx.store.get<GroupRecord>(COLLECTIONS.modelPackageGroup, groupName);
  if (!stored) throw new ValidationException(`ModelPackageGroup ${groupName} does not exist.`);
  return stored.data;
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
    internal: undefined,
  };
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
  return view(await getGroup(ctx, input.ModelPackageGroupName));
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
  const group = await getGroup(ctx, input.ModelPackageGroupName);
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

export async function createModelPackage(
  ctx: ControlContext,
  input: Partial<PackageView> & {
    ModelPackageGroupName?: string;
    ClientToken?: string;
    Tags?: readonly Tag[];
  },
) {
  const tags = checkNewTags(input.Tags);
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
  const group = await getGroup(ctx, input.ModelPackageGroupName);
  const artifact = await registerArtifact(
    ctx,
    containerArtifactUri(containers[0], 'InferenceSpecification.Containers[0]'),
  );
  const version = await ctx.store.increment(COLLECTIONS.packageVersionCounter, group.ModelPackageGroupName);
  const name = group.ModelPackageGroupName;
  const now = epochSeconds(ctx.now());
  const record: PackageRecord = {
    ModelPackageName: name,
    ModelPackageGroupName: name,
    ModelPackageVersion: version,
    ModelPackageArn: arn(ctx, 'model-package', `${name}/${version}`),
    ModelPackageDescription: input.ModelPackageDescription,
    CreationTime: now,
    InferenceSpecification: input.InferenceSpecification,
    ModelPackageStatus: 'Completed',
    ModelPackageStatusDetails: { ValidationStatuses: [{ Name: 'onnx-load', Status: 'Completed' }] },
    ModelApprovalStatus: input.ModelApprovalStatus ?? 'PendingManualApproval',
    CreatedBy: userContext(ctx),
    LastModifiedTime: now,
    CustomerMetadataProperties: input.CustomerMetadataProperties,
    MetadataProperties: input.MetadataProperties,
    ModelMetrics: input.ModelMetrics,
    Domain: input.Domain,
    Task: input.Task,
    SamplePayloadUrl: input.SamplePayloadUrl,
    ModelPackageRegistrationType: input.ModelPackageRegistrationType,
    SourceUri: input.SourceUri,
    ModelCard: input.ModelCard,
    ModelLifeCycle: input.ModelLifeCycle,
    DriftCheckBaselines: input.DriftCheckBaselines,
    internal: { artifact },
  };
  await ctx.store.create(COLLECTIONS.modelPackage, packageId(name, version), record);
  await recordTags(ctx, record.ModelPackageArn, tags);
  return { ModelPackageArn: record.ModelPackageArn };
}

/** Resolves a versioned package from its ARN (or `group/version`). */
export async function getModelPackage(ctx: ControlContext, nameOrArn: string): Promise<PackageRecord> {
  const match = /(?:^|model-package\/)([a-zA-Z0-9-]+)\/(\d+)$/.exec(nameOrArn);
  if (!match) {
    throw new ValidationException(
      `Model package '${nameOrArn}' is not a versioned model package ARN (arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>).`,
    );
  }
  const groups = await ctx.store.list<GroupRecord>(COLLECTIONS.modelPackageGroup);
  // ARNs carry lower-cased names; find the group whatever its case.
  const group = groups.find((g) => g.ModelPackageGroupName.toLowerCase() === match[1]?.toLowerCase());
  const stored = group
    ? await ctx.store.get<PackageRecord>(
        COLLECTIONS.modelPackage,
        packageId(group.ModelPackageGroupName, Number(match[2])),
      )
    : undefined;
  if (!stored) throw new ValidationException(`ModelPackage ${nameOrArn} does not exist.`);
  return stored.data;
}

export async function describeModelPackage(ctx: ControlContext, input: { ModelPackageName: string }) {
  return view(await getModelPackage(ctx, input.ModelPackageName));
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
    ? `${(await getGroup(ctx, input.ModelPackageGroupName)).ModelPackageGroupName}/`
    : '';
  // Every Understudy package is versioned: an Unversioned-only listing is empty.
  const all =
    input.ModelPackageType === 'Unversioned'
      ? []
      : await ctx.store.list<PackageRecord>(COLLECTIONS.modelPackage, prefix);
  const matching = all.filter(
    (p) => !input.ModelApprovalStatus || p.ModelApprovalStatus === input.ModelApprovalStatus,
  );
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
    })),
    NextToken,
  };
}

export async function updateModelPackage(
  ctx: ControlContext,
  input: {
    ModelPackageArn: string;
    ModelApprovalStatus?: ApprovalStatus;
    ApprovalDescription?: string;
    CustomerMetadataProperties?: Record<string, string>;
    CustomerMetadataPropertiesToRemove?: string[];
    [key: string]: unknown;
  },
) {
  const unsupported = ['InferenceSpecification', 'AdditionalInferenceSpecificationsToAdd'].filter(
    (field) => input[field] !== undefined,
  );
  if (unsupported.length > 0) {
    throw new ValidationException(
      `${unsupported.join(', ')} cannot be updated: a model package's artifact is immutable; register a new version.`,
    );
  }
  const current = await getModelPackage(ctx, input.ModelPackageArn);
  const metadata = {
    ...(current.CustomerMetadataProperties ?? {}),
    ...(input.CustomerMetadataProperties ?? {}),
  };
  for (const key of input.CustomerMetadataPropertiesToRemove ?? []) delete metadata[key];
  const updated: PackageRecord = {
    ...current,
    ModelApprovalStatus: input.ModelApprovalStatus ?? current.ModelApprovalStatus,
    ApprovalDescription: input.ApprovalDescription ?? current.ApprovalDescription,
    CustomerMetadataProperties: Object.keys(metadata).length > 0 ? metadata : undefined,
    ModelCard: input.ModelCard ?? current.ModelCard,
    ModelLifeCycle: input.ModelLifeCycle ?? current.ModelLifeCycle,
    SourceUri: (input.SourceUri as string | undefined) ?? current.SourceUri,
    ModelPackageRegistrationType:
      (input.ModelPackageRegistrationType as string | undefined) ?? current.ModelPackageRegistrationType,
    LastModifiedTime: epochSeconds(ctx.now()),
    LastModifiedBy: userContext(ctx),
  };
  await ctx.store.replace(
    COLLECTIONS.modelPackage,
    packageId(current.ModelPackageGroupName, current.ModelPackageVersion),
    updated,
  );
  return { ModelPackageArn: current.ModelPackageArn };
}

export async function deleteModelPackage(ctx: ControlContext, input: { ModelPackageName: string }) {
  const current = await getModelPackage(ctx, input.ModelPackageName);
  await ctx.store.delete(
    COLLECTIONS.modelPackage,
    packageId(current.ModelPackageGroupName, current.ModelPackageVersion),
  );
  await forgetTags(ctx, current.ModelPackageArn);
  return {};
}
