import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  ArtifactIntegrityError,
  ArtifactNotFoundError,
  type ArtifactSource,
  parseS3Uri,
  sha256Hex,
  unpackArtifact,
} from './artifact.js';
import { ValidationException } from './errors.js';
import type { Log } from './log.js';
import type {
  AccessKeyAdmin,
  DeploymentServices,
  EventPublisher,
  JobQueue,
  ObjectStore,
  PackageEvaluator,
  PackageUsage,
  TrainingQueue,
} from './ports.js';
import type { RegisteredArtifact, Timestamp } from './records.js';
import type { RegistryStore } from './store.js';

/** Who is calling (from the verified signature). */
export interface Caller {
  readonly accessKeyId: string;
  readonly role: string;
  /** As on the key: the endpoints an invoker key is limited to, absent for all. */
  readonly endpointNames?: readonly string[];
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
  /**
   * Objects on S3 by URI (Understudy.SuggestBaseline reads datasets and writes baselines;
   * CreateModelPackage checks that its ModelMetrics can be read).
   */
  readonly objects?: ObjectStore;
  /**
   * The monitor's jobs queue: processing jobs and `NOW` schedules run from it at once.
   * Processing jobs fail loudly where it is missing; schedules then wait for the tick.
   */
  readonly jobs?: JobQueue;
  /** The training function's queue (CreateTrainingJob, StopTrainingJob); training jobs fail loudly where it is missing. */
  readonly training?: TrainingQueue;
  /** What an operation notes without failing the request (a job message that could not be sent). */
  readonly log?: Log;
  /** Where registry events go (EventBridge); without it nothing is published. */
  readonly events?: EventPublisher;
  /**
   * Which endpoints a model package serves, asked before a package is rejected or deleted;
   * those operations fail loudly where it is missing.
   */
  readonly packageUsage?: PackageUsage;
  /** Runs a CreateModelPackage's ValidationSpecification (offline evaluation); such a request fails loudly where it is missing. */
  readonly packageEvaluation?: PackageEvaluator;
  /** Issued access keys (Understudy.CreateAccessKey, ListAccessKeys, DeleteAccessKey). */
  readonly accessKeys?: AccessKeyAdmin;
  /** Customer KMS key ARNs configurations may name (the stack's allowedKmsKeyArns); absent, none. */
  readonly allowedKmsKeys?: readonly string[];
  now(): Date;
}

export function arn(ctx: ControlContext, resource: string, name: string): string {
  return `arn:aws:sagemaker:${ctx.region}:${ctx.accountId}:${resource}/${name.toLowerCase()}`;
}

export function epochSeconds(date: Date): Timestamp {
  return date.getTime() / 1000;
}

/** Who made a change, as the registry's audit history records it: the signing key and its role. */
export function principal(ctx: ControlContext): { AccessKeyId: string; Role: string } {
  return { AccessKeyId: ctx.caller.accessKeyId, Role: ctx.caller.role };
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

/**
 * Seals and opens the NextTokens of every List operation (SageMaker's and Understudy's), once,
 * around dispatch: a token carries the listing's own position (`page()`'s offset) and an
 * HMAC-SHA256 over the operation, its filters (the request without NextToken and MaxResults,
 * so the page size may change between pages) and that position. A token that was altered, or
 * that another listing (another operation, other filters) returned, is a ValidationException
 * before the operation runs. The key is read only when a token is sealed or opened.
 */
export class ListingTokens {
  constructor(private readonly key: () => Promise<Uint8Array>) {}

  /** The request with its NextToken replaced by the position it stands for. */
  async open(operation: string, input: unknown): Promise<unknown> {
    const token = tokenOf(input);
    if (token === undefined) return input;
    const dot = token.lastIndexOf('.');
    const position = Buffer.from(token.slice(0, Math.max(dot, 0)), 'base64url').toString('utf8');
    const mac = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = await this.mac(operation, input, position);
    if (dot <= 0 || mac.length !== expected.length || !timingSafeEqual(mac, expected)) {
      throw new ValidationException(
        `NextToken is not valid for this ${operation.replace(/^Understudy\./, '')} listing: pass the token the previous call with the same filters returned.`,
      );
    }
    return { ...(input as object), NextToken: position };
  }

  /** The answer with its NextToken sealed for the listing `input` asked for. */
  async seal(operation: string, input: unknown, output: unknown): Promise<unknown> {
    const position = tokenOf(output);
    if (position === undefined) return output;
    const mac = await this.mac(operation, input, position);
    const token = `${Buffer.from(position).toString('base64url')}.${mac.toString('base64url')}`;
    return { ...(output as object), NextToken: token };
  }

  private async mac(operation: string, input: unknown, position: string): Promise<Buffer> {
    const { NextToken: _token, MaxResults: _size, ...filters } = input as Record<string, unknown>;
    return createHmac('sha256', await this.key())
      .update(JSON.stringify([operation, canonical(filters), position]))
      .digest();
  }
}

function tokenOf(value: unknown): string | undefined {
  const token = (value as { NextToken?: unknown } | undefined)?.NextToken;
  return typeof token === 'string' && token !== '' ? token : undefined;
}

/** JSON with object keys sorted, so equal filters give equal bytes whatever their order. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}
