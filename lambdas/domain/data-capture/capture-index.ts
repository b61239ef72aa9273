import type { RegistryStore } from '../kernel/store.js';

/**
 * Where each captured prediction was written, so one can be found from its ids without
 * listing S3. The shadow function records an entry per production capture line, before the
 * capture object is written (an entry may point at an object a failed batch never wrote;
 * the retry overwrites it with the object it does write). Entries expire with the captures
 * (the table's TTL attribute, set to the capture retention).
 *
 * Layout in the registry table (collection `CaptureIndex`):
 * - `{endpoint}#event#{eventId}`: one entry per event;
 * - `{endpoint}#inference#{encoded inferenceId}#{eventId}`: the same entry, when the caller
 *   sent an inference id (not unique: the caller chooses it), found by key prefix.
 */
export const CAPTURE_INDEX = 'CaptureIndex';

export interface CaptureIndexEntry {
  readonly endpointName: string;
  readonly eventId: string;
  readonly inferenceId?: string;
  readonly inferenceTime: string;
  /** The production variant that answered, and the endpoint config it belongs to. */
  readonly variantName: string;
  readonly endpointConfigName?: string;
  /** `s3://bucket/key` of the capture object holding the line. */
  readonly captureUri: string;
}

/** Port: records index entries, many per call (the adapter batches its writes). */
export interface CaptureIndex {
  record(entries: readonly CaptureIndexEntry[]): Promise<void>;
}

export const eventKey = (endpointName: string, eventId: string) => `${endpointName}#event#${eventId}`;

// Inference ids may hold `#`; encoding keeps one id's prefix from matching another's.
const inferencePrefix = (endpointName: string, inferenceId: string) =>
  `${endpointName}#inference#${encodeURIComponent(inferenceId)}#`;

/** The ids an entry is stored under. */
export function indexKeys(entry: CaptureIndexEntry): string[] {
  const keys = [eventKey(entry.endpointName, entry.eventId)];
  if (entry.inferenceId !== undefined) {
    keys.push(`${inferencePrefix(entry.endpointName, entry.inferenceId)}${entry.eventId}`);
  }
  return keys;
}

/** The captures of an endpoint with this event id or inference id (a get, or one key-prefix query). */
export async function findCaptures(
  store: RegistryStore,
  endpointName: string,
  ids: { eventId?: string; inferenceId?: string },
): Promise<CaptureIndexEntry[]> {
  if (ids.eventId !== undefined) {
    const entry = await store.get<CaptureIndexEntry>(CAPTURE_INDEX, eventKey(endpointName, ids.eventId));
    return entry ? [entry.data] : [];
  }
  if (ids.inferenceId === undefined) return [];
  return store.list<CaptureIndexEntry>(CAPTURE_INDEX, inferencePrefix(endpointName, ids.inferenceId));
}

/** The index over the registry store's port (no expiry): for tests and tools. */
export class RegistryCaptureIndex implements CaptureIndex {
  constructor(private readonly store: RegistryStore) {}

  async record(entries: readonly CaptureIndexEntry[]): Promise<void> {
    await Promise.all(
      entries.flatMap((entry) =>
        indexKeys(entry).map((key) => this.store.replace(CAPTURE_INDEX, key, entry)),
      ),
    );
  }
}
