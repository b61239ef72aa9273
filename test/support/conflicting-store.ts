import {
  type RegistryStore,
  type StoredRecord,
  type StoreWrite,
  VersionConflictError,
} from '../../lambdas/domain/kernel/store.js';

/**
 * A registry store whose next `conflicts` conditional replaces in one collection (alone or
 * inside a transaction) fail with
 * VersionConflictError, as if another writer got there first, and which counts the replaces
 * there that land: for testing that an optimistic-concurrency write retries and lands once.
 */
export class ConflictingStore implements RegistryStore {
  /** Conditional replaces in the collection that went through. */
  landed = 0;
  /** Conditional replaces in the collection that were refused. */
  refused = 0;

  constructor(
    private readonly inner: RegistryStore,
    private readonly collection: string,
    private conflicts: number,
  ) {}

  async replace<T>(collection: string, id: string, data: T, expectedVersion?: number): Promise<void> {
    const watched = collection === this.collection && expectedVersion !== undefined;
    if (watched && this.conflicts > 0) {
      this.conflicts--;
      this.refused++;
      throw new VersionConflictError(collection, id);
    }
    await this.inner.replace(collection, id, data, expectedVersion);
    if (watched) this.landed++;
  }

  get<T>(collection: string, id: string): Promise<StoredRecord<T> | undefined> {
    return this.inner.get(collection, id);
  }

  create<T>(collection: string, id: string, data: T): Promise<void> {
    return this.inner.create(collection, id, data);
  }

  delete(collection: string, id: string): Promise<boolean> {
    return this.inner.delete(collection, id);
  }

  list<T>(collection: string, idPrefix?: string): Promise<T[]> {
    return this.inner.list(collection, idPrefix);
  }

  increment(collection: string, id: string): Promise<number> {
    return this.inner.increment(collection, id);
  }

  async transact(writes: readonly StoreWrite[]): Promise<void> {
    const watched = writes.some((w) => w.kind === 'replace' && w.collection === this.collection);
    if (watched && this.conflicts > 0) {
      this.conflicts--;
      this.refused++;
      throw new VersionConflictError(this.collection, 'transaction');
    }
    await this.inner.transact(writes);
    if (watched) this.landed++;
  }
}
