import type { EndpointRecord } from '../hosting/endpoints.js';
import type { Log } from '../kernel/log.js';
import { COLLECTIONS } from '../kernel/records.js';
import type { RegistryStore } from '../kernel/store.js';

/** How long after its last good read a record still answers while the registry fails to be read. */
export const DEFAULT_STALE_ON_ERROR_MS = 60_000;

export interface EndpointCacheOptions {
  /** How long a read answers before the record is read again. @default 1000 */
  readonly ttlMs?: number;
  readonly clock?: () => number;
  /** @default DEFAULT_STALE_ON_ERROR_MS */
  readonly staleOnErrorMs?: number;
  /** Where a failed read answered by an older record is told (a warning, once per failed read). */
  readonly log?: Log;
}

interface Entry {
  /** When the read behind `record` started. */
  readonly at: number;
  readonly record: Promise<EndpointRecord | undefined>;
  /** The newest read that succeeded, for the reads that fail or are slow after it. */
  good?: { readonly at: number; readonly record: EndpointRecord | undefined };
  /** Until the read has answered or failed. */
  pending: boolean;
}

/**
 * The data plane's view of endpoints: each record is read at most once per `ttlMs` per
 * process, so weight changes and new configs reach every warm instance within that time
 * while steady traffic costs one registry read per second, not one per request. Records
 * are replaced whole, so a request never sees a half-written config.
 *
 * A read that fails (the registry throttled, or not answering within the client's timeout)
 * leaves the last good record answering for up to `staleOnErrorMs` after it was read, as a
 * data plane keeps serving while its registry has a bad moment: otherwise every request that
 * arrives during the failed read gets a 5xx, though nothing about the endpoint changed. The
 * next read is tried `ttlMs` later. Without a good record that recent, the error goes to the
 * caller, as before. Each failed read answered that way is logged once (`log`). While a read
 * runs on past the ttl, the last good record (within the same bound) answers without waiting,
 * and no second read starts until the first has ended.
 */
export class EndpointCache {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly clock: () => number;
  private readonly staleOnErrorMs: number;
  private readonly log?: Log;

  constructor(
    private readonly store: RegistryStore,
    options: EndpointCacheOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 1000;
    this.clock = options.clock ?? Date.now;
    this.staleOnErrorMs = options.staleOnErrorMs ?? DEFAULT_STALE_ON_ERROR_MS;
    this.log = options.log;
  }

  get(name: string): Promise<EndpointRecord | undefined> {
    const now = this.clock();
    const previous = this.entries.get(name);
    if (previous && now - previous.at < this.ttlMs) return previous.record;
    const good = previous?.good;
    // A read still running past the ttl (a registry slow to answer): the last good record
    // answers at once, rather than each ttl adding a read that waits as long as the first.
    if (previous?.pending && good !== undefined && now - good.at <= this.staleOnErrorMs) {
      return Promise.resolve(good.record);
    }
    const record = this.store.get<EndpointRecord>(COLLECTIONS.endpoint, name).then(
      (stored) => {
        entry.pending = false;
        entry.good = { at: now, record: stored?.data };
        return stored?.data;
      },
      (error: unknown) => {
        entry.pending = false;
        if (good !== undefined && now - good.at <= this.staleOnErrorMs) {
          // Otherwise invisible: the requests it answers succeed, only slower by the failed read.
          this.log?.warn('endpoint record read failed; answering with an earlier read', {
            endpointName: name,
            readAgeMs: now - good.at,
            error: error instanceof Error ? error.message : String(error),
          });
          return good.record;
        }
        if (this.entries.get(name) === entry) this.entries.delete(name);
        throw error;
      },
    );
    const entry: Entry = { at: now, record, good, pending: true };
    this.entries.set(name, entry);
    return record;
  }
}
