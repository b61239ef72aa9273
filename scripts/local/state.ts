/**
 * Keeping the local platform's data across restarts (moto keeps nothing): on stop, every
 * item of the stack's DynamoDB tables, every object of its S3 buckets and the values of its
 * secrets are written to the state directory, by logical id; on start they are put back
 * into the new stack's resources.
 *
 *   <state-dir>/state.json               what was saved, secrets included
 *   <state-dir>/dynamodb/<logicalId>.json items (AttributeValue JSON, binary as base64)
 *   <state-dir>/s3/<logicalId>/<key>      object bodies, byte for byte
 *   <state-dir>/s3/<logicalId>.json       key → file, content type and metadata
 *
 * Saving writes a fresh directory and swaps it in with renames, so an interrupted save
 * leaves the previous state intact.
 */
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';
import {
  type AttributeValue,
  BatchWriteItemCommand,
  ScanCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Clients } from './aws.js';
import { readSecrets, type SavedSecret } from './secrets.js';
import { type CfnTemplate, resourcesOfType, type StackContext } from './template.js';

const STATE_VERSION = 1;

export interface SavedState {
  readonly version: number;
  readonly savedAt: string;
  readonly stackName: string;
  readonly secrets: Record<string, SavedSecret>;
  readonly tables: Record<string, { readonly name: string; readonly items: number }>;
  readonly buckets: Record<string, { readonly name: string; readonly objects: number }>;
  /** The stack's physical ids when saved, to rewrite references to them on restore. */
  readonly physicalIds?: Record<string, string>;
}

interface SavedObject {
  readonly key: string;
  /** Relative to the state directory. */
  readonly file: string;
  readonly contentType?: string;
  readonly contentEncoding?: string;
  readonly cacheControl?: string;
  readonly contentDisposition?: string;
  readonly metadata?: Record<string, string>;
}

// ---------------------------------------------------------------------------------------
// DynamoDB items as JSON

type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** AttributeValue → JSON, with binary values as `{"$base64": "..."}`. */
export function encodeAttributeValue(value: unknown): JsonValue {
  if (value instanceof Uint8Array) return { $base64: Buffer.from(value).toString('base64') };
  if (Array.isArray(value)) return value.map(encodeAttributeValue);
  if (value instanceof Set) return [...value].map(encodeAttributeValue);
  if (typeof value === 'object' && value !== null) {
    const result: Record<string, JsonValue> = {};
    for (const [key, item] of Object.entries(value))
      if (item !== undefined) result[key] = encodeAttributeValue(item);
    return result;
  }
  return value as JsonValue;
}

export function decodeAttributeValue(value: JsonValue): unknown {
  if (Array.isArray(value)) return value.map(decodeAttributeValue);
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === '$base64' && typeof value.$base64 === 'string') {
      return new Uint8Array(Buffer.from(value.$base64, 'base64'));
    }
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) result[key] = decodeAttributeValue(item);
    return result;
  }
  return value;
}

// ---------------------------------------------------------------------------------------
// S3 keys as file paths

/**
 * Where each key's body goes, relative to the bucket's directory: the key itself when it is a
 * plain relative path that no other key uses as a directory; otherwise (marked by a leading
 * NUL) a hashed name, which goes under `s3/<logicalId>.unsafe/`.
 */
export function objectFiles(keys: readonly string[]): Map<string, string> {
  const directories = new Set<string>();
  for (const key of keys) {
    const parts = key.split('/');
    for (let i = 1; i < parts.length; i++) directories.add(parts.slice(0, i).join('/'));
  }
  const files = new Map<string, string>();
  for (const key of keys) {
    const parts = key.split('/');
    const safe =
      parts.every(
        (part) =>
          part !== '' &&
          part !== '.' &&
          part !== '..' &&
          !part.includes('\0') &&
          Buffer.byteLength(part) <= 200,
      ) && !directories.has(key);
    files.set(key, safe ? key : `\0${createHash('sha256').update(key).digest('hex')}`);
  }
  return files;
}

