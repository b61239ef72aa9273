import {
  ArtifactIntegrityError,
  ArtifactNotFoundError,
  type ArtifactSource,
  parseS3Uri,
  sha256Hex,
  unpackArtifact,
} from './artifact.js';
import { ValidationException } from './errors.js';
import type { AccessKeyAdmin, DeploymentServices, ObjectStore } from './ports.js';
import type { RegisteredArtifact, Timestamp } from './records.js';
import type { RegistryStore } from './store.js';

/** Who is calling (from the verified signature). */
export interface Caller {
  readonly accessKeyId: string;
  readonly role: string;
}

/** A loaded model the control plane only needs to open and close again. */
export interface ModelProbe {
  /** Throws an Error naming the problem when the bytes are not a servable ONNX model. */
  check(onnxBytes: Uint8Array): Promise<void>;
}

/** Everything the control-plane operations need; handlers build it, tests fake it. */
export interface ControlContext {
  readonly store: RegistryStore;
  readonly artifacts: ArtifactSource;
  readonly models: ModelProbe;
  readonly region: string;
  readonly accountId: string;
  readonly caller: Caller;
  /**
   * Alarms and the step queue for UpdateEndpoint rollouts. Only rollouts that bake or watch
   * alarms need it; they fail loudly where it is missing.
   */
  readonly deployments?: DeploymentServices;
  /** Objects on S3 by URI (Understudy.SuggestBaseline reads datasets and writes baselines). */
  readonly objects?: ObjectStore;
  /** Issued access keys (Understudy.CreateAccessKey, ListAccessKeys, DeleteAccessKey). */
  readonly accessKeys?: AccessKeyAdmin;
  now(): Date;
}

export function arn(ctx: ControlContext, resource: string, name: string): string {
  return `arn:aws:sagemaker:${ctx.region}:${ctx.accountId}:${resource}/${name.toLowerCase()}`;
}

export function epochSeconds(date: Date): Timestamp {
  return date.getTime() / 1000;
}

/** SageMaker's UserContext for CreatedBy / LastModifiedBy. */
export function userContext(ctx: ControlContext): { UserProfileName: string } {
  return { UserProfileName: ctx.caller.accessKeyId };
}

/** Drops Understudy's internal fields from a stored record: the Describe view. */
export function view<T extends { internal: unknown }>(record: T): Omit<T, 'internal'> {
  const { internal: _internal, ...rest } = record;
  return rest;
}

/**
 * Reads an artifact at registration: it must exist, unpack to ONNX and load. Its digest is
 * recorded so the data plane can refuse an object that changed afterwards.
 */
export async function registerArtifact(ctx: ControlContext, uri: string): Promise<RegisteredArtifact> {
  if (!parseS3Uri(uri)) {
    throw new ValidationException(`ModelDataUrl '${uri}' is not an s3:// URI of a .onnx file or a .tar.gz.`);
  }
  let bytes: Uint8Array;
  try {
    bytes = await ctx.artifacts.fetch(uri);
  } catch (error) {
    if (error instanceof ArtifactNotFoundError) {
      throw new ValidationException(`Could not find model data at ${uri}.`);
    }
    throw error;
  }
  try {
    await ctx.models.check(await unpackArtifact(bytes));
  } catch (error) {
    const reason = error instanceof ArtifactIntegrityError ? error.message : (error as Error).message;
    throw new ValidationException(`Model data at ${uri} is not a servable ONNX model: ${reason}.`, {
      cause: error,
    });
  }
  return { uri, sha256: sha256Hex(bytes), sizeBytes: bytes.byteLength };
}

export interface ListRequest {
  readonly NameContains?: string;
  readonly CreationTimeAfter?: number | string;
  readonly CreationTimeBefore?: number | string;
  readonly SortBy?: string;
  readonly SortOrder?: string;
  readonly MaxResults?: number;
  readonly NextToken?: string;
}

/**
 * Filters, sorts and pages records the way SageMaker's List* operations do. Registries are
 * small (hundreds of records), so a collection is read whole and paged in memory; the token
 * is an opaque offset. Without SortBy and SortOrder, newest first, as SageMaker lists.
 */
export function page<T extends { CreationTime: Timestamp }>(
  records: readonly T[],
  request: ListRequest,
  nameOf: (record: T) => string,
  defaults: {
    /** @default 'CreationTime' */
    sortBy?: string;
    /** @default 'Descending' */
    sortOrder?: 'Ascending' | 'Descending';
    /** Comparators for SortBy values other than Name and CreationTime (e.g. a resource's own Status). */
    keys?: Readonly<Record<string, (a: T, b: T) => number>>;
  } = {},
): { items: T[]; NextToken?: string } {
  const after = toEpoch(request.CreationTimeAfter);
  const before = toEpoch(request.CreationTimeBefore);
  const needle = request.NameContains?.toLowerCase();
  const filtered = records.filter(
    (r) =>
      (needle === undefined || nameOf(r).toLowerCase().includes(needle)) &&
      (after === undefined || r.CreationTime > after) &&
      (before === undefined || r.CreationTime < before),
  );
  const sortBy = request.SortBy ?? defaults.sortBy ?? 'CreationTime';
  const direction = (request.SortOrder ?? defaults.sortOrder ?? 'Descending') === 'Ascending' ? 1 : -1;
  filtered.sort((a, b) => {
    const custom = defaults.keys?.[sortBy];
    const key = custom
      ? custom(a, b)
      : sortBy === 'Name'
        ? nameOf(a).localeCompare(nameOf(b))
        : sortBy === 'Status'
          ? String((a as Record<string, unknown>).EndpointStatus).localeCompare(
              String((b as Record<string, unknown>).EndpointStatus),
            )
          : a.CreationTime - b.CreationTime;
    return key * direction;
  });
  const start = decodeToken(request.NextToken);
  const size = request.MaxResults ?? 10;
  const items = filtered.slice(start, start + size);
  const next = start + size < filtered.length ? encodeToken(start + size) : undefined;
  return next ? { items, NextToken: next } : { items };
}

/** A SageMaker timestamp (epoch seconds or an ISO string) as epoch seconds. */
export function toEpoch(value: number | string | undefined): number | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'number' ? value : Date.parse(value) / 1000;
}

/** An opaque List* NextToken for an offset into a sorted listing. */
export function encodeToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64url');
}

/** The offset a NextToken stands for (0 without one); ValidationException when it is not ours. */
export function decodeToken(token: string | undefined): number {
  if (token === undefined) return 0;
  try {
    const { offset } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { offset: unknown };
    if (typeof offset === 'number' && Number.isInteger(offset) && offset >= 0) return offset;
  } catch {
    // fall through
  }
  throw new ValidationException('NextToken is not valid: pass the token a previous call returned.');
}
