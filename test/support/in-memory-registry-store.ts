import {
  RecordExistsError,
  type RegistryStore,
  type StoredRecord,
  type StoreWrite,
  VersionConflictError,
} from '../../lambdas/domain/kernel/store.js';

/** An in-process store for unit tests and benchmarks; same semantics as the DynamoDB adapter. */
export class InMemoryRegistryStore implements RegistryStore {
  private readonly records = new Map<string, Map<string, StoredRecord<unknown>>>();

  /** A deep copy of every record, to compare before and after a request, or to start another store from. */
  snapshot(): Map<string, Map<string, StoredRecord<unknown>>> {
    const copy = new Map<string, Map<string, StoredRecord<unknown>>>();
    for (const [name, records] of this.records)
      if (records.size > 0) copy.set(name, structuredClone(records));
    return copy;
  }

  /** A store holding a copy of `snapshot`'s records. */
  static from(
    snapshot: ReadonlyMap<string, ReadonlyMap<string, StoredRecord<unknown>>>,
  ): InMemoryRegistryStore {
    const store = new InMemoryRegistryStore();
    for (const [name, records] of snapshot) store.records.set(name, structuredClone(new Map(records)));
    return store;
  }

  private collection(name: string): Map<string, StoredRecord<unknown>> {
    let records = this.records.get(name);
    if (!records) {
      records = new Map();
      this.records.set(name, records);
    }
    return records;
  }

  async get<T>(collection: string, id: string): Promise<StoredRecord<T> | undefined> {
    const record = this.collection(collection).get(id);
    return record ? (structuredClone(record) as StoredRecord<T>) : undefined;
  }

  async create<T>(collection: string, id: string, data: T): Promise<void> {
    const records = this.collection(collection);
    if (records.has(id)) throw new RecordExistsError(collection, id);
    records.set(id, { data: structuredClone(data), version: 1 });
  }

  async replace<T>(collection: string, id: string, data: T, expectedVersion?: number): Promise<void> {
    const records = this.collection(collection);
    const current = records.get(id);
    if (expectedVersion !== undefined && current?.version !== expectedVersion) {
      throw new VersionConflictError(collection, id);
    }
    records.set(id, { data: structuredClone(data), version: (current?.version ?? 0) + 1 });
  }

  async delete(collection: string, id: string): Promise<boolean> {
    return this.collection(collection).delete(id);
  }

  async list<T>(collection: string, idPrefix = ''): Promise<T[]> {
    return [...this.collection(collection).entries()]
      .filter(([id]) => id.startsWith(idPrefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, record]) => structuredClone(record.data) as T);
  }

  async increment(collection: string, id: string): Promise<number> {
    const records = this.collection(collection);
    const next = ((records.get(id)?.data as number | undefined) ?? 0) + 1;
    records.set(id, { data: next, version: next });
    return next;
  }

  async transact(writes: readonly StoreWrite[]): Promise<void> {
    // Check every condition before applying any write: all or nothing, as in DynamoDB.
    for (const write of writes) {
      const current = this.collection(write.collection).get(write.id);
      const ok = write.kind === 'create' ? current === undefined : current?.version === write.expectedVersion;
      if (!ok) throw new VersionConflictError(write.collection, write.id);
    }
    for (const write of writes) {
      const records = this.collection(write.collection);
      if (write.kind === 'delete') records.delete(write.id);
      else {
        const version = (records.get(write.id)?.version ?? 0) + 1;
        records.set(write.id, { data: structuredClone(write.data), version });
      }
    }
  }
}
