import type { Context } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import type { EndpointRecord } from '../../lambdas/domain/hosting/endpoints.js';
import { chooseFleetVariant } from '../../lambdas/domain/hosting/routing.js';
import { emfLine, METRICS_NAMESPACE } from '../../lambdas/domain/inference/emf.js';
import { EndpointCache } from '../../lambdas/domain/inference/endpoint-cache.js';
import { ModelCache } from '../../lambdas/domain/inference/model-cache.js';
import { sha256Hex } from '../../lambdas/domain/kernel/artifact.js';
import type { RolloutState } from '../../lambdas/domain/kernel/records.js';
import { COLLECTIONS, type RuntimeVariant } from '../../lambdas/domain/kernel/records.js';
import { createInvokeHandler } from '../../lambdas/invoke/data-plane.js';
import type { HttpEvent } from '../../lambdas/shared/http.js';
import { InMemoryRegistryStore } from '../support/in-memory-registry-store.js';
import { fixture, MemoryArtifactSource } from '../support/models.js';
import { seeded } from '../support/seeded-random.js';
import { signedInvokeEvent } from '../support/signed-event.js';

const KEY = {
  accessKeyId: 'AKUSVARIANTS00000000',
  secretAccessKey: 'variants-secret-variants-secret-variants0',
  role: 'invoker' as const,
};
const NOW = new Date('2026-11-25T12:00:00Z');
const ROW = '0.5,-1.5,2.25,0\n';

/** Half-width of the 99.9% normal-approximation interval of a binomial count. */
const halfWidth999 = (n: number, p: number) => 3.2905 * Math.sqrt(n * p * (1 - p));

function signedEvent(headers: Record<string, string> = {}, body = ROW): Promise<HttpEvent> {
  return signedInvokeEvent({ key: KEY, now: NOW, endpoint: 'ep', body, headers });
}

let store: InMemoryRegistryStore;
let lines: string[];
let handler: ReturnType<typeof createInvokeHandler>;
let artifacts: MemoryArtifactSource;
const context = {} as Context;

function variant(VariantName: string, weight: number, model = 'regressor.onnx'): RuntimeVariant {
  const bytes = fixture(model);
  const uri = artifacts.put(`s3://models/${model}`, bytes);
  return {
    VariantName,
    weight,
    ModelName: VariantName,
    artifact: { uri, sha256: sha256Hex(bytes), sizeBytes: bytes.length },
  };
}

async function putEndpoint(variants: RuntimeVariant[], rollout?: Partial<RolloutState>) {
  const record = {
    EndpointName: 'ep',
    EndpointConfigName: 'blue',
    EndpointStatus: rollout ? 'Updating' : 'InService',
    internal: { variants, ...(rollout ? { rollout } : {}) },
  } as unknown as EndpointRecord;
  await store.replace(COLLECTIONS.endpoint, 'ep', record);
}

beforeEach(() => {
  store = new InMemoryRegistryStore();
  artifacts = new MemoryArtifactSource();
  lines = [];
  handler = createInvokeHandler({
    // TTL 0: every request reads the record, so a weight change applies to the very next one.
    endpoints: new EndpointCache(store, { ttlMs: 0 }),
    models: new ModelCache(artifacts),
    keys: { resolve: async (id) => (id === KEY.accessKeyId ? KEY : undefined) },
    metrics: { write: (line) => lines.push(line) },
    random: seeded(7),
    now: () => NOW,
  });
});

