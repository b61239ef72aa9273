/**
 * Drops records whose `eventId` was already seen in the batch, keeping the first of each.
 * SQS delivers at least once, so one batch can hold the same mirrored request twice; the
 * adapter removes such duplicates (and ones already recorded) before they reach an aggregate.
 */
export function dedupeByEventId<T extends { readonly eventId: string }>(records: readonly T[]): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const record of records) {
    if (seen.has(record.eventId)) continue;
    seen.add(record.eventId);
    out.push(record);
  }
  return out;
}
