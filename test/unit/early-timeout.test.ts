import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EndpointRecord } from '../../lambdas/domain/hosting/endpoints.js';
import { EndpointCache } from '../../lambdas/domain/inference/endpoint-cache.js';
import { ModelCache } from '../../lambdas/domain/inference/model-cache.js';
import { sha256Hex } from '../../lambdas/domain/kernel/artifact.js';
import { COLLECTIONS } from '../../lambdas/domain/kernel/records.js';
import { createInvokeHandler } from '../../lambdas/invoke/data-plane.js';
import { EarlyTimeout } from '../../lambdas/shared/early-timeout.js';
import { InMemoryRegistryStore } from '../support/in-memory-registry-store.js';
import { fixture } from '../support/models.js';
import { signedInvokeEvent } from '../support/signed-event.js';

/** A context whose clock says `remainingMs` are left when the invocation starts, as Lambda's does. */
function contextWith(remainingMs: number): Pick<Context, 'getRemainingTimeInMillis'> {
  const deadline = Date.now() + remainingMs;
  return { getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) };
}

const never = <T>() => new Promise<T>(() => {});

describe('EarlyTimeout', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('passes the work’s value and error through unchanged', async () => {
    const early = new EarlyTimeout(5);
    await expect(early.race(Promise.resolve(42), contextWith(1000))).resolves.toBe(42);
    const failure = new Error('the model failed');
    await expect(early.race(Promise.reject(failure), contextWith(1000))).rejects.toBe(failure);
    await expect(early.race(Promise.reject(undefined), contextWith(1000))).rejects.toBeUndefined();
  });

  it('fails work still running when only the margin is left, and not before', async () => {
    vi.useFakeTimers({ now: 0 });
    const early = new EarlyTimeout(5);
    const outcome = early.race(never(), contextWith(100)).catch((error: Error) => error);
    await vi.advanceTimersByTimeAsync(94);
    expect(await Promise.race([outcome, Promise.resolve('pending')])).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    const error = (await outcome) as Error;
    expect(error.name).toBe('TimeoutError');
    expect(error.message).toBe("The invocation was stopped 5 ms before its function's timeout.");
  });

  it('watches requests in flight together: each fails at its own deadline, settled ones never', async () => {
    vi.useFakeTimers({ now: 0 });
    const early = new EarlyTimeout(5);
    const failedAt: Record<string, number> = {};
    const watch = (name: string, work: Promise<unknown>, remainingMs: number) =>
      early.race(work, contextWith(remainingMs)).then(
        () => {
          failedAt[name] = -1;
        },
        () => {
          failedAt[name] = Date.now();
        },
      );
    let finish!: (value: string) => void;
    const a = watch('a', never(), 100);
    await vi.advanceTimersByTimeAsync(10);
    const b = watch(
      'b',
      new Promise<string>((resolve) => {
        finish = resolve;
      }),
      100,
    );
    await vi.advanceTimersByTimeAsync(10);
    const c = watch('c', never(), 100);
    // Due before c, which the queue holds last: it gets a timer of its own.
    const d = watch('d', never(), 30);
    finish('answered');
    await vi.advanceTimersByTimeAsync(200);
    await Promise.all([a, b, c, d]);
    expect(failedAt).toEqual({ a: 95, b: -1, c: 115, d: 45 });
  });

  it('leaves work unwatched when the context has no clock (a test’s plain object), as middy does', async () => {
    vi.useFakeTimers({ now: 0 });
    const work = never<string>();
    expect(new EarlyTimeout(5).race(work, {} as Context)).toBe(work);
  });

  it('keeps watching after the queue emptied: a request after an idle spell still times out', async () => {
    vi.useFakeTimers({ now: 0 });
    const early = new EarlyTimeout(5);
    await early.race(Promise.resolve('first'), contextWith(50));
    await vi.advanceTimersByTimeAsync(500);
    const late = early.race(never(), contextWith(50)).catch((error: Error) => error.name);
    await vi.advanceTimersByTimeAsync(45);
    await expect(late).resolves.toBe('TimeoutError');
  });
});

describe('the data plane near its function’s timeout', () => {
  const KEY = {
    accessKeyId: 'AKUSEARLYTIMEOUT0000',
    secretAccessKey: 'early-timeout-secret-early-timeout-secret',
    role: 'invoker' as const,
  };
  const NOW = new Date('2026-11-25T12:00:00Z');

  it('answers a request whose model never loads with InternalFailure and counts it as a 5XX, in time', async () => {
    const store = new InMemoryRegistryStore();
    const bytes = fixture('regressor.onnx');
    await store.create(COLLECTIONS.endpoint, 'ep', {
      EndpointName: 'ep',
      EndpointConfigName: 'blue',
      EndpointStatus: 'InService',
      internal: {
        variants: [
          {
            VariantName: 'main',
            weight: 1,
            ModelName: 'm',
            artifact: { uri: 's3://models/hangs.onnx', sha256: sha256Hex(bytes), sizeBytes: bytes.length },
          },
        ],
      },
    } as unknown as EndpointRecord);
    const lines: Record<string, unknown>[] = [];
    const handler = createInvokeHandler({
      endpoints: new EndpointCache(store),
      // The model's artifact never arrives: the request can only end by the early timeout.
      models: new ModelCache({ fetch: () => never() }),
      keys: { resolve: async (id) => (id === KEY.accessKeyId ? KEY : undefined) },
      metrics: { write: (line) => void lines.push(JSON.parse(line)) },
      now: () => NOW,
      logging: {
        logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
        log: { info: () => {}, warn: () => {}, error: () => {} },
      },
    });
    const event = await signedInvokeEvent({ key: KEY, now: NOW, endpoint: 'ep', body: '1,2,3,4\n' });
    const started = Date.now();
    const result = await handler(event, contextWith(200) as Context);
    const tookMs = Date.now() - started;
    expect(result.statusCode).toBe(500);
    expect(result.headers?.['x-amzn-ErrorType']).toBe('InternalFailure');
    expect(tookMs).toBeGreaterThanOrEqual(190);
    expect(tookMs).toBeLessThan(2000);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ EndpointName: 'ep', VariantName: 'main', Invocation5XXErrors: 1 });
  });
});
