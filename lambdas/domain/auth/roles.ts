import { AuthError } from '../kernel/errors.js';
import type { Role, VerifiedCaller } from './identity.js';

/**
 * What an operation needs. Each operation names exactly one (the control plane's table,
 * `lambdas/control/permissions.ts`; `InvokeEndpoint` on the data plane), so that a new
 * operation is allowed to no one but admin until someone decides who may call it.
 * - `manage-keys`: issue, list and delete access keys;
 * - `write`: create, change or delete registry entries, models, endpoints, experiments and
 *   monitoring, or start work (rollouts, baselines);
 * - `read`: Describe, List and Understudy's read operations (reports, histories);
 * - `invoke`: InvokeEndpoint, and Understudy.PutGroundTruth: the labels of an endpoint's
 *   predictions come from the applications that asked for them, which hold invoker keys.
 */
export const PERMISSIONS = ['manage-keys', 'write', 'read', 'invoke'] as const;

export type Permission = (typeof PERMISSIONS)[number];

/**
 * What each role may do:
 * - `admin`: everything, access keys included;
 * - `deployer`: everything but access keys (registry, endpoints, experiments, monitoring, invoking);
 * - `invoker`: InvokeEndpoint and PutGroundTruth only, on the key's `EndpointNames` when it has them,
 *   else on every endpoint;
 * - `viewer`: read operations only; it cannot invoke (a prediction is not a read).
 */
const GRANTS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  admin: new Set(PERMISSIONS),
  deployer: new Set(['write', 'read', 'invoke']),
  invoker: new Set(['invoke']),
  viewer: new Set(['read']),
};

export function isAllowed(role: Role, permission: Permission): boolean {
  return GRANTS[role].has(permission);
}

/**
 * Throws `AccessDeniedException` (403) unless the caller's role holds `permission`.
 * `operation` only names the request in the message. An operation that has no permission
 * (`undefined`: implemented, but missing from the table) is left to admin alone.
 */
export function authorize(
  caller: VerifiedCaller,
  operation: string,
  permission: Permission | undefined,
): void {
  if (!isAllowed(caller.role, permission ?? 'manage-keys')) throw denied(caller, operation);
}

/** InvokeEndpoint: the `invoke` permission, and the endpoint among the key's, when the key names some. */
export function authorizeInvoke(caller: VerifiedCaller, endpointName: string): void {
  authorize(caller, 'InvokeEndpoint', 'invoke');
  authorizeEndpoint(caller, 'InvokeEndpoint', endpointName);
}

/**
 * An operation on one endpoint by a key limited to some endpoints (an invoker key's
 * `EndpointNames`): AccessDeniedException unless the endpoint is one of them.
 */
export function authorizeEndpoint(
  caller: { readonly accessKeyId: string; readonly role: string; readonly endpointNames?: readonly string[] },
  operation: string,
  endpointName: string,
): void {
  if (caller.endpointNames !== undefined && !caller.endpointNames.includes(endpointName)) {
    throw denied(caller, operation, `endpoint/${endpointName}`);
  }
}

function denied(
  caller: { readonly accessKeyId: string; readonly role: string },
  operation: string,
  resource?: string,
): AuthError {
  return new AuthError(
    'AccessDeniedException',
    `User: ${caller.accessKeyId} with role ${caller.role} is not authorized to perform: sagemaker:${operation}` +
      (resource === undefined ? '' : ` on resource: ${resource}`),
  );
}
