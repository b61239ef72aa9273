/**
 * What revoking deleted keys within seconds costs a request: AccessKeyStore.resolve on a warm
 * key, with the status re-read every 5 s (the default) against a store that never re-reads
 * (a 5-minute positive cache, as before), in one run; and, over a minute of simulated traffic,
 * how many DynamoDB and KMS calls each makes, and what the re-reads add to a request on
 * average for a given DynamoDB latency.
 */
import { DecryptCommand, EncryptCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { AccessKeyStore } from '../lambdas/adapters/access-key-store.js';
import { compare, fmt, row } from './harness.js';

/** A consistent GetItem in-region, as a round number for the average below. */
const DYNAMODB_GET_MS = 5;

/** Stand-ins for DynamoDB, KMS and Secrets Manager that count calls and answer at once. */
function fakeClients() {
  const items = new Map<string, Record<string, unknown>>();
  const calls = { get: 0, status: 0, decrypt: 0 };
  const dynamo = {
    send: async (command: unknown) => {
      if (command instanceof PutCommand) {
        const item = command.input.Item as Record<string, unknown>;
        items.set(String(item.sk), item);
        return {};
      }
      if (command instanceof GetCommand) {
        const projected = command.input.ProjectionExpression !== undefined;
        if (projected) calls.status++;
        else calls.get++;
        const item = items.get(String(command.input.Key?.sk));
        return { Item: item && (projected ? { status: item.status } : item) };
      }
      throw new Error('unexpected DynamoDB command');
    },
  } as unknown as DynamoDBDocumentClient;
  const kms = {
    send: async (command: unknown) => {
      if (command instanceof EncryptCommand) return { CiphertextBlob: command.input.Plaintext };
      if (command instanceof DecryptCommand) {
        calls.decrypt++;
        return { Plaintext: command.input.CiphertextBlob };
      }
      throw new Error('unexpected KMS command');
    },
  } as unknown as KMSClient;
  const secrets = {
    send: async () => ({
      SecretString: JSON.stringify({ accessKeyId: 'AKUSBENCHADMIN000000', secretAccessKey: 'x'.repeat(40) }),
    }),
  } as unknown as SecretsManagerClient;
  return { dynamo, kms, secrets, calls };
}

function store(revalidateAfterMs: number, now: () => number, clients = fakeClients()) {
  const keys = new AccessKeyStore({
    ...clients,
    tableName: 'bench',
    kmsKeyId: 'bench',
    adminSecretId: 'bench',
    revalidateAfterMs,
    now,
  });
  return { keys, calls: clients.calls };
}

export async function benchAccessKeys(): Promise<void> {
  console.log('\nAccess keys: resolving a warm key (revocation within 10 s)');
  // Wall clock: a warm instance serving requests as fast as they come.
  const revalidating = store(5_000, Date.now);
  const caching = store(Number.POSITIVE_INFINITY, Date.now);
  const a = await revalidating.keys.issue({ role: 'invoker' });
  const b = await caching.keys.issue({ role: 'invoker' });
  const [withRecheck, without] = await compare(
    () => revalidating.keys.resolve(a.accessKeyId),
    () => caching.keys.resolve(b.accessKeyId),
    200_000,
  );
  console.log(row('resolve, status re-read every 5 s', withRecheck));
  console.log(row('resolve, 5-minute cache only (before)', without));

  // Simulated time: 100 requests a second for a minute on one warm instance.
  let clock = 0;
  const clients = fakeClients();
  // Issued by another instance (the control function), so this one starts cold.
  const key = await store(5_000, () => clock, clients).keys.issue({ role: 'invoker' });
  const simulated = store(5_000, () => clock, clients);
  const requests = 6_000;
  for (let i = 0; i < requests; i++) {
    clock += 10;
    await simulated.keys.resolve(key.accessKeyId);
  }
  const { status, get, decrypt } = simulated.calls;
  console.log(
    `  ${requests} requests over 60 s: ${status} status reads, ${get} item reads, ${decrypt} KMS decrypts; ` +
      `at ${DYNAMODB_GET_MS} ms a read, ${fmt((status * DYNAMODB_GET_MS * 1000) / requests)} per request on average ` +
      `(one request in ${Math.round(requests / Math.max(status, 1))} waits ${DYNAMODB_GET_MS} ms)`,
  );
}
