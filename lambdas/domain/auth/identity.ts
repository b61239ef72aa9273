/**
 * Who a caller is: the role an access key carries, the key as stored, and the caller a
 * verified signature names. Signature verification (sigv4.ts) and authorization (roles.ts)
 * both build on this module and on nothing of each other.
 */

/** The roles an access key can carry, from most to least powerful. */
export const ROLES = ['admin', 'deployer', 'invoker', 'viewer'] as const;

export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** An access key as Understudy stores it: SigV4 needs the plain secret to verify. */
export interface AccessKey {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly role: Role;
  /**
   * The endpoints an invoker key may invoke; absent, every endpoint of the deployment
   * (the key's role still limits it to InvokeEndpoint).
   */
  readonly endpointNames?: readonly string[];
}

/** Looks up access keys by id; `undefined` when the key is unknown or inactive. */
export interface AccessKeyResolver {
  resolve(accessKeyId: string): Promise<AccessKey | undefined>;
}

/** Who signed a request, once the signature has been checked. */
export interface VerifiedCaller {
  readonly accessKeyId: string;
  readonly role: Role;
  /** As on the key: the endpoints the caller may invoke, absent for all. */
  readonly endpointNames?: readonly string[];
}

/** The caller a verified signature with `key` names (never its secret). */
export function callerOf(key: AccessKey): VerifiedCaller {
  const { accessKeyId, role, endpointNames } = key;
  return endpointNames === undefined ? { accessKeyId, role } : { accessKeyId, role, endpointNames };
}
