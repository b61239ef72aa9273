import { createHash } from 'node:crypto';
import { ConflictException } from './errors.js';
import { COLLECTIONS } from './records.js';
import type { RegistryStore, StoreWrite } from './store.js';

/**
 * A create's `ClientToken` (the service model's idempotency token), remembered with a digest of
 * the request it came with and the answer it got: a retry with the same token and the same
 * request answers the same result and writes nothing; the same token with another request is a
 * ConflictException (the error the service model lists for CreateModelPackage). The token
 * record is written in the same transaction as what it created, so a crash between the two
 * cannot leave one without the other, and two concurrent retries create one resource.
 * A token is remembered for 8 hours, as AWS keeps idempotency tokens: after that the same
 * token is a new request (its record is replaced, and DynamoDB's TTL deletes it in time).
 */
export interface ClientTokenRecord<Result> {
  readonly operation: string;
  readonly requestSha256: string;
  readonly result: Result;
  readonly createdAt: string;
}

export interface ClientTokenClaim {
  readonly operation: string;
  readonly token: string;
  readonly requestSha256: string;
}

/** The claim of a request's token, or undefined without one. `ignore`: fields outside the digest. */
export function clientTokenClaim(
  operation: string,
  input: Record<string, unknown> & { ClientToken?: string },
): ClientTokenClaim | undefined {
  if (input.ClientToken === undefined) return undefined;
  const { ClientToken: token, ...request } = input;
  return {
    operation,
    token,
    requestSha256: createHash('sha256').update(canonicalJson(request)).digest('hex'),
  };
}

/** How long a token is remembered (AWS: about 8 hours). */
export const CLIENT_TOKEN_LIFETIME_SECONDS = 8 * 3600;

const expired = (record: ClientTokenRecord<unknown>, now: Date) =>
  now.getTime() - Date.parse(record.createdAt) >= CLIENT_TOKEN_LIFETIME_SECONDS * 1000;

/**
 * The earlier answer to this token within its lifetime, if there was one; ConflictException
 * when it came with another request.
 */
export async function replayed<Result>(
  store: RegistryStore,
  claim: ClientTokenClaim | undefined,
  now: () => Date,
): Promise<Result | undefined> {
  if (!claim) return undefined;
  const stored = await store.get<ClientTokenRecord<Result>>(COLLECTIONS.clientToken, tokenId(claim));
  if (!stored || expired(stored.data, now())) return undefined;
  if (stored.data.requestSha256 !== claim.requestSha256) {
    throw new ConflictException(
      `ClientToken ${claim.token} was already used for a different ${claim.operation} request: use a new token for a new request.`,
    );
  }
  return stored.data.result;
}

/**
 * The write that remembers the token, for the operation's own transaction: a create, or the
 * conditional replace of an expired record of the same token (a record that is not expired
 * was written by a concurrent retry: the create then conflicts and the retry finds it).
 */
export async function clientTokenWrite<Result>(
  store: RegistryStore,
  claim: ClientTokenClaim,
  result: Result,
  now: Date,
): Promise<StoreWrite> {
  const data: ClientTokenRecord<Result> = {
    operation: claim.operation,
    requestSha256: claim.requestSha256,
    result,
    createdAt: now.toISOString(),
  };
  const id = tokenId(claim);
  const stored = await store.get<ClientTokenRecord<Result>>(COLLECTIONS.clientToken, id);
  if (stored && expired(stored.data, now)) {
    return {
      kind: 'replace',
      collection: COLLECTIONS.clientToken,
      id,
      data,
      expectedVersion: stored.version,
    };
  }
  const expiresAt = Math.floor(now.getTime() / 1000) + CLIENT_TOKEN_LIFETIME_SECONDS;
  return { kind: 'create', collection: COLLECTIONS.clientToken, id, data, expiresAt };
}

const tokenId = (claim: ClientTokenClaim) => `${claim.operation}#${claim.token}`;

/**
 * JSON with object keys sorted at every level, so the same request digests the same whatever
 * order a client wrote its fields in. Eight lines, so written here rather than added as a
 * dependency; undefined members are left out, as JSON.stringify leaves them.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
