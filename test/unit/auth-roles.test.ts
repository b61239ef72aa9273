import { describe, expect, it } from 'vitest';
import { isRole, ROLES, type Role } from '../../lambdas/domain/auth/identity.js';
import {
  authorize,
  authorizeInvoke,
  isAllowed,
  PERMISSIONS,
  type Permission,
} from '../../lambdas/domain/auth/roles.js';
import { AuthError } from '../../lambdas/domain/kernel/errors.js';

const ALLOW = true;
const DENY = false;

/** permission -> [admin, deployer, invoker, viewer], as issue 14 defines the roles. */
const MATRIX: Array<[Permission, boolean, boolean, boolean, boolean]> = [
  ['manage-keys', ALLOW, DENY, DENY, DENY],
  ['write', ALLOW, ALLOW, DENY, DENY],
  ['read', ALLOW, ALLOW, DENY, ALLOW],
  ['invoke', ALLOW, ALLOW, ALLOW, DENY],
];

describe('isAllowed', () => {
  it.each(MATRIX)('%s: admin %s, deployer %s, invoker %s, viewer %s', (permission, ...expected) => {
    expect(ROLES.map((role) => isAllowed(role, permission))).toEqual(expected);
  });

  it('covers every permission', () => {
    expect(MATRIX.map(([permission]) => permission).sort()).toEqual([...PERMISSIONS].sort());
  });
});

describe('authorize', () => {
  it('returns quietly when the role holds the permission', () => {
    expect(() => authorize({ accessKeyId: 'AKUSA', role: 'viewer' }, 'ListEndpoints', 'read')).not.toThrow();
  });

  it('throws AccessDeniedException (403) naming the key, role and operation', () => {
    let error: unknown;
    try {
      authorize({ accessKeyId: 'AKUS0123456789ABCDEF', role: 'invoker' }, 'DeleteEndpoint', 'write');
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

  it('leaves an operation without a permission to admin alone', () => {
    expect(() =>
      authorize({ accessKeyId: 'AKUSA', role: 'admin' }, 'Understudy.New', undefined),
    ).not.toThrow();
    for (const role of ['deployer', 'invoker', 'viewer'] as const) {
      expect(() => authorize({ accessKeyId: 'AKUSA', role }, 'Understudy.New', undefined)).toThrow(
        /not authorized to perform: sagemaker:Understudy.New/,
      );
    }
  });
});

describe('authorizeInvoke', () => {
  const scoped = { accessKeyId: 'AKUSI', role: 'invoker', endpointNames: ['a', 'b'] } as const;

  it('lets an invoker key invoke its endpoints only', () => {
    expect(() => authorizeInvoke(scoped, 'a')).not.toThrow();
    expect(() => authorizeInvoke(scoped, 'b')).not.toThrow();
    expect(() => authorizeInvoke(scoped, 'c')).toThrow(
      'User: AKUSI with role invoker is not authorized to perform: sagemaker:InvokeEndpoint on resource: endpoint/c',
    );
    // Names are exact: no prefix, no case folding.
    expect(() => authorizeInvoke(scoped, 'A')).toThrow(AuthError);
    expect(() => authorizeInvoke(scoped, 'ab')).toThrow(AuthError);
  });

  it('lets an invoker key without endpoint names invoke any endpoint, and a viewer none', () => {
    expect(() => authorizeInvoke({ accessKeyId: 'AKUSI', role: 'invoker' }, 'anything')).not.toThrow();
    expect(() => authorizeInvoke({ accessKeyId: 'AKUSV', role: 'viewer' }, 'anything')).toThrow(AuthError);
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
