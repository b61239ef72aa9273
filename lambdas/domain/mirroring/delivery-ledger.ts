/**
 * Exactly-once processing of mirrored events over an at-least-once queue.
 *
 * SQS may deliver a message more than once, the data plane may send an event twice (a send
 * that timed out after reaching the queue), and a batch may fail part-way. Each event id has
 * one ledger entry that says who is working on it and what is already done:
 *
 *   (none) ──admit──▶ held by an attempt ──complete──▶ done (later copies are duplicates)
 *                        │        ▲
 *                release (parts)  │ admit (a redelivery resumes after the done parts)
 *                        ▼        │
 *                      released ──┘
 *
 * An attempt is identified by a holder token of its own, so a write it retries (an SDK retry
 * of a call that had succeeded, a fallback after a half-applied request) is recognised as its
 * own rather than as "claimed by another copy". A hold older than `staleAfterMs` belongs to an
 * attempt that died (Lambda killed it at its timeout) and may be taken over.
 *
 * An attempt that dies records nothing of what it did, so before writing capture objects it
 * records its intents (which object each capture part goes to): whoever takes over a stale
 * hold looks for those objects and counts a part done when its object exists (an S3 object
 * is written whole or not at all, under a key no other write uses). Comparisons need no
 * intent: each event is merged into an aggregate in the same transaction as a marker for it
 * (comparison-recorder.ts), so a repeated merge finds the marker and skips the event.
 */
export type Admission =
  /** Process the event, skipping the parts an earlier attempt finished. */
  | {
      readonly kind: 'admitted';
      readonly done: ReadonlySet<string>;
      readonly tookOver?: 'stale' | 'released';
      /** Where the attempt that held the event meant to write its parts (part → object URI). */
      readonly intents?: ReadonlyMap<string, string>;
    }
  /** Another delivery finished it: drop this copy. */
  | { readonly kind: 'duplicate' }
  /** Another live attempt holds it: retry this copy later (it will then be done or released). */
  | { readonly kind: 'busy' }
  /** The ledger could not be asked: retry this copy later. */
  | { readonly kind: 'unavailable'; readonly reason: string };

/** Port: the ledger (a DynamoDB item per event in production). */
export interface DeliveryLedger {
  /** Admits each event to the attempt `holder` (every id gets an answer). */
  admit(eventIds: readonly string[], holder: string): Promise<ReadonlyMap<string, Admission>>;
  /** The attempt finished these events; returns the ids it could not record as done. */
  complete(eventIds: readonly string[], holder: string): Promise<readonly string[]>;
  /** The attempt finished only `done` of the event: remember them and let a redelivery take over. */
  release(eventId: string, holder: string, done: ReadonlySet<string>): Promise<void>;
  /** Before writing them: where the attempt will write the event's parts (part → object URI). */
  intend(eventId: string, holder: string, intents: ReadonlyMap<string, string>): Promise<void>;
}
