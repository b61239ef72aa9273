import type { Context } from 'aws-lambda';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createControlHandler } from '../../lambdas/control/control-plane.js';
import { IMPLEMENTED_OPERATIONS } from '../../lambdas/control/operations-list.js';
import { permissionOf, UNDERSTUDY_PERMISSIONS } from '../../lambdas/control/permissions.js';
import { UNDERSTUDY_OPERATIONS } from '../../lambdas/control/understudy-operations.js';
import type { AccessKey, Role } from '../../lambdas/domain/auth/identity.js';
import type { EndpointRecord } from '../../lambdas/domain/hosting/endpoints.js';
import { EndpointCache } from '../../lambdas/domain/inference/endpoint-cache.js';
import { ModelCache } from '../../lambdas/domain/inference/model-cache.js';
import { ListingTokens } from '../../lambdas/domain/kernel/context.js';
import { COLLECTIONS } from '../../lambdas/domain/kernel/records.js';
import type { RegistryStore } from '../../lambdas/domain/kernel/store.js';
import { createInvokeHandler } from '../../lambdas/invoke/data-plane.js';
import type { HttpResult } from '../../lambdas/shared/http.js';
import { functionLogger } from '../../lambdas/shared/logger.js';
import { FakeAccessKeys } from '../support/fake-access-keys.js';
import { InMemoryObjectStore } from '../support/in-memory-object-store.js';
import { InMemoryRegistryStore } from '../support/in-memory-registry-store.js';
import { MemoryArtifactSource } from '../support/models.js';
import { signedControlEvent, signedInvokeEvent } from '../support/signed-event.js';

/**
 * Every operation × every role, through the control-plane and data-plane handlers. The
 * expected answer is derived here from issue 14's definition of the roles and the verb of
 * each operation's name, independently of lambdas/control/permissions.ts:
 * - admin: everything; deployer: everything but access keys; viewer: reads; invoker:
 *   InvokeEndpoint, and the labels of its predictions (issue 12: applications that invoke an
 *   endpoint send its ground truth), on its endpoints only.
 */
const READ_VERBS = new Set(['Describe', 'List', 'Get', 'Search', 'Query', 'Trace']);
/** What an application holding an invoker key sends besides its requests: the labels of their answers. */
const INVOCATION_LEVEL = new Set(['Understudy.PutGroundTruth']);

function expectedRoles(operation: string): Role[] {
  if (/^Understudy\.[A-Za-z]*AccessKeys?$/.test(operation)) return ['admin'];
  if (INVOCATION_LEVEL.has(operation)) return ['admin', 'deployer', 'invoker'];
  const verb = /^(?:Understudy\.)?([A-Z][a-z]+)/.exec(operation)?.[1] ?? '';
  return READ_VERBS.has(verb) ? ['admin', 'deployer', 'viewer'] : ['admin', 'deployer'];
}

const NOW = new Date('2026-06-01T12:00:00Z');
const context = {} as Context;

const key = (role: Role, id: string, endpointNames?: string[]): AccessKey => ({
  accessKeyId: `AKUSMATRIX${id.padEnd(10, '0')}`,
  secretAccessKey: `${role}-secret-${id}`.padEnd(40, 'x'),
  role,
  ...(endpointNames === undefined ? {} : { endpointNames }),
});

/** The callers: one key per role, and an invoker key limited to endpoint `a`. */
const CALLERS = {
  admin: key('admin', 'ADMIN'),
  deployer: key('deployer', 'DEPLOYER'),
  invoker: key('invoker', 'INVOKER'),
  viewer: key('viewer', 'VIEWER'),
  'invoker limited to a': key('invoker', 'SCOPED', ['a']),
} as const;
type CallerName = keyof typeof CALLERS;
const CALLER_NAMES = Object.keys(CALLERS) as CallerName[];

const OPERATIONS = [
  ...IMPLEMENTED_OPERATIONS.map((name) => ({ operation: name, target: `SageMaker.${name}` })),
  ...Object.keys(UNDERSTUDY_OPERATIONS).map((name) => ({
    operation: `Understudy.${name}`,
    target: `Understudy.${name}`,
  })),
];

