import type { Context } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import apiModel from '../../lambdas/control/api-model.json' with { type: 'json' };
import { createControlHandler } from '../../lambdas/control/control-plane.js';
import { IMPLEMENTED_OPERATIONS } from '../../lambdas/control/operations-list.js';
import { UNDERSTUDY_OPERATIONS } from '../../lambdas/control/understudy-operations.js';
import type { AccessKey } from '../../lambdas/domain/auth/identity.js';
import { OfflineEvaluator } from '../../lambdas/domain/evaluation/offline-evaluation.js';
import { BucketPolicy } from '../../lambdas/domain/kernel/buckets.js';
import { ListingTokens } from '../../lambdas/domain/kernel/context.js';
import type { ServiceModel } from '../../lambdas/domain/kernel/shape-validator.js';
import type { RegistryStore } from '../../lambdas/domain/kernel/store.js';
import type { HttpResult } from '../../lambdas/shared/http.js';
import { functionLogger } from '../../lambdas/shared/logger.js';
import { FakeAccessKeys } from '../support/fake-access-keys.js';
import { InMemoryObjectStore } from '../support/in-memory-object-store.js';
import { InMemoryRegistryStore } from '../support/in-memory-registry-store.js';
import { MemoryArtifactSource } from '../support/models.js';
import { mutate, mutationArbitrary, shapeArbitrary, toJsonBody } from '../support/shape-arbitrary.js';
import { signedControlEvent } from '../support/signed-event.js';

/**
 * Issue 14: generated requests for every control-plane operation — shaped by its input in the
 * service model (SageMaker's) or by its zod schema (Understudy's), then broken the ways a client
 * breaks them — through the in-process handler over an in-memory registry that holds a model,
 * an endpoint config, an endpoint and a package group. Never a 5xx, and after any 4xx the
 * registry and the bucket are exactly as they were. Bounded: a fixed seed and RUNS per operation.
 */
const SEED = 1414;
const RUNS = 30;
/** Generated members nest this deep at most (required members go deeper). */
const MAX_DEPTH = 3;
const NOW = new Date('2026-06-01T12:00:00Z');
const model = apiModel as ServiceModel;
const context = {} as Context;
const ADMIN: AccessKey = {
  accessKeyId: 'AKUSFUZZADMIN0000000',
  secretAccessKey: 'fuzz-admin-secret-fuzz-admin-secret-0000',
  role: 'admin',
};
const BUCKET = 's3://fixtures';
const NAMES = ['m', 'cfg', 'ep', 'grp', 'v', 'dq', 'sched', 'job', `${BUCKET}/regressor.onnx`];

/** The handler's registry: swapped for a fresh copy of the seeded one before each request. */
let store = new InMemoryRegistryStore();
const storeView = new Proxy({} as RegistryStore, {
  get: (_target, property) => {
    const value = Reflect.get(store, property);
    return typeof value === 'function' ? value.bind(store) : value;
  },
});
let objects = new InMemoryObjectStore();
const objectsView = new Proxy({} as InMemoryObjectStore, {
  get: (_target, property) => {
    const value = Reflect.get(objects, property);
    return typeof value === 'function' ? value.bind(objects) : value;
  },
});
const artifacts = new MemoryArtifactSource();
artifacts.register('regressor.onnx', BUCKET);
/** What the handler logged for the current request (a 5xx's cause is in it). */
let logged: string[] = [];
let requests = 0;

const handler = createControlHandler({
  store: storeView,
  artifacts,
  objects: objectsView,
  models: { check: async () => undefined },
  keys: { resolve: async (id) => (id === ADMIN.accessKeyId ? ADMIN : undefined) },
  accessKeys: new FakeAccessKeys(NOW),
  deployments: {
    alarms: { states: async () => new Map() },
    scheduler: { schedule: async () => undefined },
  },
  jobs: { send: async () => undefined },
  events: { publish: async () => undefined },
  packageUsage: { endpointsServing: async () => [] },
  // As the control handler composes it: a generated ValidationSpecification is evaluated, never a 5xx.
  packageEvaluation: new OfflineEvaluator({ objects: objectsView, artifacts }),
  region: 'us-east-1',
  // Generated URIs name random buckets: refusing them must leave nothing behind either.
  buckets: new BucketPolicy(BUCKET.slice('s3://'.length)),
  now: () => NOW,
  logging: functionLogger('fuzz-control'),
  listingTokens: new ListingTokens(async () => Buffer.alloc(32, 7)),
});

async function send(target: string, input: unknown, rawBody?: string | Uint8Array): Promise<HttpResult> {
  requests++;
  logged = [];
  // A mutation can drop the whole input: then no body at all.
  const body = rawBody ?? toJsonBody(input);
  return handler(await signedControlEvent({ key: ADMIN, now: NOW, target, input, rawBody: body }), context);
}

let seeded: ReturnType<InMemoryRegistryStore['snapshot']>;
/** The seeded registry as text: comparing text is what keeps thousands of comparisons cheap. */
let seededText = '';
const textOf = (registry: InMemoryRegistryStore) =>
  JSON.stringify([...registry.snapshot()].map(([name, records]) => [name, [...records]]));
let started = 0;

