import type { RegistryStore } from '../registry/store.js';
import type { ProgressStore } from './shadow-batch.js';

const COLLECTION = 'MirrorProgress';

/**
 * Progress of partially processed mirror messages, in the registry. Only messages whose
 * batch partly failed are written, and only redeliveries read it, so the steady state costs
 * nothing.
 */
export class RegistryProgressStore implements ProgressStore {
  constructor(private readonly store: RegistryStore) {}

  async done(eventId: string): Promise<ReadonlySet<string>> {
    const record = await this.store.get<{ parts: string[] }>(COLLECTION, eventId);
    return new Set(record?.data.parts ?? []);
  }

  async save(eventId: string, parts: ReadonlySet<string>): Promise<void> {
    await this.store.replace(COLLECTION, eventId, { parts: [...parts], savedAt: new Date().toISOString() });
  }
}
