import { capturesDroppedId } from '../data-capture/drops.js';
import { COLLECTIONS } from '../kernel/records.js';
import type { RegistryStore } from '../kernel/store.js';
import { comparisonIdFor, comparisonRecordId } from '../shadow-tests/comparison-ids.js';
import type { MirrorMessage } from './mirror.js';
import { untilAborted } from './mirror-delivery.js';

/**
 * How long the request path may spend counting one dropped copy in the registry. Only the
 * drop path pays it, after the mirror's budget ran out: a registry that is also slow must
 * not hold the answer much longer (the EMF metric counts the drop either way).
 */
export const DEFAULT_DROP_COUNT_BUDGET_MS = 200;

/** Port: counts, durably, mirror copies that were not known to reach the queue. */
export interface MirrorDropCounter {
  /** Rejects when a count could not be written (within its budget). */
  count(message: MirrorMessage): Promise<void>;
}

/**
 * The registry's drop counters, beside the figures they qualify: per endpoint for captures
 * (DescribeEndpoint's `CapturesDropped`), per comparison and shadow variant for shadow copies
 * (DescribeShadowReport's `MirrorsDropped`, next to `RequestsMirrored`). One dropped message
 * counts once for its endpoint's captures when it carried a capture, and once for each shadow
 * it was meant for; the increments run side by side under one deadline.
 */
export class RegistryMirrorDropCounter implements MirrorDropCounter {
  constructor(
    private readonly store: RegistryStore,
    private readonly budgetMs = DEFAULT_DROP_COUNT_BUDGET_MS,
  ) {}

  async count(message: MirrorMessage): Promise<void> {
    const counters: { collection: string; id: string }[] = [];
    if (message.capture)
      counters.push({ collection: COLLECTIONS.capturesDropped, id: capturesDroppedId(message.endpointName) });
    for (const shadow of message.shadows) {
      const comparisonId = comparisonIdFor(message.endpointName, shadow.experimentName);
      counters.push({
        collection: COLLECTIONS.mirrorsDropped,
        id: comparisonRecordId(comparisonId, shadow.VariantName),
      });
    }
    const deadline = AbortSignal.timeout(this.budgetMs);
    const results = await Promise.allSettled(
      counters.map(({ collection, id }) =>
        untilAborted(this.store.increment(collection, id, { abortSignal: deadline }), deadline),
      ),
    );
    const failures = results.flatMap((result, i) =>
      result.status === 'rejected'
        ? [`${counters[i]?.collection} ${counters[i]?.id}: ${describe(result.reason)}`]
        : [],
    );
    if (failures.length > 0) {
      throw new Error(
        `${failures.length} of ${counters.length} drop counters not written: ${failures.join('; ')}`,
      );
    }
  }
}

function describe(reason: unknown): string {
  return reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason);
}
