import { isDeepStrictEqual } from 'node:util';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DecryptCommand,
  EncryptCommand,
  InvalidCiphertextException,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { beforeEach, describe, expect, it } from 'vitest';
import { AccessKeyStore } from '../../lambdas/adapters/access-key-store.js';
import { verifySigV4 } from '../../lambdas/domain/auth/sigv4.js';

const TABLE = 'registry';
const KMS_KEY = 'kms-key-1';
const ADMIN_SECRET_ID = 'understudy/admin-access-key';
const ADMIN = {
  accessKeyId: 'AKUS0123456789ABCDEF',
  secretAccessKey: 'admin-secret-0123456789abcdefghijklmnopq',
};

type Item = Record<string, unknown>;

/** In-memory stand-ins for the three SDK clients: enough of their behaviour for the store. */
class Fakes {
  readonly items = new Map<string, Item>();
  readonly calls: string[] = [];
  adminSecret: string | Error = JSON.stringify({ ...ADMIN, role: 'admin' });
  failNextPuts = 0;

  readonly dynamo = {
    send: async (command: unknown) => {
      if (command instanceof GetCommand) {
        // A revalidation reads the status alone; a lookup reads the whole item, secret included.
        const projected = command.input.ProjectionExpression !== undefined;
        this.calls.push(projected ? 'dynamo:GetStatus' : 'dynamo:Get');
        expect(command.input.ConsistentRead).toBe(true);
        const { pk, sk } = command.input.Key as { pk: string; sk: string };
        const item = this.items.get(`${pk}|${sk}`);
        if (item === undefined) return { Item: undefined };
        return { Item: projected ? { status: item.status } : structuredClone(item) };
      }
      if (command instanceof QueryCommand) {
        this.calls.push('dynamo:Query');
        const pk = command.input.ExpressionAttributeValues?.[':pk'];
        const names = command.input.ExpressionAttributeNames ?? {};
        const projected = String(command.input.ProjectionExpression).split(', ');
        // DynamoDB refuses reserved words (role, status, description) unaliased: insist on aliases.
        for (const name of projected) expect(name).toMatch(/^#/);
        const attributes = projected.map((a) => names[a] ?? a);
        const Items = [...this.items.values()]
          .filter((item) => item.pk === pk)
          .map((item) => Object.fromEntries(Object.entries(item).filter(([k]) => attributes.includes(k))));
        return { Items };
      }
      if (command instanceof DeleteCommand) {
        this.calls.push('dynamo:Delete');
        const { pk, sk } = command.input.Key as { pk: string; sk: string };
        expect(command.input.ConditionExpression).toBe('attribute_exists(pk)');
        if (!this.items.delete(`${pk}|${sk}`)) {
          throw new ConditionalCheckFailedException({
            message: 'The conditional request failed',
            $metadata: {},
          });
        }
        return {};
      }
      if (command instanceof PutCommand) {
        this.calls.push('dynamo:Put');
        const item = command.input.Item as Item;
        const id = `${item.pk}|${item.sk}`;
        expect(command.input.ConditionExpression).toBe('attribute_not_exists(pk)');
        if (this.failNextPuts > 0 || this.items.has(id)) {
          this.failNextPuts--;
          throw new ConditionalCheckFailedException({
            message: 'The conditional request failed',
            $metadata: {},
          });
        }
        this.items.set(id, structuredClone(item));
        return {};
      }
      throw new Error(`unexpected DynamoDB command ${String(command)}`);
    },
  } as unknown as DynamoDBDocumentClient;

  /** "Ciphertext" = JSON of key, context and plaintext; Decrypt insists on the same key and context, as KMS does. */
  readonly kms = {
    send: async (command: unknown) => {
      if (command instanceof EncryptCommand) {
        this.calls.push('kms:Encrypt');
        const { KeyId, EncryptionContext, Plaintext } = command.input;
        const blob = JSON.stringify({
          KeyId,
          EncryptionContext,
          plaintext: Buffer.from(Plaintext as Uint8Array).toString('base64'),
        });
        return { CiphertextBlob: new Uint8Array(Buffer.from(blob)) };
      }
      if (command instanceof DecryptCommand) {
        this.calls.push('kms:Decrypt');
        const blob = JSON.parse(Buffer.from(command.input.CiphertextBlob as Uint8Array).toString());
        if (
          blob.KeyId !== command.input.KeyId ||
          !isDeepStrictEqual(blob.EncryptionContext, command.input.EncryptionContext)
        ) {
          throw new InvalidCiphertextException({ message: 'InvalidCiphertextException', $metadata: {} });
        }
        return { Plaintext: new Uint8Array(Buffer.from(blob.plaintext, 'base64')) };
      }
      throw new Error('unexpected KMS command');
    },
  } as unknown as KMSClient;

  readonly secrets = {
    send: async (command: unknown) => {
      if (!(command instanceof GetSecretValueCommand)) throw new Error('unexpected Secrets Manager command');
      this.calls.push('secrets:GetSecretValue');
      expect(command.input.SecretId).toBe(ADMIN_SECRET_ID);
      if (this.adminSecret instanceof Error) throw this.adminSecret;
      return { SecretString: this.adminSecret };
    },
  } as unknown as SecretsManagerClient;

  count(call: string): number {
    return this.calls.filter((c) => c === call).length;
  }
}

let fakes: Fakes;
let clock: number;

function store(): AccessKeyStore {
  return new AccessKeyStore({
    dynamo: fakes.dynamo,
    kms: fakes.kms,
    secrets: fakes.secrets,
    tableName: TABLE,
    kmsKeyId: KMS_KEY,
    adminSecretId: ADMIN_SECRET_ID,
    now: () => clock,
  });
}

beforeEach(() => {
  fakes = new Fakes();
  clock = Date.parse('2026-03-14T15:00:00Z');
});

describe('AccessKeyStore.resolve', () => {
  it('finds the admin key in its secret, read once per instance', async () => {
    const keys = store();
    await expect(keys.resolve(ADMIN.accessKeyId)).resolves.toEqual({ ...ADMIN, role: 'admin' });
    clock += 3_600_000;
    await keys.resolve(ADMIN.accessKeyId);
    await keys.resolve('AKUSUNKNOWN00000000');
    expect(fakes.count('secrets:GetSecretValue')).toBe(1);
  });

  it('takes an admin secret without a role as admin, and refuses one with another role', async () => {
    fakes.adminSecret = JSON.stringify(ADMIN);
    await expect(store().resolve(ADMIN.accessKeyId)).resolves.toMatchObject({ role: 'admin' });
    fakes.adminSecret = JSON.stringify({ ...ADMIN, role: 'viewer' });
    await expect(store().resolve(ADMIN.accessKeyId)).rejects.toThrow(/has role viewer, not admin/);
  });

  it('fails loudly on a malformed admin secret', async () => {
    fakes.adminSecret = '{"accessKeyId": "AKUS0123456789ABCDEF"}';
    await expect(store().resolve(ADMIN.accessKeyId)).rejects.toThrow(
      /is not JSON \{accessKeyId, secretAccessKey, role\}/,
    );
  });

  it('retries the admin secret after a failed read', async () => {
    fakes.adminSecret = new Error('throttled');
    const keys = store();
    await expect(keys.resolve(ADMIN.accessKeyId)).rejects.toThrow('throttled');
    fakes.adminSecret = JSON.stringify({ ...ADMIN, role: 'admin' });
    await expect(keys.resolve(ADMIN.accessKeyId)).resolves.toMatchObject({ role: 'admin' });
    expect(fakes.count('secrets:GetSecretValue')).toBe(2);
  });

  it("keeps a found key's secret for five minutes, re-reading only its status every five seconds", async () => {
    const issued = await store().issue({ role: 'deployer' });
    const keys = store();
    await expect(keys.resolve(issued.accessKeyId)).resolves.toEqual({
      accessKeyId: issued.accessKeyId,
      secretAccessKey: issued.secretAccessKey,
      role: 'deployer',
    });
    // 100 requests a second for 299 seconds: one status read per five seconds, no KMS call.
    for (let ms = 10; ms < 299_000; ms += 10) {
      clock += 10;
      await keys.resolve(issued.accessKeyId);
    }
    expect(fakes.count('dynamo:Get')).toBe(1);
    expect(fakes.count('kms:Decrypt')).toBe(1);
    expect(fakes.count('dynamo:GetStatus')).toBeGreaterThanOrEqual(59);
    expect(fakes.count('dynamo:GetStatus')).toBeLessThanOrEqual(60);
    clock += 2_000;
    await keys.resolve(issued.accessKeyId);
    expect(fakes.count('dynamo:Get')).toBe(2);
    expect(fakes.count('kms:Decrypt')).toBe(2);
  });

  it('refuses a key deleted by another instance within ten seconds, with no further reads after', async () => {
    const issued = await store().issue({ role: 'invoker' });
    const warm = store();
    await expect(warm.resolve(issued.accessKeyId)).resolves.toBeDefined();
    clock += 1_000;
    await expect(store().delete(issued.accessKeyId)).resolves.toBe('deleted');
    const deletedAt = clock;
    while ((await warm.resolve(issued.accessKeyId)) !== undefined) {
      clock += 100;
      expect(clock - deletedAt).toBeLessThan(10_000);
    }
    const reads = fakes.calls.length;
    for (let i = 0; i < 100; i++) await expect(warm.resolve(issued.accessKeyId)).resolves.toBeUndefined();
    expect(fakes.calls.length).toBe(reads);
  });

  it("never re-reads the admin key, which is the deployment's", async () => {
    const keys = store();
    await keys.resolve(ADMIN.accessKeyId);
    clock += 60_000;
    await keys.resolve(ADMIN.accessKeyId);
    expect(fakes.count('dynamo:GetStatus')).toBe(0);
  });

  it('shares one status read between concurrent requests for a key', async () => {
    const issued = await store().issue({ role: 'invoker' });
    const keys = store();
    await keys.resolve(issued.accessKeyId);
    clock += 6_000;
    await Promise.all(Array.from({ length: 10 }, () => keys.resolve(issued.accessKeyId)));
    expect(fakes.count('dynamo:GetStatus')).toBe(1);
  });

  it('caches an unknown key for five seconds', async () => {
    const keys = store();
    for (let i = 0; i < 100; i++) await expect(keys.resolve('AKUSNOSUCHKEY0000000')).resolves.toBeUndefined();
    expect(fakes.count('dynamo:Get')).toBe(1);
    clock += 5_001;
    await keys.resolve('AKUSNOSUCHKEY0000000');
    expect(fakes.count('dynamo:Get')).toBe(2);
  });

  it('never looks up ids that no store could have issued', async () => {
    const keys = store();
    for (const id of ['', 'short', 'akuslowercase0000000', 'AKUS/../../etc/passwd', 'A'.repeat(200)]) {
      await expect(keys.resolve(id)).resolves.toBeUndefined();
    }
    expect(fakes.count('dynamo:Get')).toBe(0);
  });

  it('shares one lookup between concurrent requests for a key', async () => {
    const issued = await store().issue({ role: 'invoker' });
    const keys = store();
    const results = await Promise.all(Array.from({ length: 10 }, () => keys.resolve(issued.accessKeyId)));
    expect(new Set(results.map((k) => k?.secretAccessKey))).toEqual(new Set([issued.secretAccessKey]));
    expect(fakes.count('dynamo:Get')).toBe(1);
  });

  it('skips Inactive keys', async () => {
    const issued = await store().issue({ role: 'viewer' });
    const item = fakes.items.get(`AccessKey|${issued.accessKeyId}`);
    if (item === undefined) throw new Error('item not written');
    item.status = 'Inactive';
    await expect(store().resolve(issued.accessKeyId)).resolves.toBeUndefined();
  });

  it('refuses a ciphertext moved to another key id (the encryption context binds it)', async () => {
    const a = await store().issue({ role: 'viewer' });
    const b = await store().issue({ role: 'admin' });
    const itemA = fakes.items.get(`AccessKey|${a.accessKeyId}`);
    const itemB = fakes.items.get(`AccessKey|${b.accessKeyId}`);
    if (itemA === undefined || itemB === undefined) throw new Error('items not written');
    itemA.encryptedSecret = itemB.encryptedSecret;
    await expect(store().resolve(a.accessKeyId)).rejects.toBeInstanceOf(InvalidCiphertextException);
  });
});

describe('AccessKeyStore.issue', () => {
  it('writes an Active item with the secret encrypted under the key id', async () => {
    const issued = await store().issue({ role: 'deployer' });
    expect(issued.accessKeyId).toMatch(/^AKUS[A-Z2-7]{16}$/);
    expect(issued.secretAccessKey).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(issued).toMatchObject({ role: 'deployer', createdAt: '2026-03-14T15:00:00.000Z' });
    const item = fakes.items.get(`AccessKey|${issued.accessKeyId}`);
    expect(item).toEqual({
      pk: 'AccessKey',
      sk: issued.accessKeyId,
      accessKeyId: issued.accessKeyId,
      role: 'deployer',
      encryptedSecret: expect.any(String),
      status: 'Active',
      createdAt: '2026-03-14T15:00:00.000Z',
    });
    const blob = JSON.parse(Buffer.from(String(item?.encryptedSecret), 'base64').toString());
    expect(blob.KeyId).toBe(KMS_KEY);
    expect(blob.EncryptionContext).toEqual({
      purpose: 'understudy-access-key',
      accessKeyId: issued.accessKeyId,
    });
    expect(JSON.stringify(item)).not.toContain(issued.secretAccessKey);
  });

  it('issues different ids and secrets every time', async () => {
    const keys = store();
    const issued = await Promise.all(Array.from({ length: 50 }, () => keys.issue({ role: 'invoker' })));
    expect(new Set(issued.map((k) => k.accessKeyId)).size).toBe(50);
    expect(new Set(issued.map((k) => k.secretAccessKey)).size).toBe(50);
  });

  it('tries another id when the conditional put finds one taken', async () => {
    fakes.failNextPuts = 1;
    const issued = await store().issue({ role: 'viewer' });
    expect(fakes.count('dynamo:Put')).toBe(2);
    expect(fakes.items.has(`AccessKey|${issued.accessKeyId}`)).toBe(true);
  });

  it('refuses an unknown role', async () => {
    await expect(store().issue({ role: 'root' as never })).rejects.toThrow("Unknown role 'root'");
  });

  it('issues keys that sign requests verifySigV4 accepts', async () => {
    const issued = await store().issue({ role: 'invoker' });
    const signer = new SignatureV4({
      credentials: issued,
      region: 'eu-west-1',
      service: 'sagemaker',
      sha256: Hash.bind(null, 'sha256'),
    });
    const host = 'understudy.example.com';
    const signed = (await signer.sign(
      new HttpRequest({
        method: 'POST',
        hostname: host,
        path: '/endpoints/e/invocations',
        headers: { host, 'content-type': 'text/csv' },
        body: '1,2,3',
      }),
    )) as HttpRequest;
    const caller = await verifySigV4(
      {
        method: 'POST',
        path: signed.path,
        rawQueryString: '',
        headers: signed.headers,
        body: Buffer.from('1,2,3'),
      },
      store(),
    );
    expect(caller).toEqual({ accessKeyId: issued.accessKeyId, role: 'invoker' });
  });

  it('keeps the endpoints an invoker key is limited to, and the caller carries them', async () => {
    const issued = await store().issue({ role: 'invoker', endpointNames: ['churn'] });
    expect(issued.endpointNames).toEqual(['churn']);
    await expect(store().resolve(issued.accessKeyId)).resolves.toMatchObject({ endpointNames: ['churn'] });
  });
});

describe('AccessKeyStore.delete', () => {
  it('deletes the item and forgets the key at once on this instance', async () => {
    const keys = store();
    const issued = await keys.issue({ role: 'deployer' });
    await expect(keys.resolve(issued.accessKeyId)).resolves.toBeDefined();
    await expect(keys.delete(issued.accessKeyId)).resolves.toBe('deleted');
    expect(fakes.items.has(`AccessKey|${issued.accessKeyId}`)).toBe(false);
    await expect(keys.resolve(issued.accessKeyId)).resolves.toBeUndefined();
  });

  it('answers not-found for a key it does not hold, and bootstrap for the admin key', async () => {
    await expect(store().delete('AKUSNOSUCHKEY0000000')).resolves.toBe('not-found');
    await expect(store().delete('not an id')).resolves.toBe('not-found');
    await expect(store().delete(ADMIN.accessKeyId)).resolves.toBe('bootstrap');
    await expect(store().resolve(ADMIN.accessKeyId)).resolves.toBeDefined();
  });
});

describe('AccessKeyStore.list', () => {
  it('lists active issued keys oldest first, with their scope and description and never a secret', async () => {
    const keys = store();
    const viewer = await keys.issue({ role: 'viewer', description: 'dashboards' });
    clock += 1_000;
    const invoker = await keys.issue({ role: 'invoker', endpointNames: ['a', 'b'] });
    const inactive = await keys.issue({ role: 'deployer' });
    const item = fakes.items.get(`AccessKey|${inactive.accessKeyId}`);
    if (item === undefined) throw new Error('item not written');
    item.status = 'Inactive';
    const listed = await keys.list();
    expect(listed).toEqual([
      {
        accessKeyId: viewer.accessKeyId,
        role: 'viewer',
        description: 'dashboards',
        createdAt: '2026-03-14T15:00:00.000Z',
      },
      {
        accessKeyId: invoker.accessKeyId,
        role: 'invoker',
        endpointNames: ['a', 'b'],
        createdAt: '2026-03-14T15:00:01.000Z',
      },
    ]);
    const text = JSON.stringify(listed);
    for (const key of [viewer, invoker]) expect(text).not.toContain(key.secretAccessKey);
    expect(text).not.toContain('encryptedSecret');
  });
});
