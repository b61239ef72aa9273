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
 */
export type Admission =
  /** Process the event, skipping the parts an earlier attempt finished. */
  | {
      readonly kind: 'admitted';
      readonly done: ReadonlySet<string>;
      readonly tookOver?: 'stale' | 'released';
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
}
