import { RecordExistsError, type RegistryStore } from '../registry/store.js';
import type { EventClaims, ProgressStore } from './shadow-batch.js';

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

/** Queue retention (4 days) plus a day: no copy of an event can arrive after its claim expires. */
const CLAIM_TTL_SECONDS = 5 * 24 * 3600;

/**
 * First-delivery claims on event ids: a second SQS copy of an event (at-least-once delivery,
 * or a redriven duplicate) finds the claim taken and is dropped, in whichever batch it lands.
 */
export class RegistryEventClaims implements EventClaims {
  constructor(
    private readonly store: RegistryStore,
    private readonly clock: () => number = Date.now,
  ) {}

  async claim(eventId: string): Promise<boolean> {
    try {
      await this.store.create(
        'MirrorClaim',
        eventId,
        { claimedAt: new Date(this.clock()).toISOString() },
        {
          expiresAt: Math.floor(this.clock() / 1000) + CLAIM_TTL_SECONDS,
        },
      );
      return true;
    } catch (error) {
      if (error instanceof RecordExistsError) return false;
      throw error;
    }
  }
}