// ---------------------------------------------------------------------------------------

async function mapLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await fn(item);
      }
    }),
  );
}

function stackResources(template: CfnTemplate, ctx: StackContext, type: string): [string, string][] {
  return resourcesOfType(template, type)
    .map(([id]) => [id, ctx.physicalIds[id]] as const)
    .filter((entry): entry is [string, string] => entry[1] !== undefined);
}

async function scanTable(clients: Clients, TableName: string): Promise<Record<string, AttributeValue>[]> {
  const items: Record<string, AttributeValue>[] = [];
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await clients.dynamodb.send(new ScanCommand({ TableName, ExclusiveStartKey }));
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

async function listKeys(clients: Clients, Bucket: string, max?: number): Promise<string[]> {
  const keys: string[] = [];
  let ContinuationToken: string | undefined;
  do {
    const page = await clients.s3.send(
      new ListObjectsV2Command({ Bucket, ContinuationToken, ...(max ? { MaxKeys: max } : {}) }),
    );
    for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
    ContinuationToken = page.IsTruncated && !max ? page.NextContinuationToken : undefined;
  } while (ContinuationToken);
  return keys;
}

/** Temporary directories of saves whose process died before finishing. */
function removeAbandonedSaves(stateDir: string): void {
  const parent = path.dirname(stateDir);
  const prefix = `${path.basename(stateDir)}.saving-`;
  if (!existsSync(parent)) return;
  for (const entry of readdirSync(parent)) {
    if (!entry.startsWith(prefix)) continue;
    const pid = Number(entry.slice(prefix.length));
    let alive = false;
    try {
      process.kill(pid, 0);
      alive = pid !== process.pid;
    } catch {
      alive = false;
    }
    if (!alive) rmSync(path.join(parent, entry), { recursive: true, force: true });
  }
}

/** Saves tables, buckets and secrets of the stack into `stateDir` (replacing what was there). */
export async function saveState(
  clients: Clients,
  template: CfnTemplate,
  ctx: StackContext,
  stateDir: string,
): Promise<SavedState> {
  const temp = `${stateDir}.saving-${process.pid}`;
  removeAbandonedSaves(stateDir);
  rmSync(temp, { recursive: true, force: true });
  mkdirSync(path.join(temp, 'dynamodb'), { recursive: true });
  mkdirSync(path.join(temp, 's3'), { recursive: true });
  const tables: Record<string, { name: string; items: number }> = {};
  for (const [logicalId, name] of stackResources(template, ctx, 'AWS::DynamoDB::Table')) {
    const items = await scanTable(clients, name);
    writeFileSync(
      path.join(temp, 'dynamodb', `${logicalId}.json`),
      JSON.stringify(items.map(encodeAttributeValue)),
    );
    tables[logicalId] = { name, items: items.length };
  }
  const buckets: Record<string, { name: string; objects: number }> = {};
  for (const [logicalId, name] of stackResources(template, ctx, 'AWS::S3::Bucket')) {
    const keys = await listKeys(clients, name);
    const files = objectFiles(keys);
    const manifest: SavedObject[] = [];
    await mapLimit(keys, 8, async (key) => {
      const object = await clients.s3.send(new GetObjectCommand({ Bucket: name, Key: key }));
      const body = await object.Body?.transformToByteArray();
      const mapped = files.get(key) ?? key;
      const file = mapped.startsWith('\0')
        ? path.join('s3', `${logicalId}.unsafe`, mapped.slice(1))
        : path.join('s3', logicalId, mapped);
      mkdirSync(path.dirname(path.join(temp, file)), { recursive: true });
      writeFileSync(path.join(temp, file), body ?? new Uint8Array());
      manifest.push({
        key,
        file,
        ...(object.ContentType ? { contentType: object.ContentType } : {}),
        ...(object.ContentEncoding ? { contentEncoding: object.ContentEncoding } : {}),
        ...(object.CacheControl ? { cacheControl: object.CacheControl } : {}),
        ...(object.ContentDisposition ? { contentDisposition: object.ContentDisposition } : {}),
        ...(object.Metadata && Object.keys(object.Metadata).length > 0 ? { metadata: object.Metadata } : {}),
      });
    });
    manifest.sort((a, b) => (a.key < b.key ? -1 : 1));
    writeFileSync(path.join(temp, 's3', `${logicalId}.json`), JSON.stringify(manifest, null, 1));
    buckets[logicalId] = { name, objects: keys.length };
  }
  const secrets = await readSecrets(clients, template, ctx);
  // What the stack lacks right now (an emulator hiccup) keeps its previously saved data.
  const previous = existsSync(path.join(stateDir, 'state.json')) ? loadState(stateDir) : undefined;
  if (previous) {
    for (const [logicalId] of resourcesOfType(template, 'AWS::DynamoDB::Table')) {
      const old = previous.tables[logicalId];
      const file = path.join('dynamodb', `${logicalId}.json`);
      if (tables[logicalId] || !old || !existsSync(path.join(stateDir, file))) continue;
      cpSync(path.join(stateDir, file), path.join(temp, file));
      tables[logicalId] = old;
    }
    for (const [logicalId] of resourcesOfType(template, 'AWS::S3::Bucket')) {
      const old = previous.buckets[logicalId];
      if (buckets[logicalId] || !old) continue;
      for (const entry of [logicalId, `${logicalId}.unsafe`, `${logicalId}.json`]) {
        const from = path.join(stateDir, 's3', entry);
        if (existsSync(from)) cpSync(from, path.join(temp, 's3', entry), { recursive: true });
      }
      buckets[logicalId] = old;
    }
    for (const [logicalId, secret] of Object.entries(previous.secrets)) {
      if (!secrets[logicalId] && template.Resources[logicalId]) secrets[logicalId] = secret;
    }
  }
  const state: SavedState = {
    version: STATE_VERSION,
    savedAt: new Date().toISOString(),
    stackName: ctx.stackName,
    secrets,
    tables,
    buckets,
    physicalIds: { ...(previous?.physicalIds ?? {}), ...ctx.physicalIds },
  };
  writeFileSync(path.join(temp, 'state.json'), JSON.stringify(state, null, 2));
  // Swap: the old state is only removed once the new one is in place.
  const old = `${stateDir}.old`;
  rmSync(old, { recursive: true, force: true });
  if (existsSync(stateDir)) renameSync(stateDir, old);
  renameSync(temp, stateDir);
  rmSync(old, { recursive: true, force: true });
  return state;
}

/** The saved state, if there is one (falling back to the previous one after an interrupted save). */
export function loadState(stateDir: string): SavedState | undefined {
  for (const dir of [stateDir, `${stateDir}.old`]) {
    const file = path.join(dir, 'state.json');
    if (!existsSync(file)) continue;
    const state = JSON.parse(readFileSync(file, 'utf8')) as SavedState;
    if (state.version !== STATE_VERSION)
      throw new Error(`${file}: unsupported state version ${state.version}`);
    if (dir !== stateDir) renameSync(dir, stateDir);
    return state;
  }
  return undefined;
}

/**
 * Old → new physical names, for the data that refers to the stack's resources (a model's
 * `s3://<bucket>/...` URL in the registry): moto names resources anew on every start. Queue
 * URLs also map by queue name (the emulator's port may differ); ids too short to be
 * unmistakable are left alone. Longest first, so a URL is replaced before the name in it.
 */
export function physicalRenames(
  before: Readonly<Record<string, string>>,
  after: Readonly<Record<string, string>>,
): [string, string][] {
  const pairs = new Map<string, string>();
  for (const [logicalId, old] of Object.entries(before)) {
    const now = after[logicalId];
    if (!now || now === old || old.length < 12) continue;
    pairs.set(old, now);
    const oldName = old.split('/').pop() ?? '';
    const newName = now.split('/').pop() ?? '';
    if (/^https?:\/\//.test(old) && oldName.length >= 12 && oldName !== newName) pairs.set(oldName, newName);
  }
  return [...pairs].sort((a, b) => b[0].length - a[0].length);
}

/** Applies the renames to every string inside a (decoded) DynamoDB item. */
export function rewriteStrings(value: unknown, renames: readonly [string, string][]): unknown {
  if (renames.length === 0) return value;
  if (typeof value === 'string') {
    let text = value;
    for (const [from, to] of renames) if (text.includes(from)) text = text.replaceAll(from, to);
    return text;
  }
  if (value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map((item) => rewriteStrings(item, renames));
  if (typeof value === 'object' && value !== null) {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) result[key] = rewriteStrings(item, renames);
    return result;
  }
  return value;
}

export interface RestoreReport {
  readonly tables: Record<string, number | 'not empty' | 'missing'>;
  readonly buckets: Record<string, number | 'not empty' | 'missing'>;
}

/**
 * Puts saved items and objects back into the stack's tables and buckets (matched by logical
 * id). A table or bucket that already holds data is left alone: it is live, not a fresh one.
 */
export async function restoreState(
  clients: Clients,
  ctx: StackContext,
  stateDir: string,
  state: SavedState,
): Promise<RestoreReport> {
  const renames = physicalRenames(state.physicalIds ?? {}, ctx.physicalIds);
  const report: { tables: RestoreReport['tables']; buckets: RestoreReport['buckets'] } = {
    tables: {},
    buckets: {},
  };
  for (const logicalId of Object.keys(state.tables)) {
    const name = ctx.physicalIds[logicalId];
    const file = path.join(stateDir, 'dynamodb', `${logicalId}.json`);
    if (!name || !existsSync(file)) {
      report.tables[logicalId] = 'missing';
      continue;
    }
    const probe = await clients.dynamodb.send(new ScanCommand({ TableName: name, Limit: 1 }));
    if ((probe.Items?.length ?? 0) > 0) {
      report.tables[logicalId] = 'not empty';
      continue;
    }
    const items = (JSON.parse(readFileSync(file, 'utf8')) as JsonValue[]).map(
      (item) => rewriteStrings(decodeAttributeValue(item), renames) as Record<string, AttributeValue>,
    );
    for (let i = 0; i < items.length; i += 25) {
      let requests: WriteRequest[] = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt > 10) throw new Error(`restoring ${logicalId}: items left unprocessed`);
        const result = await clients.dynamodb.send(
          new BatchWriteItemCommand({ RequestItems: { [name]: requests } }),
        );
        requests = result.UnprocessedItems?.[name] ?? [];
      }
    }
    report.tables[logicalId] = items.length;
  }
  for (const logicalId of Object.keys(state.buckets)) {
    const name = ctx.physicalIds[logicalId];
    const manifestFile = path.join(stateDir, 's3', `${logicalId}.json`);
    if (!name || !existsSync(manifestFile)) {
      report.buckets[logicalId] = 'missing';
      continue;
    }
    if ((await listKeys(clients, name, 1)).length > 0) {
      report.buckets[logicalId] = 'not empty';
      continue;
    }
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as SavedObject[];
    await mapLimit(manifest, 8, async (object) => {
      await clients.s3.send(
        new PutObjectCommand({
          Bucket: name,
          Key: object.key,
          Body: readFileSync(path.join(stateDir, object.file)),
          ...(object.contentType ? { ContentType: object.contentType } : {}),
          ...(object.contentEncoding ? { ContentEncoding: object.contentEncoding } : {}),
          ...(object.cacheControl ? { CacheControl: object.cacheControl } : {}),
          ...(object.contentDisposition ? { ContentDisposition: object.contentDisposition } : {}),
          ...(object.metadata ? { Metadata: object.metadata } : {}),
        }),
      );
    });
    report.buckets[logicalId] = manifest.length;
  }
  return report;
}