beforeAll(async () => {
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    logged.push(String(chunk));
    return true;
  });
  // The seed goes through the handler, so its records are what operations really write.
  const seeds: [string, unknown][] = [
    [
      'CreateModel',
      { ModelName: 'm', PrimaryContainer: { Image: 'onnx', ModelDataUrl: `${BUCKET}/regressor.onnx` } },
    ],
    [
      'CreateEndpointConfig',
      {
        EndpointConfigName: 'cfg',
        ProductionVariants: [
          { VariantName: 'v', ModelName: 'm', ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 1 } },
        ],
      },
    ],
    ['CreateEndpoint', { EndpointName: 'ep', EndpointConfigName: 'cfg' }],
    ['CreateModelPackageGroup', { ModelPackageGroupName: 'grp' }],
  ];
  for (const [operation, input] of seeds) {
    const result = await send(`SageMaker.${operation}`, input);
    expect(result.statusCode, `${operation}: ${result.body}`).toBe(200);
  }
  seeded = store.snapshot();
  store = InMemoryRegistryStore.from(seeded);
  seededText = textOf(store);
  requests = 0;
  started = performance.now();
});

afterAll(() => {
  const seconds = (performance.now() - started) / 1000;
  vi.mocked(process.stdout.write).mockRestore();
  console.log(`fuzz-control: ${requests} requests in ${seconds.toFixed(1)} s`);
});

/** Sends one request from the seeded state and checks the three properties. */
async function check(target: string, input: unknown, rawBody?: string | Uint8Array): Promise<void> {
  const result = await send(target, input, rawBody);
  const body = String(result.body);
  const shown = body.slice(0, 500);
  const status = result.statusCode ?? 200;
  expect(status, `${target} answered ${shown}\n${logged.join('').slice(0, 2000)}`).toBeLessThan(500);
  if (status >= 400) {
    expect(JSON.parse(body)).toHaveProperty('__type');
    expect(textOf(store), `${target} wrote before answering ${shown}`).toBe(seededText);
    expect(objects.objects.size, `${target} wrote an object before answering ${shown}`).toBe(0);
  } else {
    // A success may write: the next request starts from the seed again (a refusal changed nothing).
    store = InMemoryRegistryStore.from(seeded);
    objects = new InMemoryObjectStore();
  }
}

const PATH = fc.array(fc.nat({ max: 40 }), { minLength: 1, maxLength: 6 });
const SAGEMAKER = IMPLEMENTED_OPERATIONS.map((operation) => {
  const inputShape = model.operations[operation]?.input;
  return { operation, inputShape };
});

describe('every SageMaker operation, with requests derived from its input shape', () => {
  it.each(SAGEMAKER)('$operation', async ({ operation, inputShape }) => {
    const valid = inputShape
      ? shapeArbitrary(model, inputShape, { names: NAMES, maxDepth: MAX_DEPTH })
      : fc.constant({});
    const request = fc.oneof(
      { arbitrary: valid.map((input) => ({ input })), weight: 1 },
      {
        arbitrary: fc
          .tuple(valid, PATH, mutationArbitrary)
          .map(([input, path, mutation]) => ({ input: mutate(input, path, mutation) })),
        weight: 2,
      },
    );
    await fc.assert(
      fc.asyncProperty(request, async ({ input }) => check(`SageMaker.${operation}`, input)),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

describe('every Understudy operation, with requests around its zod schema', () => {
  const operations = Object.entries(UNDERSTUDY_OPERATIONS).map(([name, op]) => ({
    operation: `Understudy.${name}`,
    members: Object.keys((op.input as { shape?: Record<string, unknown> }).shape ?? {}),
  }));

  it.each(operations)('$operation', async ({ operation, members }) => {
    const value = fc.oneof(
      fc.constantFrom(...NAMES),
      fc.jsonValue({ maxDepth: 2 }),
      fc.integer(),
      fc.array(fc.constantFrom(...NAMES), { maxLength: 3 }),
    );
    const input =
      members.length === 0
        ? fc.dictionary(fc.string({ maxLength: 8 }), value, { maxKeys: 3 })
        : fc.record(Object.fromEntries(members.map((m) => [m, value])), { requiredKeys: [] });
    const request = fc
      .tuple(input, fc.option(fc.tuple(PATH, mutationArbitrary), { nil: undefined }))
      .map(([value, broken]) => (broken ? mutate(value, broken[0], broken[1]) : value));
    await fc.assert(
      fc.asyncProperty(request, async (body) => check(operation, body)),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

describe('bodies no SDK would send', () => {
  // Parsing is the same for every operation until validation: a few suffice for the big one.
  it('a 5 MB string, to a few operations', async () => {
    const body = JSON.stringify({ ModelName: 'x'.repeat(5 * 2 ** 20) });
    for (const operation of ['CreateModel', 'DescribeModel', 'CreateModelPackage']) {
      await check(`SageMaker.${operation}`, undefined, body);
    }
  });

  const deep = (depth: number) => `{"ModelName":${'['.repeat(depth)}${']'.repeat(depth)}}`;
  const bodies: [string, string | Uint8Array][] = [
    ['not JSON', '{"ModelName": '],
    ['a JSON array', '[1, 2, 3]'],
    ['a JSON string', '"m"'],
    ['malformed UTF-8', Uint8Array.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])],
    ['nesting 100,000 deep', deep(100_000)],
    ['a prototype key', '{"__proto__": {"polluted": true}, "ModelName": "m"}'],
  ];
  it.each(bodies)('%s, to every operation', async (_name, body) => {
    for (const operation of IMPLEMENTED_OPERATIONS) {
      await check(`SageMaker.${operation}`, undefined, body);
    }
  });
});