/** Counts every call to the registry, so a denied request can be shown to touch nothing. */
function counting<T extends object>(target: T, counter: { calls: number }): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        counter.calls++;
        return value.apply(object, args);
      };
    },
  });
}

const resolver = {
  resolve: async (id: string) => Object.values(CALLERS).find((k) => k.accessKeyId === id),
};

let touched: { calls: number };
let control: ReturnType<typeof createControlHandler>;
let invoke: ReturnType<typeof createInvokeHandler>;

beforeAll(() => {
  // The handlers log through Powertools to stdout; quiet here, captured where a test reads it.
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
});

beforeEach(async () => {
  touched = { calls: 0 };
  const artifacts = new MemoryArtifactSource();
  const store = new InMemoryRegistryStore();
  const artifact = artifacts.register('regressor.onnx');
  for (const name of ['a', 'b']) {
    const record = {
      EndpointName: name,
      EndpointConfigName: name,
      EndpointStatus: 'InService',
      internal: { variants: [{ VariantName: 'v', weight: 1, ModelName: 'm', artifact }] },
    } as unknown as EndpointRecord;
    await store.replace(COLLECTIONS.endpoint, name, record);
  }
  const watched: RegistryStore = counting(store, touched);
  control = createControlHandler({
    store: watched,
    artifacts: counting(artifacts, touched),
    objects: counting(new InMemoryObjectStore(), touched),
    models: { check: async () => undefined },
    keys: resolver,
    accessKeys: counting(new FakeAccessKeys(NOW), touched),
    region: 'us-east-1',
    now: () => NOW,
    logging: functionLogger('authorization-matrix'),
    listingTokens: new ListingTokens(async () => Buffer.alloc(32, 7)),
  });
  invoke = createInvokeHandler({
    endpoints: new EndpointCache(watched, { ttlMs: 0 }),
    models: new ModelCache(artifacts),
    keys: resolver,
    metrics: { write: () => undefined },
    now: () => NOW,
    logging: functionLogger('authorization-matrix'),
  });
});

afterEach(() => {
  vi.mocked(process.stdout.write).mockClear();
});

function errorType(result: HttpResult): string | undefined {
  const header = result.headers?.['x-amzn-ErrorType'];
  return typeof header === 'string' ? header : undefined;
}

describe('the permission tables', () => {
  it('give every SageMaker and Understudy operation a permission', () => {
    const missing = OPERATIONS.filter(({ operation }) => permissionOf(operation) === undefined);
    expect(missing.map((o) => o.operation)).toEqual([]);
  });

  it('name no Understudy operation that does not exist', () => {
    expect(Object.keys(UNDERSTUDY_PERMISSIONS).sort()).toEqual(Object.keys(UNDERSTUDY_OPERATIONS).sort());
  });
});

describe('every control-plane operation × every role', () => {
  const cases = OPERATIONS.flatMap(({ operation, target }) =>
    CALLER_NAMES.map((caller) => ({ operation, target, caller })),
  );

  it.each(cases)('$operation as $caller', async ({ operation, target, caller }) => {
    const signingKey = CALLERS[caller];
    const allowed = expectedRoles(operation).includes(signingKey.role);
    const before = touched.calls;
    const result = await control(
      await signedControlEvent({ key: signingKey, now: NOW, target, input: {} }),
      context,
    );
    if (allowed) {
      // Past authorization: validation, a missing resource or a result, never a denial or a crash.
      expect(errorType(result)).not.toBe('AccessDeniedException');
      expect(result.statusCode).toBeLessThan(500);
    } else {
      expect(result.statusCode).toBe(403);
      expect(errorType(result)).toBe('AccessDeniedException');
      expect(JSON.parse(String(result.body))).toMatchObject({ __type: 'AccessDeniedException' });
      // Refused before the operation reads or writes anything.
      expect(touched.calls - before).toBe(0);
    }
  });

  it('answers an operation Understudy does not serve as unknown to every role', async () => {
    for (const caller of CALLER_NAMES) {
      const result = await control(
        await signedControlEvent({
          key: CALLERS[caller],
          now: NOW,
          target: 'SageMaker.CreateHyperParameterTuningJob',
          input: {},
        }),
        context,
      );
      expect(errorType(result)).toBe('UnknownOperationException');
    }
  });
});

