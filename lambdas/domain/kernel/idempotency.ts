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
 * Tokens are kept for good: the records are small and a token is never meant to be reused.
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

/** The earlier answer to this token, if there was one; ConflictException when it came with another request. */
export async function replayed<Result>(
  store: RegistryStore,
  claim: ClientTokenClaim | undefined,
): Promise<Result | undefined> {
  if (!claim) return undefined;
  const stored = await store.get<ClientTokenRecord<Result>>(COLLECTIONS.clientToken, tokenId(claim));
  if (!stored) return undefined;
  if (stored.data.requestSha256 !== claim.requestSha256) {
    throw new ConflictException(
      `ClientToken ${claim.token} was already used for a different ${claim.operation} request: use a new token for a new request.`,
    );
  }
  return stored.data.result;
}

/** The write that remembers the token, for the create's own transaction. */
export function clientTokenWrite<Result>(claim: ClientTokenClaim, result: Result, now: Date): StoreWrite {
  const data: ClientTokenRecord<Result> = {
    operation: claim.operation,
    requestSha256: claim.requestSha256,
    result,
    createdAt: now.toISOString(),
  };
  return { kind: 'create', collection: COLLECTIONS.clientToken, id: tokenId(claim), data };
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
