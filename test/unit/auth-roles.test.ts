import { describe, expect, it } from 'vitest';
import { isRole, ROLES, type Role } from '../../lambdas/domain/auth/identity.js';
import { authorize, isAllowed } from '../../lambdas/domain/auth/roles.js';
import { AuthError } from '../../lambdas/domain/kernel/errors.js';

const ALLOW = true;
const DENY = false;

/** operation -> [admin, deployer, invoker, viewer] */
const MATRIX: Array<[string, boolean, boolean, boolean, boolean]> = [
  ['InvokeEndpoint', ALLOW, ALLOW, ALLOW, DENY],
  ['CreateEndpoint', ALLOW, ALLOW, DENY, DENY],
  ['UpdateEndpointWeightsAndCapacities', ALLOW, ALLOW, DENY, DENY],
  ['DeleteModel', ALLOW, ALLOW, DENY, DENY],
  ['StartMonitoringSchedule', ALLOW, ALLOW, DENY, DENY],
  ['StopMonitoringSchedule', ALLOW, ALLOW, DENY, DENY],
  ['AddTags', ALLOW, ALLOW, DENY, DENY],
  ['DeleteTags', ALLOW, ALLOW, DENY, DENY],
  ['CreateProcessingJob', ALLOW, ALLOW, DENY, DENY],
  ['StopProcessingJob', ALLOW, ALLOW, DENY, DENY],
  ['DescribeProcessingJob', ALLOW, ALLOW, DENY, ALLOW],
  ['ListProcessingJobs', ALLOW, ALLOW, DENY, ALLOW],
  ['DescribeEndpoint', ALLOW, ALLOW, DENY, ALLOW],
  ['ListModelPackages', ALLOW, ALLOW, DENY, ALLOW],
  ['ListTags', ALLOW, ALLOW, DENY, ALLOW],
  ['GetModelPackageGroupPolicy', ALLOW, ALLOW, DENY, ALLOW],
  ['BatchDescribeModelPackage', ALLOW, ALLOW, DENY, ALLOW],
  ['Search', ALLOW, ALLOW, DENY, ALLOW],
  ['Understudy.DescribeShadowReport', ALLOW, ALLOW, DENY, ALLOW],
  ['Understudy.ListExperiments', ALLOW, ALLOW, DENY, ALLOW],
  ['Understudy.PromoteShadow', ALLOW, ALLOW, DENY, DENY],
  ['Understudy.CreateAccessKey', ALLOW, DENY, DENY, DENY],
  ['Understudy.DeactivateAccessKey', ALLOW, DENY, DENY, DENY],
  ['Understudy.ListAccessKeys', ALLOW, DENY, DENY, DENY],
  ['Understudy.DescribeAccessKey', ALLOW, DENY, DENY, DENY],
  // Names that only look like read operations.
  ['Lister', ALLOW, ALLOW, DENY, DENY],
  ['Describe', ALLOW, ALLOW, DENY, DENY],
  ['SearchAndDestroy', ALLOW, ALLOW, DENY, DENY],
  ['describeEndpoint', ALLOW, ALLOW, DENY, DENY],
  ['SageMaker.DescribeEndpoint', ALLOW, ALLOW, DENY, DENY],
  ['', ALLOW, ALLOW, DENY, DENY],
];

describe('isAllowed', () => {
  it.each(MATRIX)('%s: admin %s, deployer %s, invoker %s, viewer %s', (operation, ...expected) => {
    expect(ROLES.map((role) => isAllowed(role, operation))).toEqual(expected);
  });
});

describe('authorize', () => {
  it('returns quietly when the role allows the operation', () => {
    expect(() => authorize({ accessKeyId: 'AKUSA', role: 'viewer' }, 'ListEndpoints')).not.toThrow();
  });

  it('throws AccessDeniedException (403) naming the key, role and operation', () => {
    let error: unknown;
    try {
      authorize({ accessKeyId: 'AKUS0123456789ABCDEF', role: 'invoker' }, 'DeleteEndpoint');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({
      type: 'AccessDeniedException',
      statusCode: 403,
      message:
        'User: AKUS0123456789ABCDEF with role invoker is not authorized to perform: sagemaker:DeleteEndpoint',
    });
  });

  it('names Understudy operations with their prefix', () => {
    expect(() => authorize({ accessKeyId: 'AKUSD', role: 'deployer' }, 'Understudy.CreateAccessKey')).toThrow(
      'User: AKUSD with role deployer is not authorized to perform: sagemaker:Understudy.CreateAccessKey',
    );
  });
});

describe('isRole', () => {
  it.each([...ROLES])('accepts %s', (role) => {
    expect(isRole(role)).toBe(true);
  });

  it.each(['Admin', 'root', '', undefined, 1, null])('refuses %s', (value) => {
    expect(isRole(value)).toBe(false);
  });

  it('lists every role once', () => {
    const roles: Role[] = ['admin', 'deployer', 'invoker', 'viewer'];
    expect([...ROLES].sort()).toEqual(roles.sort());
  });
});
