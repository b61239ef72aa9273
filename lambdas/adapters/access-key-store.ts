import { randomBytes, randomInt } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DecryptCommand, EncryptCommand, type KMSClient } from '@aws-sdk/client-kms';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AccessKey, AccessKeyResolver } from '../domain/auth/identity.js';
import { isRole, type Role } from '../domain/auth/identity.js';

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
  /** How long a found key is remembered. @default 300_000 (5 minutes) */
  readonly positiveTtlMs?: number;
  /** How long an unknown key id is remembered, so floods of bad ids do not reach DynamoDB. @default 5_000 */
  readonly negativeTtlMs?: number;
  /** Clock, for tests. @default Date.now */
  readonly now?: () => number;
}

/** A newly issued key: the only time its secret is handed out. */
export interface IssuedAccessKey extends AccessKey {
  readonly createdAt: string;
}

export type AccessKeyStatus = 'Active' | 'Inactive';

/** The registry item of an issued key. */
interface AccessKeyItem {
  pk: string;
  sk: 'KEY';
  accessKeyId: string;
  role: Role;
  /** Base64 of the KMS ciphertext of the secret. */
  encryptedSecret: string;
  status: AccessKeyStatus;
  createdAt: string;
}

interface CacheEntry {
  readonly key: AccessKey | undefined;
  readonly expiresAt: number;
}

/** Binds every ciphertext to its key id, so one key's ciphertext cannot be replayed as another's. */
const encryptionContext = (accessKeyId: string) => ({ purpose: 'understudy-access-key', accessKeyId });
const itemKey = (accessKeyId: string) => ({ pk: `KEY#${accessKeyId}`, sk: 'KEY' });

/** Ids this store issues (`AKUS` + 16 characters); anything else is unknown without a lookup. */
const ACCESS_KEY_ID = /^[A-Z0-9]{16,128}$/;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const MAX_CACHE_ENTRIES = 10_000;

/**
 * Access keys: the admin key from Secrets Manager, issued keys from the registry table with
 * their secrets encrypted by KMS (SigV4 needs the plain secret to verify, so it cannot be
 * hashed). Lookups are cached per Lambda instance: found keys for a few minutes, unknown ids
 * for a few seconds. A deactivated key therefore stays usable on warm instances for up to
 * `positiveTtlMs`.
 */
export class AccessKeyStore implements AccessKeyResolver {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly pending = new Map<string, Promise<AccessKey | undefined>>();
  private adminKey: Promise<AccessKey> | undefined;
  private loadedAdminKey: AccessKey | undefined;
  private readonly positiveTtlMs: number;
  private readonly negativeTtlMs: number;
  private readonly now: () => number;

  constructor(private readonly props: AccessKeyStoreProps) {
    this.positiveTtlMs = props.positiveTtlMs ?? 300_000;
    this.negativeTtlMs = props.negativeTtlMs ?? 5_000;
    this.now = props.now ?? Date.now;
  }

  async resolve(accessKeyId: string): Promise<AccessKey | undefined> {
    const cached = this.cache.get(accessKeyId);
    if (cached !== undefined && cached.expiresAt > this.now()) return cached.key;
    // Concurrent requests for the same key (the local runtime, bursts) share one lookup.
    let lookup = this.pending.get(accessKeyId);
    if (lookup === undefined) {
      lookup = this.lookUp(accessKeyId).finally(() => this.pending.delete(accessKeyId));
      this.pending.set(accessKeyId, lookup);
    }
    const key = await lookup;
    this.remember(accessKeyId, key);
    return key;
  }

  /** Issues a new key for `role`; its secret is returned here and never again. */
  async issue(role: Role): Promise<IssuedAccessKey> {
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
        pk: itemKey(accessKeyId).pk,
        sk: 'KEY',
        accessKeyId,
        role,
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
      const key = { accessKeyId, secretAccessKey, role };
      this.remember(accessKeyId, key);
      return { ...key, createdAt };
    }
  }

  /**
   * Marks an issued key Inactive. Returns false when there is no such issued key (the
   * admin key lives in Secrets Manager and is rotated there, not deactivated here).
   */
  async deactivate(accessKeyId: string): Promise<boolean> {
    if (!ACCESS_KEY_ID.test(accessKeyId)) return false;
    try {
      await this.props.dynamo.send(
        new UpdateCommand({
          TableName: this.props.tableName,
          Key: itemKey(accessKeyId),
          UpdateExpression: 'SET #status = :inactive',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':inactive': 'Inactive' satisfies AccessKeyStatus },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    } finally {
      this.cache.delete(accessKeyId);
    }
    return true;
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
      new GetCommand({ TableName: this.props.tableName, Key: itemKey(accessKeyId) }),
    );
    if (Item === undefined || Item.status !== 'Active') return undefined;
    const { role, encryptedSecret } = Item as Partial<AccessKeyItem>;
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
    return { accessKeyId, secretAccessKey: Buffer.from(Plaintext).toString('utf8'), role };
  }

  private remember(accessKeyId: string, key: AccessKey | undefined): void {
    if (this.cache.size >= MAX_CACHE_ENTRIES && !this.cache.has(accessKeyId)) {
      // Evict the oldest entry (Maps iterate in insertion order).
      const oldest = this.cache.keys().next();
      if (oldest.done !== true) this.cache.delete(oldest.value);
    }
    this.cache.delete(accessKeyId);
    this.cache.set(accessKeyId, {
      key,
      expiresAt: this.now() + (key === undefined ? this.negativeTtlMs : this.positiveTtlMs),
    });
  }
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
