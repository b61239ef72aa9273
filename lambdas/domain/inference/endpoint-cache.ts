import type { EndpointRecord } from '../hosting/endpoints.js';
import { COLLECTIONS } from '../kernel/records.js';
import type { RegistryStore } from '../kernel/store.js';

/**
 * The data plane's view of endpoints: each record is read at most once per `ttlMs` per
 * process, so weight changes and new configs reach every warm instance within that time
 * while steady traffic costs one registry read per second, not one per request. Records
 * are replaced whole, so a request never sees a half-written config.
 */
export class EndpointCache {
  private readonly entries = new Map<string, { at: number; record: Promise<EndpointRecord | undefined> }>();

  constructor(
    private readonly store: RegistryStore,
    private readonly ttlMs = 1000,
    private readonly clock: () => number = Date.now,
  ) {}

  get(name: string): Promise<EndpointRecord | undefined> {
    const now = this.clock();
    const entry = this.entries.get(name);
    if (entry && now - entry.at < this.ttlMs) return entry.record;
    const record = this.store.get<EndpointRecord>(COLLECTIONS.endpoint, name).then((stored) => stored?.data);
    this.entries.set(name, { at: now, record });
    record.catch(() => this.entries.delete(name));
    return record;
  }
}
