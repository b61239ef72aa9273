import type { Admission, DeliveryLedger } from '../../lambdas/domain/mirroring/delivery-ledger.js';

interface Entry {
  state: 'held' | 'released' | 'done';
  holder: string;
  heldAt: number;
  parts: string[];
  intents?: Record<string, string>;
}

/** The delivery ledger in memory, with the DynamoDB adapter's transitions (for tests and benches). */
export class InMemoryDeliveryLedger implements DeliveryLedger {
  readonly entries = new Map<string, Entry>();

  constructor(
    private readonly staleAfterMs = 90_000,
    private readonly clock: () => number = Date.now,
  ) {}

  async admit(eventIds: readonly string[], holder: string): Promise<ReadonlyMap<string, Admission>> {
    const now = this.clock();
    const admissions = new Map<string, Admission>();
    for (const id of new Set(eventIds)) {
      const entry = this.entries.get(id);
      const stale = entry?.state === 'held' && entry.heldAt < now - this.staleAfterMs;
      if (!entry || entry.holder === holder || entry.state === 'released' || stale) {
        this.entries.set(id, { ...entry, state: 'held', holder, heldAt: now, parts: entry?.parts ?? [] });
        const done = new Set(entry?.parts ?? []);
        if (!entry || entry.holder === holder) admissions.set(id, { kind: 'admitted', done });
        else
          admissions.set(id, {
            kind: 'admitted',
            done,
            tookOver: stale ? 'stale' : 'released',
            ...(entry.intents ? { intents: new Map(Object.entries(entry.intents)) } : {}),
          });
      } else {
        admissions.set(id, { kind: entry.state === 'done' ? 'duplicate' : 'busy' });
      }
    }
    return admissions;
  }

  async complete(eventIds: readonly string[], holder: string): Promise<readonly string[]> {
    const failed: string[] = [];
    for (const id of eventIds) {
      const entry = this.entries.get(id);
      if (entry?.holder === holder)
        this.entries.set(id, { state: 'done', holder, heldAt: entry.heldAt, parts: [] });
      else failed.push(id);
    }
    return failed;
  }

  async release(eventId: string, holder: string, done: ReadonlySet<string>): Promise<void> {
    const entry = this.entries.get(eventId);
    if (entry?.holder !== holder) throw new Error(`${eventId} is not held by ${holder}`);
    this.entries.set(eventId, { ...entry, state: 'released', parts: [...done] });
  }

  async intend(eventId: string, holder: string, intents: ReadonlyMap<string, string>): Promise<void> {
    const entry = this.entries.get(eventId);
    if (entry?.holder !== holder) throw new Error(`${eventId} is not held by ${holder}`);
    this.entries.set(eventId, { ...entry, intents: Object.fromEntries(intents) });
  }
}
