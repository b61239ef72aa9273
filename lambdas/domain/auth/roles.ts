import { AuthError } from '../kernel/errors.js';
import type { Role, VerifiedCaller } from './identity.js';

/** Data-plane operations (SageMaker Runtime). Understudy serves `InvokeEndpoint`; the others are reserved. */
const INVOKE_OPERATIONS: ReadonlySet<string> = new Set([
  'InvokeEndpoint',
  'InvokeEndpointAsync',
  'InvokeEndpointWithResponseStream',
]);

/** Understudy's own control-plane operations that manage access keys: admin only. */
const ACCESS_KEY_OPERATION = /^Understudy\..*AccessKey/;

/**
 * Read-only operations, as SageMaker names them (`DescribeEndpoint`, `ListModels`,
 * `GetModelPackageGroupPolicy`, `BatchDescribeModelPackage`, `QueryLineage`, `Search`), with or without the
 * `Understudy.` prefix of Understudy's own operations.
 */
const READ_ONLY_OPERATION =
  /^(?:Understudy\.)?(?:(?:Describe|List|Get|BatchDescribe|BatchGet|Query|Trace)[A-Z]|Search$)/;

/**
 * What each role may do:
 * - `admin`: everything, including issuing and deactivating access keys;
 * - `deployer`: every SageMaker and Understudy operation and `InvokeEndpoint`, except
 *   access-key management;
 * - `invoker`: `InvokeEndpoint` only;
 * - `viewer`: read-only operations (Describe, List, Get, Search), except access keys.
 *
 * `operation` is the control plane's `X-Amz-Target` operation (`CreateEndpoint`,
 * `Understudy.DescribeShadowReport`) or `InvokeEndpoint` on the data plane.
 */
export function isAllowed(role: Role, operation: string): boolean {
  switch (role) {
    case 'admin':
      return true;
    case 'deployer':
      return !ACCESS_KEY_OPERATION.test(operation);
    case 'invoker':
      return INVOKE_OPERATIONS.has(operation);
    case 'viewer':
      return READ_ONLY_OPERATION.test(operation) && !ACCESS_KEY_OPERATION.test(operation);
  }
}

/** Throws `AccessDeniedException` (403) unless the caller's role allows `operation`. */
export function authorize(caller: VerifiedCaller, operation: string): void {
  if (!isAllowed(caller.role, operation)) {
    throw new AuthError(
      'AccessDeniedException',
      `User: ${caller.accessKeyId} with role ${caller.role} is not authorized to perform: sagemaker:${operation}`,
    );
  }
}
