/**
 * Tags on every resource Understudy has: AddTags, ListTags, DeleteTags, and the `Tags` of
 * each Create… operation. A resource's tags are one record keyed by its ARN, apart from the
 * resource's own record, so no Update… path of any capability has to carry them along.
 *
 * The service model's shapes already bound each request (a key 1–128 characters, a value
 * 0–256, both of `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`, at most 50 tags per call): the control plane
 * validates them before an operation runs. What only the resource can tell is checked here:
 * the reserved `aws:` prefix, a key given twice, and 50 tags per resource in all.
 */
import { type ControlContext, decodeToken, encodeToken } from '../kernel/context.js';
import { ValidationException } from '../kernel/errors.js';
import { COLLECTIONS } from '../kernel/records.js';
import { RecordExistsError, retryOnConflict } from '../kernel/store.js';
import { findTaggable } from './taggable.js';

export interface Tag {
  readonly Key: string;
  readonly Value: string;
}

interface TagsRecord {
  readonly Tags: readonly Tag[];
}

/** SageMaker's limit of tags on one resource. */
export const MAX_TAGS_PER_RESOURCE = 50;

/** `ListTagsMaxResults` has no default in the model; 50 (its minimum) lists every tag at once. */
const DEFAULT_LIST_SIZE = 50;

/** AWS reserves the prefix in any case (`aws:`, `AWS:`, `Aws:`); values may start with it. */
const RESERVED_PREFIX = /^aws:/i;

function checkReserved(keys: readonly string[], field: string): void {
  const reserved = keys.find((key) => RESERVED_PREFIX.test(key));
  if (reserved !== undefined) {
    throw new ValidationException(
      `${field}: tag key '${reserved}' uses the reserved prefix 'aws:'; tags with that prefix cannot be added or deleted.`,
    );
  }
}

/** Checks the tags a request adds: keys neither reserved nor given twice. */
function checkTags(tags: readonly Tag[]): void {
  const keys = tags.map((t) => t.Key);
  checkReserved(keys, 'Tags');
  const seen = new Set<string>();
  for (const key of keys) {
    if (seen.has(key)) throw new ValidationException(`Tags: tag key '${key}' is given more than once.`);
    seen.add(key);
  }
}

function checkCount(count: number, resourceArn: string): void {
  if (count > MAX_TAGS_PER_RESOURCE) {
    throw new ValidationException(
      `Resource ${resourceArn} would have ${count} tags; a resource has at most ${MAX_TAGS_PER_RESOURCE}.`,
    );
  }
}

/**
 * Checks a Create… operation's `Tags` (the reserved prefix, repeated keys): call it before the
 * resource is written, so bad tags create nothing. Returns the tags to pass to `recordTags`.
 */
export function checkNewTags(tags: readonly Tag[] | undefined): readonly Tag[] {
  const given = tags ?? [];
  checkTags(given);
  return given;
}

/**
 * Records a new resource's tags, once its record is written: `resourceArn` as the record
 * holds it, `tags` from `checkNewTags`. Tags left behind by an earlier resource of the same
 * ARN (a delete that failed half-way, an AddTags racing a delete) are replaced, so a
 * re-created resource starts with exactly the tags it was created with.
 */
export async function recordTags(
  ctx: ControlContext,
  resourceArn: string,
  tags: readonly Tag[],
): Promise<void> {
  if (tags.length === 0) {
    await ctx.store.delete(COLLECTIONS.tags, resourceArn);
    return;
  }
  await ctx.store.replace<TagsRecord>(COLLECTIONS.tags, resourceArn, { Tags: tags });
}

/** Drops a deleted resource's tags (after its record is deleted). */
export async function forgetTags(ctx: ControlContext, resourceArn: string): Promise<void> {
  await ctx.store.delete(COLLECTIONS.tags, resourceArn);
}

/**
 * Creates an asynchronous job's record with its tags, then starts it (`start`: the queue send).
 * A job whose start fails is removed again with its tags, so the caller's error leaves nothing
 * behind; a name already taken is `exists()`'s error, with nothing written.
 */
export async function createTaggedJob(
  ctx: ControlContext,
  job: {
    readonly collection: string;
    readonly name: string;
    readonly arn: string;
    readonly record: object;
    readonly tags: readonly Tag[];
    readonly exists: () => Error;
    readonly start: () => Promise<void>;
  },
): Promise<void> {
  try {
    await ctx.store.create(job.collection, job.name, job.record);
  } catch (error) {
    if (error instanceof RecordExistsError) throw job.exists();
    throw error;
  }
  await recordTags(ctx, job.arn, job.tags);
  try {
    await job.start();
  } catch (error) {
    await ctx.store.delete(job.collection, job.name);
    await forgetTags(ctx, job.arn);
    throw error;
  }
}

async function currentTags(ctx: ControlContext, resourceArn: string) {
  const stored = await ctx.store.get<TagsRecord>(COLLECTIONS.tags, resourceArn);
  return { tags: stored?.data.Tags ?? [], version: stored?.version };
}

/** Writes a resource's tags under optimistic concurrency: `change` sees the current ones. */
async function changeTags(
  ctx: ControlContext,
  resourceArn: string,
  change: (tags: readonly Tag[]) => readonly Tag[],
): Promise<void> {
  await retryOnConflict(async () => {
    const { tags, version } = await currentTags(ctx, resourceArn);
    const next = change(tags);
    if (version === undefined) {
      if (next.length > 0) await ctx.store.create<TagsRecord>(COLLECTIONS.tags, resourceArn, { Tags: next });
    } else {
      await ctx.store.replace<TagsRecord>(COLLECTIONS.tags, resourceArn, { Tags: next }, version);
    }
  });
}

/** AddTags: adds tags, overwriting the value of a key the resource already has. */
export async function addTags(ctx: ControlContext, input: { ResourceArn: string; Tags: readonly Tag[] }) {
  checkTags(input.Tags);
  const resourceArn = await findTaggable(ctx.store, input.ResourceArn);
  await changeTags(ctx, resourceArn, (tags) => {
    const merged = new Map(tags.map((t) => [t.Key, t.Value]));
    for (const tag of input.Tags) merged.set(tag.Key, tag.Value);
    checkCount(merged.size, resourceArn);
    return [...merged].map(([Key, Value]) => ({ Key, Value }));
  });
  return { Tags: input.Tags };
}

/** ListTags: a resource's tags in the order they were first added, paged by MaxResults. */
export async function listTags(
  ctx: ControlContext,
  input: { ResourceArn: string; MaxResults?: number; NextToken?: string },
) {
  const start = decodeToken(input.NextToken);
  const resourceArn = await findTaggable(ctx.store, input.ResourceArn);
  const { tags } = await currentTags(ctx, resourceArn);
  const size = input.MaxResults ?? DEFAULT_LIST_SIZE;
  const next = start + size < tags.length ? encodeToken(start + size) : undefined;
  return { Tags: tags.slice(start, start + size), ...(next ? { NextToken: next } : {}) };
}

/** DeleteTags: removes the given keys; a key the resource does not have is no error. */
export async function deleteTags(
  ctx: ControlContext,
  input: { ResourceArn: string; TagKeys: readonly string[] },
) {
  checkReserved(input.TagKeys, 'TagKeys');
  const resourceArn = await findTaggable(ctx.store, input.ResourceArn);
  const removed = new Set(input.TagKeys);
  await changeTags(ctx, resourceArn, (tags) => tags.filter((t) => !removed.has(t.Key)));
  return {};
}
