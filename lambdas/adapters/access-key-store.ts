import { randomBytes, randomInt } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DecryptCommand, EncryptCommand, type KMSClient } from '@aws-sdk/client-kms';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import type { AccessKey, AccessKeyResolver } from '../domain/auth/identity.js';
import { isRole, type Role } from '../domain/auth/identity.js';
import type { AccessKeyAdmin, AccessKeySpec, AccessKeySummary } from '../domain/kernel/ports.js';

export interface AccessKeyStoreProps {
  readonly dynamo: DynamoDBDocumentClient;
  readonly kms: KMSClient;
  readonly secrets: SecretsManagerClient;
  /** The registry table (`pk`/`sk`). */
  readonly tableName: string;
  /** KMS key that encrypts issued secrets (env `UNDERSTUDY_KEYS_KMS_KEY_ID`). */
  readonly kmsKeyId: string;
  /** Secrets Manager id of the admin key, JSON `{accessKeyId, secretAccessKey, role}` (env `UNDERSTUDY_ADMIN_KEY_SECRET_ID`). */
  readonly adminSecretId: string;
  /** How long a found key's decrypted secret is remembered. @default 300_000 (5 minutes) */
  readonly positiveTtlMs?: number;
  /**
   * How long a remembered issued key is trusted before its item is read again (one
   * consistent GetItem of its status, no KMS call), so that a deleted key is refused within
   * this time on every warm instance. @default 5_000
   */
  readonly revalidateAfterMs?: number;
  /** How long an unknown key id is remembered, so floods of bad ids do not reach DynamoDB. @default 5_000 */
  readonly negativeTtlMs?: number;
  /** Clock, for tests. @default Date.now */
  readonly now?: () => number;
}

/** A newly issued key: the only time its secret is handed out. */
export interface IssuedAccessKey extends AccessKey, AccessKeySummary {
  readonly role: Role;
  readonly endpointNames?: readonly string[];
}

export type AccessKeyStatus = 'Active' | 'Inactive';

/** The registry item of an issued key. */
interface AccessKeyItem {
  pk: typeof PARTITION;
  sk: string;
  accessKeyId: string;
  role: Role;
  endpointNames?: string[];
  description?: string;
  /** Base64 of the KMS ciphertext of the secret. */
  encryptedSecret: string;
  status: AccessKeyStatus;
  createdAt: string;
}

interface CacheEntry {
  readonly key: AccessKey | undefined;
  readonly expiresAt: number;
  /** When the key's item was last seen active. */
  checkedAt: number;
}

/** Binds every ciphertext to its key id, so one key's ciphertext cannot be replayed as another's. */
const encryptionContext = (accessKeyId: string) => ({ purpose: 'understudy-access-key', accessKeyId });
/** Every issued key in one partition, so that ListAccessKeys is one Query, never a Scan. */
const PARTITION = 'AccessKey' as const;
const itemKey = (accessKeyId: string) => ({ pk: PARTITION as typeof PARTITION, sk: accessKeyId });
/**
 * What ListAccessKeys reads: everything but the encrypted secret. Every name goes through
 * an alias, since `role`, `status` and `description` are DynamoDB reserved words.
 */
const SUMMARY_ATTRIBUTES = ['accessKeyId', 'role', 'endpointNames', 'description', 'createdAt', 'status'];
const SUMMARY_PROJECTION = {
  ProjectionExpression: SUMMARY_ATTRIBUTES.map((_, i) => `#a${i}`).join(', '),
  ExpressionAttributeNames: Object.fromEntries(SUMMARY_ATTRIBUTES.map((name, i) => [`#a${i}`, name])),
};

/** Ids this store issues (`AKUS` + 16 characters); anything else is unknown without a lookup. */
const ACCESS_KEY_ID = /^[A-Z0-9]{16,128}$/;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const MAX_CACHE_ENTRIES = 10_000;

/**
 * Access keys: the admin key from Secrets Manager, issued keys from the registry table with
 * their secrets encrypted by KMS (SigV4 needs the plain secret to verify, so it cannot be
 * hashed). Lookups are cached per Lambda instance: a found key's secret for a few minutes,
 * unknown ids for a few seconds. A cached issued key is re-checked every `revalidateAfterMs`
 * with a consistent read of its item (no KMS call), so a deleted key is refused on every warm
 * instance within that time; the admin key is the deployment's and is not re-checked.
 */
export class AccessKeyStore implements AccessKeyResolver, AccessKeyAdmin {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly pending = new Map<string, Promise<AccessKey | undefined>>();
  private readonly revalidating = new Map<string, Promise<boolean>>();
  private adminKey: Promise<AccessKey> | undefined;
  private loadedAdminKey: AccessKey | undefined;
  private readonly positiveTtlMs: number;
  private readonly negativeTtlMs: number;
  private readonly revalidateAfterMs: number;
  private readonly now: () => number;

