import { describe, expect, it } from 'vitest';
import type { EndpointRecord } from '../../lambdas/domain/hosting/endpoints.js';
import { EndpointCache } from '../../lambdas/domain/inference/endpoint-cache.js';
import { COLLECTIONS } from '../../lambdas/domain/kernel/records.js';
import { InMemoryRegistryStore } from '../support/in-memory-registry-store.js';

const TTL_MS = 1000;
const STALE_MS = 60_000;
const record = (config: string) => ({ EndpointName: 'ep', EndpointConfigName: config }) as EndpointRecord;

/** The in-memory registry, whose reads count and can be made to fail. */
class FlakyStore extends InMemoryRegistryStore {
  reads = 0;
  failing = false;
  /** While set, reads wait for it before they answer (a registry slow to answer). */
  stalled?: Promise<void>;
  override async get<T>(collection: string, id: string) {
    this.reads++;
    if (this.stalled) await this.stalled;
    if (this.failing) throw new Error('registry read timed out');
    return super.get<T>(collection, id);
  }
}

async function setup() {
  const warnings: { message: string; fields?: Record<string, unknown> }[] = [];
  const log = {
    info: () => {},
    warn: (message: string, fields?: Record<string, unknown>) => void warnings.push({ message, fields }),
    error: () => {},
  };
  const store = new FlakyStore();
  await store.create(COLLECTIONS.endpoint, 'ep', record('config-1'));
  let now = 0;
  const cache = new EndpointCache(store, { ttlMs: TTL_MS, clock: () => now, staleOnErrorMs: STALE_MS, log });
  const at = (ms: number) => {
    now = ms;
  };
  const update = (config: string) => store.replace(COLLECTIONS.endpoint, 'ep', record(config));
  return { store, cache, at, update, warnings };
}

describe('EndpointCache', () => {
  it('reads a record once per ttl and sees a change at the first read after it', async () => {
    const { store, cache, at, update } = await setup();
    expect((await cache.get('ep'))?.EndpointConfigName).toBe('config-1');
    await update('config-2');
    at(TTL_MS - 1);
    expect((await cache.get('ep'))?.EndpointConfigName).toBe('config-1');
    expect(store.reads).toBe(1);
    at(TTL_MS);
    expect((await cache.get('ep'))?.EndpointConfigName).toBe('config-2');
    expect(store.reads).toBe(2);
  });

  it('answers with the last good record while a read fails, for up to staleOnErrorMs after it', async () => {
    const { store, cache, at, update, warnings } = await setup();
    await cache.get('ep');
    store.failing = true;
    at(TTL_MS);
    expect((await cache.get('ep'))?.EndpointConfigName).toBe('config-1');
    // The failed read is not retried within the ttl, and is retried after it.
    at(TTL_MS + 10);
    await cache.get('ep');
    expect(store.reads).toBe(2);
    // Told once per failed read, not once per request it answered.
    expect(warnings).toEqual([
      {
        message: 'endpoint record read failed; answering with an earlier read',
        fields: { endpointName: 'ep', readAgeMs: TTL_MS, error: 'registry read timed out' },
      },
    ]);
    at(STALE_MS);
    expect((await cache.get('ep'))?.EndpointConfigName).toBe('config-1');
    expect(store.reads).toBe(3);
    // Past the bound (measured from the last good read, at 0), the error reaches the caller.
    at(STALE_MS + TTL_MS);
    await expect(cache.get('ep')).rejects.toThrow('registry read timed out');
    // A read that works again brings the current record, and the bound starts over from it.
    store.failing = false;
    await update('config-2');
    at(STALE_MS + TTL_MS + 1);
    expect((await cache.get('ep'))?.EndpointConfigName).toBe('config-2');
    store.failing = true;
    at(2 * STALE_MS + TTL_MS + 1);
    expect((await cache.get('ep'))?.EndpointConfigName).toBe('config-2');
  });

  it('answers with the last good record at once while a read runs past the ttl, and starts no second read', async () => {
    const { store, cache, at, update } = await setup();
    await cache.get('ep');
    let answer!: () => void;
    store.stalled = new Promise<void>((resolve) => {
      answer = resolve;
    });
    await update('config-2');
    at(TTL_MS);
    const slow = cache.get('ep');
    expect(store.reads).toBe(2);
    for (const ms of [2 * TTL_MS, 5 * TTL_MS, STALE_MS]) {
      at(ms);
      expect((await cache.get('ep'))?.EndpointConfigName).toBe('config-1');
    }
    expect(store.reads).toBe(2);
    // Past the bound the caller waits for the read, as without a good record.
    at(STALE_MS + 1);
    const late = cache.get('ep');
    expect(store.reads).toBe(3);
    store.stalled = undefined;
    answer();
    expect((await slow)?.EndpointConfigName).toBe('config-2');
    expect((await late)?.EndpointConfigName).toBe('config-2');
  });

  it('remembers a deleted endpoint as gone, also through a failing read', async () => {
    const { store, cache, at } = await setup();
    await store.delete(COLLECTIONS.endpoint, 'ep');
    expect(await cache.get('ep')).toBeUndefined();
    store.failing = true;
    at(TTL_MS);
    expect(await cache.get('ep')).toBeUndefined();
  });

  it('passes the error of a first read on, and reads again on the next request', async () => {
    const { store, cache } = await setup();
    store.failing = true;
    await expect(cache.get('ep')).rejects.toThrow('registry read timed out');
    store.failing = false;
    expect((await cache.get('ep'))?.EndpointConfigName).toBe('config-1');
    expect(store.reads).toBe(2);
  });
});
