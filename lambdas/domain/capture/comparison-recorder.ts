import { COLLECTIONS } from '../registry/records.js';
import { RecordExistsError, type RegistryStore, VersionConflictError } from '../registry/store.js';
import {
  type ComparisonAggregate,
  type ComparisonConfig,
  type ComparisonObservation,
  createAggregate,
  mergeAggregates,
  parseAggregate,
} from '../shadow/index.js';
import type { ComparisonRecorder, ShadowObservation } from './shadow-batch.js';

export interface StoredComparison {
  readonly comparisonId: string;
  readonly shadowVariant: string;
  readonly aggregate: ComparisonAggregate;
  readonly updatedAt: string;
}

export const comparisonRecordId = (comparisonId: string, shadowVariant: string) =>
  `${comparisonId}/${shadowVariant}`;

/**
 * Without a configured task kind, predictions that are all integers are labels
 * (classification); anything else is compared as regression.
 */
export function inferComparisonConfig(observations: readonly ShadowObservation[]): ComparisonConfig {
  const values = observations.flatMap((o) => o.production);
  const labels = values.length > 0 && values.every((v) => typeof v === 'number' && Number.isInteger(v));
  return { kind: labels ? 'classification' : 'regression' };
}

/**
 * Folds observations into the stored aggregate with optimistic concurrency: concurrent
 * batches each merge their delta into the latest version and retry on conflict (merging is
 * associative and commutative, so the order does not matter).
 */
export class RegistryComparisonRecorder implements ComparisonRecorder {
  constructor(
    private readonly store: RegistryStore,
    private readonly configFor: (
      comparisonId: string,
      shadowVariant: string,
    ) => ComparisonConfig | undefined = () => undefined,
    private readonly clock: () => Date = () => new Date(),
    private readonly maxAttempts = 10,
  ) {}

  async record(
    comparisonId: string,
    shadowVariant: string,
    observations: readonly ShadowObservation[],
  ): Promise<void> {
    const id = comparisonRecordId(comparisonId, shadowVariant);
    const config = this.configFor(comparisonId, shadowVariant) ?? inferComparisonConfig(observations);
    const delta = createAggregate(config, observations.map(toComparisonObservation));
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      const stored = await this.store.get<StoredComparison>(COLLECTIONS.shadowComparison, id);
      const aggregate = stored ? mergeAggregates(parseAggregate(stored.data.aggregate), delta) : delta;
      const record: StoredComparison = {
        comparisonId,
        shadowVariant,
        aggregate,
        updatedAt: this.clock().toISOString(),
      };
      try {
        if (stored) await this.store.replace(COLLECTIONS.shadowComparison, id, record, stored.version);
        else await this.store.create(COLLECTIONS.shadowComparison, id, record);
        return;
      } catch (error) {
        if (!(error instanceof VersionConflictError || error instanceof RecordExistsError)) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * (attempt + 1)));
      }
    }
    throw new Error(`comparison ${id} stayed contended after ${this.maxAttempts} attempts`);
  }
}

function toComparisonObservation(o: ShadowObservation): ComparisonObservation {
  return {
    eventId: o.eventId,
    production: o.production,
    productionLatencyMs: o.productionLatencyMs,
    shadow: o.shadow,
    shadowError: o.shadowError,
    shadowErrorKind: o.shadowErrorKind,
    shadowLatencyMs: o.shadowLatencyMs,
    rows: o.rows,
  };
}