  constructor(private readonly props: AccessKeyStoreProps) {
    this.positiveTtlMs = props.positiveTtlMs ?? 300_000;
    this.negativeTtlMs = props.negativeTtlMs ?? 5_000;
    this.revalidateAfterMs = props.revalidateAfterMs ?? 5_000;
    this.now = props.now ?? Date.now;
  }

  async resolve(accessKeyId: string): Promise<AccessKey | undefined> {
    const cached = this.cache.get(accessKeyId);
    const now = this.now();
    if (cached !== undefined && cached.expiresAt > now) {
      if (
        cached.key === undefined ||
        cached.key === this.loadedAdminKey ||
        now - cached.checkedAt < this.revalidateAfterMs
      ) {
        return cached.key;
      }
      return (await this.stillActive(accessKeyId, cached)) ? cached.key : undefined;
    }
    // Concurrent requests for the same key (the local runtime, bursts) share one lookup.
    const key = await shared(this.pending, accessKeyId, () => this.lookUp(accessKeyId));
    this.remember(accessKeyId, key);
    return key;
  }

  /** Issues a new key; its secret is returned here and never again. */
  async issue(spec: AccessKeySpec): Promise<IssuedAccessKey> {
    const { role, endpointNames, description } = spec;
    if (!isRole(role)) throw new Error(`Unknown role '${String(role)}'`);
    for (let attempt = 1; ; attempt++) {
      const accessKeyId = newAccessKeyId();
      const secretAccessKey = newSecret();
      const { CiphertextBlob } = await this.props.kms.send(
        new EncryptCommand({
          KeyId: this.props.kmsKeyId,
          Plaintext: Buffer.from(secretAccessKey, 'utf8'),
          EncryptionContext: encryptionContext(accessKeyId),
        }),
      );
      if (CiphertextBlob === undefined) throw new Error('KMS Encrypt returned no ciphertext');
      const createdAt = new Date(this.now()).toISOString();
      const item: AccessKeyItem = {
        ...itemKey(accessKeyId),
        accessKeyId,
        role,
        ...(endpointNames === undefined ? {} : { endpointNames: [...endpointNames] }),
        ...(description === undefined ? {} : { description }),
        encryptedSecret: Buffer.from(CiphertextBlob).toString('base64'),
        status: 'Active',
        createdAt,
      };
      try {
        await this.props.dynamo.send(
          new PutCommand({
            TableName: this.props.tableName,
            Item: item,
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      } catch (error) {
        // 80 random bits make a collision all but impossible; retry rather than overwrite.
        if (error instanceof ConditionalCheckFailedException && attempt < 3) continue;
        throw error;
      }
      const key = accessKeyOf(item, secretAccessKey);
      this.remember(accessKeyId, key);
      return { ...summaryOf(item), ...key };
    }
  }

  /** Every issued key, oldest first, without secrets (the admin key is in Secrets Manager, not here). */
  async list(): Promise<AccessKeySummary[]> {
    const keys: AccessKeySummary[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const { Items, LastEvaluatedKey } = await this.props.dynamo.send(
        new QueryCommand({
          TableName: this.props.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': PARTITION },
          ...SUMMARY_PROJECTION,
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        }),
      );
      for (const item of Items ?? []) {
        if (item.status === 'Active') keys.push(summaryOf(item as AccessKeyItem));
      }
      start = LastEvaluatedKey;
    } while (start !== undefined);
    return keys.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Deletes an issued key; the deployment's admin key lives in Secrets Manager and is rotated there. */
  async delete(accessKeyId: string): Promise<'deleted' | 'not-found' | 'bootstrap'> {
    if ((await this.admin()).accessKeyId === accessKeyId) return 'bootstrap';
    if (!ACCESS_KEY_ID.test(accessKeyId)) return 'not-found';
    try {
      await this.props.dynamo.send(
        new DeleteCommand({
          TableName: this.props.tableName,
          Key: itemKey(accessKeyId),
          ConditionExpression: 'attribute_exists(pk)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'not-found';
      throw error;
    } finally {
      this.cache.delete(accessKeyId);
    }
    return 'deleted';
  }

  /** Whether a remembered issued key's item is still there and active; forgets it when not. */
  private async stillActive(accessKeyId: string, cached: CacheEntry): Promise<boolean> {
    const active = await shared(this.revalidating, accessKeyId, async () => {
      const { Item } = await this.props.dynamo.send(
        new GetCommand({
          TableName: this.props.tableName,
          Key: itemKey(accessKeyId),
          ConsistentRead: true,
          ProjectionExpression: '#status',
          ExpressionAttributeNames: { '#status': 'status' },
        }),
      );
      return Item?.status === 'Active';
    });
    if (active) cached.checkedAt = Math.max(cached.checkedAt, this.now());
    else if (this.cache.get(accessKeyId) === cached) this.remember(accessKeyId, undefined);
    return active;
  }

  private async lookUp(accessKeyId: string): Promise<AccessKey | undefined> {
    if (this.loadedAdminKey !== undefined) {
      return this.loadedAdminKey.accessKeyId === accessKeyId
        ? this.loadedAdminKey
        : this.issuedKey(accessKeyId);
    }
    // On a cold start the admin secret and the table are read side by side.
    const [admin, issued] = await Promise.all([this.admin(), this.issuedKey(accessKeyId)]);
    return admin.accessKeyId === accessKeyId ? admin : issued;
  }

  /** The admin key, read once per instance; a failed read is retried by the next request. */
  private admin(): Promise<AccessKey> {
    this.adminKey ??= this.readAdminSecret().then(
      (key) => {
        this.loadedAdminKey = key;
        return key;
      },
      (error: unknown) => {
        this.adminKey = undefined;
        throw error;
      },
    );
    return this.adminKey;
  }

  private async readAdminSecret(): Promise<AccessKey> {
    const { SecretString } = await this.props.secrets.send(
      new GetSecretValueCommand({ SecretId: this.props.adminSecretId }),
    );
    const value: unknown = JSON.parse(SecretString ?? 'null');
    if (
      typeof value !== 'object' ||
      value === null ||
      !('accessKeyId' in value) ||
      !('secretAccessKey' in value) ||
      typeof value.accessKeyId !== 'string' ||
      typeof value.secretAccessKey !== 'string' ||
      value.accessKeyId === '' ||
      value.secretAccessKey === ''
    ) {
      throw new Error(
        `Admin key secret ${this.props.adminSecretId} is not JSON {accessKeyId, secretAccessKey, role}`,
      );
    }
    const role = 'role' in value ? value.role : 'admin';
    if (role !== 'admin') {
      throw new Error(`Admin key secret ${this.props.adminSecretId} has role ${String(role)}, not admin`);
    }
    return { accessKeyId: value.accessKeyId, secretAccessKey: value.secretAccessKey, role };
  }

  private async issuedKey(accessKeyId: string): Promise<AccessKey | undefined> {
    if (!ACCESS_KEY_ID.test(accessKeyId)) return undefined;
    const { Item } = await this.props.dynamo.send(
      new GetCommand({ TableName: this.props.tableName, Key: itemKey(accessKeyId), ConsistentRead: true }),
    );
    if (Item === undefined || Item.status !== 'Active') return undefined;
    const item = Item as Partial<AccessKeyItem>;
    const { role, encryptedSecret } = item;
    if (!isRole(role) || typeof encryptedSecret !== 'string') {
      throw new Error(`Access key item ${accessKeyId} is malformed`);
    }
    const { Plaintext } = await this.props.kms.send(
      new DecryptCommand({
        KeyId: this.props.kmsKeyId,
        CiphertextBlob: Buffer.from(encryptedSecret, 'base64'),
        EncryptionContext: encryptionContext(accessKeyId),
      }),
    );
    if (Plaintext === undefined) throw new Error('KMS Decrypt returned no plaintext');
    return accessKeyOf({ ...item, accessKeyId, role }, Buffer.from(Plaintext).toString('utf8'));
  }

  private remember(accessKeyId: string, key: AccessKey | undefined): void {
    if (this.cache.size >= MAX_CACHE_ENTRIES && !this.cache.has(accessKeyId)) {
      // Evict the oldest entry (Maps iterate in insertion order).
      const oldest = this.cache.keys().next();
      if (oldest.done !== true) this.cache.delete(oldest.value);
    }
    this.cache.delete(accessKeyId);
    const now = this.now();
    this.cache.set(accessKeyId, {
      key,
      expiresAt: now + (key === undefined ? this.negativeTtlMs : this.positiveTtlMs),
      checkedAt: now,
    });
  }
}

/** Runs `work` once for `id` however many callers ask at the same time. */
function shared<T>(inFlight: Map<string, Promise<T>>, id: string, work: () => Promise<T>): Promise<T> {
  let promise = inFlight.get(id);
  if (promise === undefined) {
    promise = work().finally(() => inFlight.delete(id));
    inFlight.set(id, promise);
  }
  return promise;
}

function accessKeyOf(
  item: Pick<AccessKeyItem, 'accessKeyId' | 'role' | 'endpointNames'>,
  secretAccessKey: string,
): AccessKey {
  const { accessKeyId, role, endpointNames } = item;
  return endpointNames === undefined
    ? { accessKeyId, secretAccessKey, role }
    : { accessKeyId, secretAccessKey, role, endpointNames };
}

function summaryOf(item: AccessKeyItem): AccessKeySummary {
  const { accessKeyId, role, endpointNames, description, createdAt } = item;
  return {
    accessKeyId,
    role,
    createdAt,
    ...(endpointNames === undefined ? {} : { endpointNames }),
    ...(description === undefined ? {} : { description }),
  };
}

/** `AKUS` + 16 base32 characters (80 random bits). */
function newAccessKeyId(): string {
  let id = 'AKUS';
  for (const byte of randomBytes(16)) id += BASE32[byte & 31];
  return id;
}

/** 40 characters drawn uniformly from [A-Za-z0-9] (about 238 bits). */
function newSecret(): string {
  let secret = '';
  for (let i = 0; i < 40; i++) secret += SECRET_ALPHABET[randomInt(SECRET_ALPHABET.length)];
  return secret;
}
