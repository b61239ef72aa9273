/**
 * Persistence port of the registry. Records live in named collections (one per resource
 * kind) under a string id; every write bumps a version so updates can be conditional.
 * The DynamoDB adapter maps a collection to the partition key and the id to the sort key.
 */
export interface StoredRecord<T> {
  readonly data: T;
  readonly version: number;
}

export interface RegistryStore {
  get<T>(collection: string, id: string): Promise<StoredRecord<T> | undefined>;
  /** Writes a new record, at version 1; throws RecordExistsError when the id is taken. */
  create<T>(collection: string, id: string, data: T): Promise<void>;
  /**
   * Replaces a record. With `expectedVersion`, throws VersionConflictError unless the stored
   * version still matches (the record was not changed in between).
   */
  replace<T>(collection: string, id: string, data: T, expectedVersion?: number): Promise<void>;
  /** Deletes a record; returns whether it existed. */
  delete(collection: string, id: string): Promise<boolean>;
  /** All records of a collection (optionally only ids starting with `idPrefix`), by id. */
  list<T>(collection: string, idPrefix?: string): Promise<T[]>;
  /**
   * Atomically increments a counter and returns its new value. `abortSignal` ends the call
   * early (it then rejects, and the increment may or may not have happened).
   */
  increment(collection: string, id: string, options?: { abortSignal?: AbortSignal }): Promise<number>;
  /**
   * Applies all the writes or none (a DynamoDB transaction). A `create` whose id is taken, or a
   * `replace` or `delete` whose record changed since `expectedVersion`, cancels the whole
   * transaction with a VersionConflictError, so `retryOnConflict` can run it again.
   */
  transact(writes: readonly StoreWrite[]): Promise<void>;
}

/** One write of a transaction. */
export type StoreWrite =
  | {
      readonly kind: 'create';
      readonly collection: string;
      readonly id: string;
      readonly data: unknown;
      /** Epoch seconds after which the table's TTL may delete the record (markers, tokens). */
      readonly expiresAt?: number;
    }
  | {
      readonly kind: 'replace';
      readonly collection: string;
      readonly id: string;
      readonly data: unknown;
      readonly expectedVersion: number;
    }
  | {
      readonly kind: 'delete';
      readonly collection: string;
      readonly id: string;
      readonly expectedVersion: number;
    };

export class RecordExistsError extends Error {
  constructor(collection: string, id: string) {
    super(`${collection} ${id} already exists`);
    this.name = 'RecordExistsError';
  }
}

export class VersionConflictError extends Error {
  constructor(collection: string, id: string) {
    super(`${collection} ${id} was modified concurrently`);
    this.name = 'VersionConflictError';
  }
}

export interface ConflictRetryOptions {
  /** @default 25 */
  readonly maxAttempts?: number;
  /** First backoff ceiling; doubles each attempt. @default 10 ms */
  readonly baseDelayMs?: number;
  /** @default 1000 ms */
  readonly maxDelayMs?: number;
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Runs one optimistic-concurrency write (read, compute, conditional write) until it does not
 * conflict: `attempt` is called again after a VersionConflictError or RecordExistsError, with
 * exponential backoff and full jitter so contending writers spread out instead of colliding
 * again in lockstep. Any other error, and the last conflict, propagate.
 */
export async function retryOnConflict<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  options: ConflictRetryOptions = {},
): Promise<T> {
  const {
    maxAttempts = 25,
    baseDelayMs = 10,
    maxDelayMs = 1000,
    random = Math.random,
    sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
  } = options;
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      const conflict = error instanceof VersionConflictError || error instanceof RecordExistsError;
      if (!conflict || n + 1 >= maxAttempts) throw error;
      await sleep(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** n));
    }
  }
}