async function invokeMany(event: HttpEvent, n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const result = await handler(event, context);
    expect(result.statusCode).toBe(200);
    const name = String(result.headers?.['X-Amzn-Invoked-Production-Variant']);
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

describe('weighted variants through the InvokeEndpoint handler', () => {
  it('spreads 10,000 invocations 70/20/10, each share inside its 99.9% binomial interval', async () => {
    await putEndpoint([variant('a', 70), variant('b', 20), variant('c', 10)]);
    const n = 10_000;
    const counts = await invokeMany(await signedEvent(), n);
    for (const [name, p] of [
      ['a', 0.7],
      ['b', 0.2],
      ['c', 0.1],
    ] as const) {
      expect(Math.abs((counts[name] ?? 0) - n * p), `${name}: ${counts[name]}`).toBeLessThan(
        halfWidth999(n, p),
      );
    }
    expect(lines).toHaveLength(n);
  });

  it('lets TargetVariant win every time, even at weight 0', async () => {
    await putEndpoint([variant('a', 1), variant('dark', 0)]);
    const counts = await invokeMany(await signedEvent({ 'x-amzn-sagemaker-target-variant': 'dark' }), 200);
    expect(counts).toEqual({ dark: 200 });
    const refused = await handler(await signedEvent({ 'x-amzn-sagemaker-target-variant': 'nope' }), context);
    expect(refused.statusCode).toBe(400);
    expect(JSON.parse(String(refused.body)).message).toMatch(/'nope' does not exist.*a, dark/);
  });

  it('applies a weight change to the next requests', async () => {
    await putEndpoint([variant('a', 1), variant('b', 0)]);
    const event = await signedEvent();
    expect(await invokeMany(event, 50)).toEqual({ a: 50 });
    await putEndpoint([variant('a', 0), variant('b', 1)]);
    expect(await invokeMany(event, 50)).toEqual({ b: 50 });
  });

  it('sends a rollout its share of traffic, by weight inside the new fleet, and honours targets in either fleet', async () => {
    const next = [variant('x', 3, 'regressor-v2.onnx'), variant('y', 1, 'regressor-v2.onnx')];
    await putEndpoint([variant('a', 1)], {
      share: 0.3,
      EndpointConfigName: 'green',
      runtime: { variants: next },
    });
    const n = 10_000;
    const counts = await invokeMany(await signedEvent(), n);
    for (const [name, p] of [
      ['a', 0.7],
      ['x', 0.225],
      ['y', 0.075],
    ] as const) {
      expect(Math.abs((counts[name] ?? 0) - n * p), `${name}: ${counts[name]}`).toBeLessThan(
        halfWidth999(n, p),
      );
    }
    expect(await invokeMany(await signedEvent({ 'x-amzn-sagemaker-target-variant': 'y' }), 20)).toEqual({
      y: 20,
    });
    expect(await invokeMany(await signedEvent({ 'x-amzn-sagemaker-target-variant': 'a' }), 20)).toEqual({
      a: 20,
    });
    const configs = new Set(lines.map((l) => JSON.parse(l).EndpointConfigName));
    expect(configs).toEqual(new Set(['blue', 'green']));
  });
});

describe('per-variant metrics (EMF)', () => {
  it('writes one EMF line per invocation with SageMaker names and dimensions', async () => {
    await putEndpoint([variant('a', 1)]);
    await handler(await signedEvent(), context);
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0] as string);
    expect(line._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: METRICS_NAMESPACE,
        Dimensions: [
          ['EndpointName', 'VariantName'],
          ['EndpointName', 'EndpointConfigName', 'VariantName'],
        ],
        Metrics: [
          { Name: 'Invocations', Unit: 'Count' },
          { Name: 'Invocation4XXErrors', Unit: 'Count' },
          { Name: 'Invocation5XXErrors', Unit: 'Count' },
          { Name: 'ModelError', Unit: 'Count' },
          { Name: 'InvocationModelErrors', Unit: 'Count' },
          { Name: 'ModelLatency', Unit: 'Microseconds' },
          { Name: 'OverheadLatency', Unit: 'Microseconds' },
        ],
      },
    ]);
    expect(line).toMatchObject({
      EndpointName: 'ep',
      EndpointConfigName: 'blue',
      VariantName: 'a',
      Invocations: 1,
      Invocation4XXErrors: 0,
      Invocation5XXErrors: 0,
      ModelError: 0,
    });
    expect(line.ModelLatency).toBeGreaterThan(0);
    expect(line.OverheadLatency).toBeGreaterThanOrEqual(0);
    expect(typeof line._aws.Timestamp).toBe('number');
  });

  it('counts a bad payload as a 4XX of the variant it was routed to, without model latency', async () => {
    await putEndpoint([variant('a', 1)]);
    const result = await handler(await signedEvent({}, '1,2\n'), context);
    expect(result.statusCode).toBe(400);
    const line = JSON.parse(lines[0] as string);
    expect(line).toMatchObject({
      VariantName: 'a',
      Invocations: 1,
      Invocation4XXErrors: 1,
      Invocation5XXErrors: 0,
    });
    expect(line).not.toHaveProperty('ModelLatency');
    expect(line._aws.CloudWatchMetrics[0].Metrics.map((m: { Name: string }) => m.Name)).not.toContain(
      'ModelLatency',
    );
  });

  it('counts a model that cannot load as a ModelError', async () => {
    const broken = variant('a', 1);
    artifacts.put(broken.artifact.uri, fixture('regressor-v2.onnx'));
    await putEndpoint([broken]);
    const result = await handler(await signedEvent(), context);
    expect(result.statusCode).toBe(424);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      Invocation4XXErrors: 1,
      ModelError: 1,
      InvocationModelErrors: 1,
    });
  });

  it('writes nothing for a request that never reached a variant', async () => {
    const result = await handler(await signedEvent(), context);
    expect(result.statusCode).toBe(400);
    expect(lines).toEqual([]);
  });

  it('names each line’s own endpoint, config and variant when they change from line to line', () => {
    const names = [
      ['a', 'c', 'v'],
      ['a', 'c', 'v'],
      ['b', 'c', 'v'],
      ['b', 'c2', 'v'],
      ['b', 'c2', 'v2'],
      ['a', 'c', 'v'],
    ];
    const written = names.map(([EndpointName, EndpointConfigName, VariantName]) =>
      JSON.parse(
        emfLine({
          EndpointName: EndpointName as string,
          EndpointConfigName: EndpointConfigName as string,
          VariantName: VariantName as string,
          statusCode: 200,
          modelError: false,
          totalUs: 1,
          timestampMs: 1,
        }),
      ),
    );
    expect(written.map((line) => [line.EndpointName, line.EndpointConfigName, line.VariantName])).toEqual(
      names,
    );
  });

  it('writes every outcome, latency and mirror combination as the EMF document it stands for', () => {
    const counts = [
      'Invocations',
      'Invocation4XXErrors',
      'Invocation5XXErrors',
      'ModelError',
      'InvocationModelErrors',
    ];
    const mirrorOutcomes = [undefined, { dropped: false, captured: true }, { dropped: true, captured: true }];
    for (const statusCode of [200, 400, 424, 500, 503])
      for (const modelError of [false, true])
        for (const modelLatencyUs of [undefined, 812.6])
          for (const mirror of mirrorOutcomes) {
            const input = {
              EndpointName: 'ep',
              EndpointConfigName: 'cfg',
              VariantName: 'v',
              statusCode,
              modelError,
              modelLatencyUs,
              mirror,
              totalUs: 1000.2,
              timestampMs: 1_700_000_000_123,
            };
            const latencies =
              modelLatencyUs === undefined ? ['OverheadLatency'] : ['ModelLatency', 'OverheadLatency'];
            const mirrorCounts = mirror === undefined ? [] : ['MirrorsDropped', 'CapturesDropped'];
            expect(JSON.parse(emfLine(input))).toEqual({
              _aws: {
                Timestamp: 1_700_000_000_123,
                CloudWatchMetrics: [
                  {
                    Namespace: METRICS_NAMESPACE,
                    Dimensions: [
                      ['EndpointName', 'VariantName'],
                      ['EndpointName', 'EndpointConfigName', 'VariantName'],
                    ],
                    Metrics: [
                      ...counts.map((Name) => ({ Name, Unit: 'Count' })),
                      ...latencies.map((Name) => ({ Name, Unit: 'Microseconds' })),
                      ...mirrorCounts.map((Name) => ({ Name, Unit: 'Count' })),
                    ],
                  },
                ],
              },
              EndpointName: 'ep',
              EndpointConfigName: 'cfg',
              VariantName: 'v',
              Invocations: 1,
              Invocation4XXErrors: statusCode >= 400 && statusCode < 500 ? 1 : 0,
              Invocation5XXErrors: statusCode >= 500 ? 1 : 0,
              ModelError: modelError ? 1 : 0,
              InvocationModelErrors: modelError ? 1 : 0,
              ...(modelLatencyUs === undefined ? {} : { ModelLatency: 813 }),
              OverheadLatency: modelLatencyUs === undefined ? 1000 : 188,
              ...(mirror === undefined
                ? {}
                : { MirrorsDropped: mirror.dropped ? 1 : 0, CapturesDropped: mirror.dropped ? 1 : 0 }),
            });
          }
  });

  it('counts 5XX and keeps names JSON-safe', () => {
    const line = JSON.parse(
      emfLine({
        EndpointName: 'e"p',
        EndpointConfigName: 'c',
        VariantName: 'v',
        statusCode: 503,
        modelError: false,
        totalUs: 1500.4,
        timestampMs: 1,
      }),
    );
    expect(line).toMatchObject({
      EndpointName: 'e"p',
      Invocation5XXErrors: 1,
      Invocation4XXErrors: 0,
      OverheadLatency: 1500,
    });
  });
});

