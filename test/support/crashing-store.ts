import type { RegistryStore, StoredRecord, StoreWrite } from '../../lambdas/domain/kernel/store.js';

/** The process "died": thrown by CrashingStore at the chosen write and by every call after it. */
export class SimulatedCrash extends Error {
  constructor(write: number) {
    super(`simulated crash at write ${write}`);
    this.name = 'SimulatedCrash';
  }
}

/**
 * A registry store that kills its caller at its `crashAt`-th write (0-based; create, replace,
 * delete, increment and transact each count one): `before` the write is applied, or `after`
 * it landed but before its answer came back (a Lambda timed out or killed between the
 * write and the next line). From then on every call, reads included, throws, as nothing runs
 * in a dead process. Without `crashAt` it only counts writes, to find how many a path makes.
 */
export class CrashingStore implements RegistryStore {
  writes = 0;
  crashed = false;

  constructor(
    private readonly inner: RegistryStore,
    private readonly crashAt?: number,
    private readonly when: 'before' | 'after' = 'before',
  ) {}

  private alive(): void {
    if (this.crashed) throw new SimulatedCrash(this.writes);
  }

  private async write<T>(apply: () => Promise<T>): Promise<T> {
    this.alive();
    const n = this.writes++;
    if (n !== this.crashAt) return apply();
    this.crashed = true;
    if (this.when === 'after') await apply();
    throw new SimulatedCrash(n);
  }

  get<T>(collection: string, id: string): Promise<StoredRecord<T> | undefined> {
    this.alive();
    return this.inner.get(collection, id);
  }

  list<T>(collection: string, idPrefix?: string): Promise<T[]> {
    this.alive();
    return this.inner.list(collection, idPrefix);
  }

  create<T>(collection: string, id: string, data: T): Promise<void> {
    return this.write(() => this.inner.create(collection, id, data));
  }

  replace<T>(collection: string, id: string, data: T, expectedVersion?: number): Promise<void> {
    return this.write(() => this.inner.replace(collection, id, data, expectedVersion));
  }

  delete(collection: string, id: string): Promise<boolean> {
    return this.write(() => this.inner.delete(collection, id));
  }

  increment(collection: string, id: string): Promise<number> {
    return this.write(() => this.inner.increment(collection, id));
  }

  transact(writes: readonly StoreWrite[]): Promise<void> {
    return this.write(() => this.inner.transact(writes));
  }
}