describe('InvokeEndpoint × every role', () => {
  const expected: Record<CallerName, { a: number; b: number }> = {
    admin: { a: 200, b: 200 },
    deployer: { a: 200, b: 200 },
    invoker: { a: 200, b: 200 },
    viewer: { a: 403, b: 403 },
    'invoker limited to a': { a: 200, b: 403 },
  };

  it.each(CALLER_NAMES)('as %s', async (caller) => {
    for (const endpoint of ['a', 'b'] as const) {
      const event = await signedInvokeEvent({
        key: CALLERS[caller],
        now: NOW,
        endpoint,
        body: '0.5,-1.5,2.25,0\n',
      });
      const result = await invoke(event, context);
      expect(result.statusCode, `endpoint ${endpoint}`).toBe(expected[caller][endpoint]);
      if (result.statusCode === 403) expect(errorType(result)).toBe('AccessDeniedException');
    }
  });
});

describe('Understudy.PutGroundTruth × every role, on endpoints a and b', () => {
  const expected: Record<CallerName, { a: number; b: number }> = {
    admin: { a: 200, b: 200 },
    deployer: { a: 200, b: 200 },
    invoker: { a: 200, b: 200 },
    viewer: { a: 403, b: 403 },
    'invoker limited to a': { a: 200, b: 403 },
  };

  it.each(CALLER_NAMES)('as %s', async (caller) => {
    for (const endpoint of ['a', 'b'] as const) {
      const before = touched.calls;
      const result = await control(
        await signedControlEvent({
          key: CALLERS[caller],
          now: NOW,
          target: 'Understudy.PutGroundTruth',
          input: {
            EndpointName: endpoint,
            GroundTruthS3Uri: 's3://labels/gt',
            Records: [{ InferenceId: 'i-1', Label: 1 }],
          },
        }),
        context,
      );
      expect(result.statusCode, `endpoint ${endpoint}: ${String(result.body)}`).toBe(
        expected[caller][endpoint],
      );
      if (result.statusCode === 403) {
        expect(errorType(result)).toBe('AccessDeniedException');
        expect(touched.calls - before, 'a denied label writes nothing').toBe(0);
      }
    }
  });
});

describe('signatures outside the clock window', () => {
  it.each([
    ['six minutes ago', -6 * 60_000],
    ['six minutes ahead', 6 * 60_000],
  ])('refuses an admin request signed %s, on both planes', async (_, offsetMs) => {
    const signedAt = new Date(NOW.getTime() + offsetMs);
    const before = touched.calls;
    const listed = await control(
      await signedControlEvent({
        key: CALLERS.admin,
        now: signedAt,
        target: 'SageMaker.ListEndpoints',
        input: {},
      }),
      context,
    );
    expect(listed.statusCode).toBe(403);
    expect(errorType(listed)).toBe('InvalidSignatureException');
    const invoked = await invoke(
      await signedInvokeEvent({ key: CALLERS.admin, now: signedAt, endpoint: 'a', body: '1,2,3,4\n' }),
      context,
    );
    expect(invoked.statusCode).toBe(403);
    expect(touched.calls - before).toBe(0);
  });
});

describe('Understudy.CreateAccessKey', () => {
  it('answers the secret once and logs it nowhere', async () => {
    const result = await control(
      await signedControlEvent({
        key: CALLERS.admin,
        now: NOW,
        target: 'Understudy.CreateAccessKey',
        input: { Role: 'viewer' },
      }),
      context,
    );
    expect(JSON.parse(String(result.body))).toMatchObject({
      SecretAccessKey: 'fake-new-secret',
      Role: 'viewer',
    });
    const logged = vi
      .mocked(process.stdout.write)
      .mock.calls.map(([chunk]) => String(chunk))
      .join('');
    expect(logged).toContain('Understudy.CreateAccessKey');
    expect(logged).not.toContain('fake-new-secret');
  });
});