describe('chooseFleetVariant', () => {
  const current = { EndpointConfigName: 'blue', variants: [{ VariantName: 'a', weight: 1 }] };
  const next = {
    EndpointConfigName: 'green',
    variants: [
      { VariantName: 'a', weight: 1 },
      { VariantName: 'n', weight: 1 },
    ],
  };

  it('uses the current fleet only when there is no share', () => {
    expect(chooseFleetVariant(current, next, 0, undefined, () => 0).fleet).toBe(current);
    expect(chooseFleetVariant(current, undefined, 0.5, undefined, () => 0).fleet).toBe(current);
  });

  it('uses the new fleet only at share 1', () => {
    for (let i = 0; i < 100; i++) expect(chooseFleetVariant(current, next, 1, undefined).fleet).toBe(next);
  });

  it('draws the fleet by share when a target exists in both', () => {
    expect(chooseFleetVariant(current, next, 0.5, 'a', () => 0.1).fleet).toBe(next);
    expect(chooseFleetVariant(current, next, 0.5, 'a', () => 0.9).fleet).toBe(current);
    expect(chooseFleetVariant(current, next, 0.01, 'n', () => 0.9).variant.VariantName).toBe('n');
    expect(() => chooseFleetVariant(current, next, 0.5, 'zz', () => 0.9)).toThrow(
      /'zz' does not exist.*a, n/,
    );
  });
});
