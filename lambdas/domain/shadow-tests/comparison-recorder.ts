import type { Instance } from '../inference/payload.js';
import { consoleLog, type Log } from '../kernel/log.js';
import { COLLECTIONS } from '../kernel/records.js';
import { type RegistryStore, retryOnConflict, type StoreWrite } from '../kernel/store.js';
import { comparisonIdFor, comparisonRecordId } from './comparison-ids.js';
import { decideComparison, type ModelTask } from './comparison-rule.js';

export { comparisonIdFor, comparisonRecordId };

import {
  type ComparisonAggregate,
  type ComparisonConfig,
  type ComparisonObservation,
  createAggregate,
  mergeAggregates,
  parseAggregate,
  sameComparisonConfig,
  summarize,
} from './index.js';

/** What one mirrored request taught about one shadow, for the comparison aggregates. */
export interface ShadowObservation {
  readonly eventId: string;
  /** Production's per-row predictions, as the client received them. */
  readonly production: readonly unknown[];
  /** The shadow's per-row predictions; absent when it failed. */
  readonly shadow?: readonly unknown[];
  readonly shadowError?: string;
  readonly shadowErrorKind?: 'ModelError' | 'MissingModel';
  readonly productionLatencyMs: number;
  readonly shadowLatencyMs?: number;
  /** The request's rows, for per-segment breakdowns. */
  readonly rows: readonly Instance[];
  /** What production's and the shadow's ONNX outputs make them, when known (comparison-rule.ts). */
  readonly productionModel?: ModelTask;
  readonly shadowModel?: ModelTask;
}

/** Port: folds observations into the comparison of an experiment's shadow variant. */
export interface ComparisonRecorder {
  record(
    comparisonId: string,
    shadowVariant: string,
    observations: readonly ShadowObservation[],
    config?: ComparisonConfig,
  ): Promise<void>;
}

export interface StoredComparison {
  readonly comparisonId: string;
  readonly shadowVariant: string;
  readonly aggregate: ComparisonAggregate;
  readonly updatedAt: string;
  /** Where the latest JSON report was written, when reports are written. */
  readonly reportUri?: string;
}

/** How many applied delta ids a comparison remembers: far more than can be in flight at once. */
export interface ReportSink {
  uriFor(comparisonId: string, shadowVariant: string): string;
  write(uri: string, report: unknown): Promise<void>;
}

/**
 * Without a configured task kind or the models' outputs, predictions that are all integers
 * are labels (classification); anything else is compared as regression.
 */
export function inferComparisonConfig(observations: readonly ShadowObservation[]): ComparisonConfig {
  const values = observations.flatMap((o) => o.production);
  const labels = values.length > 0 && values.every((v) => typeof v === 'number' && Number.isInteger(v));
  return { kind: labels ? 'classification' : 'regression' };
}

export interface ComparisonRecorderOptions {
  /** The comparison's configured task kind and tolerances; inferred from the models when absent. */
  readonly configFor?: (comparisonId: string, shadowVariant: string) => ComparisonConfig | undefined;
  /** Where each updated report is published. */
  readonly reports?: ReportSink;
  readonly clock?: () => Date;
  /** Conflict retries (see retryOnConflict). @default 25 */
  readonly maxAttempts?: number;
  /** @default consoleLog */
  readonly log?: Log;
}

/**
 * Folds observations into the stored aggregate with optimistic concurrency: concurrent
 * batches each merge their delta into the latest version and retry on conflict (merging is
 * associative and commutative, so the order does not matter). Each event is merged once
 * (its marker, written with the merge).
 */
export class RegistryComparisonRecorder implements ComparisonRecorder {
  constructor(
    private readonly store: RegistryStore,
    private readonly options: ComparisonRecorderOptions = {},
  ) {}

  async record(
    comparisonId: string,
    shadowVariant: string,
    observations: readonly ShadowObservation[],
    configured?: ComparisonConfig,
  ): Promise<void> {
    const { reports, log = consoleLog } = this.options;
    const reportUri = reports?.uriFor(comparisonId, shadowVariant);
    let merged: ComparisonAggregate | undefined;
    const skipped: string[] = [];
    // One transaction holds the aggregate and at most 99 markers (DynamoDB's limit is 100).
    for (let start = 0; start < observations.length; start += MARKERS_PER_MERGE) {
      const chunk = observations.slice(start, start + MARKERS_PER_MERGE);
      const outcome = await this.merge(comparisonId, shadowVariant, chunk, configured, reportUri);
      skipped.push(...outcome.skipped);
      merged = outcome.aggregate ?? merged;
    }
    if (skipped.length > 0) {
      log.info('events already compared (a retried or repeated merge); not merged again', {
        comparison: comparisonRecordId(comparisonId, shadowVariant),
        eventIds: skipped,
      });
    }
    if (merged && reports && reportUri) {
      await publish(reports, log, reportUri, comparisonId, shadowVariant, merged);
    }
  }

  /**
   * Merges the observations not yet compared, with a marker per event in the same
   * transaction: an event is in the aggregate exactly when its marker exists, whatever
   * batches it travelled in (a redelivery after a crash may group events differently, so a
   * per-delta id could not tell). A marker created concurrently conflicts, and the retry
   * reads the markers again.
   */
  private async merge(
    comparisonId: string,
    shadowVariant: string,
    observations: readonly ShadowObservation[],
    configured: ComparisonConfig | undefined,
    reportUri: string | undefined,
  ): Promise<{ aggregate?: ComparisonAggregate; skipped: string[] }> {
    const { configFor, clock = () => new Date(), maxAttempts } = this.options;
    const id = comparisonRecordId(comparisonId, shadowVariant);
    let delta: { aggregate: ComparisonAggregate; events: string } | undefined;
    let skipped: string[] = [];
    const aggregate = await retryOnConflict(
      async () => {
        const [stored, marked] = await Promise.all([
          this.store.get<StoredComparison>(COLLECTIONS.shadowComparison, id),
          Promise.all(
            observations.map(
              async (o) =>
                (await this.store.get(COLLECTIONS.shadowCompared, comparedId(id, o.eventId))) !== undefined,
            ),
          ),
        ]);
        const pending = observations.filter((_, i) => !marked[i]);
        skipped = observations.filter((_, i) => marked[i]).map((o) => o.eventId);
        if (pending.length === 0) return undefined;
        // Once an aggregate exists its configuration is fixed (aggregates of different ones never
        // merge); a delta built before a concurrent batch created it is rebuilt under its configuration.
        const config =
          stored?.data.aggregate.config ??
          decideComparison(
            pending.find((o) => o.productionModel)?.productionModel,
            pending.find((o) => o.shadowModel)?.shadowModel,
            configured ?? configFor?.(comparisonId, shadowVariant),
            () => inferComparisonConfig(pending),
          );
        const events = pending.map((o) => o.eventId).join('\n');
        if (!delta || delta.events !== events || !sameComparisonConfig(delta.aggregate.config, config)) {
          delta = { aggregate: createAggregate(config, pending.map(toComparisonObservation)), events };
        }
        const merged = stored
          ? mergeAggregates(parseAggregate(stored.data.aggregate), delta.aggregate)
          : delta.aggregate;
        const record: StoredComparison = {
          comparisonId,
          shadowVariant,
          aggregate: merged,
          updatedAt: clock().toISOString(),
          reportUri,
        };
        const at = clock();
        const expiresAt = Math.floor(at.getTime() / 1000) + MARKER_TTL_SECONDS;
        await this.store.transact([
          stored
            ? {
                kind: 'replace',
                collection: COLLECTIONS.shadowComparison,
                id,
                data: record,
                expectedVersion: stored.version,
              }
            : { kind: 'create', collection: COLLECTIONS.shadowComparison, id, data: record },
          ...pending.map(
            (o): StoreWrite => ({
              kind: 'create',
              collection: COLLECTIONS.shadowCompared,
              id: comparedId(id, o.eventId),
              data: { at: at.toISOString() },
              expiresAt,
            }),
          ),
        ]);
        return merged;
      },
      { maxAttempts },
    );
    return { aggregate, skipped };
  }
}

/** One transaction: the aggregate and this many event markers (DynamoDB allows 100 items). */
const MARKERS_PER_MERGE = 99;
/**
 * Markers are needed while a copy of the event may still be processed: the mirror queue's
 * retention (4 days) and a day, as the delivery ledger's entries.
 */
const MARKER_TTL_SECONDS = 5 * 24 * 3600;

/** The marker of an event compared in a comparison record (`{comparisonId}/{variant}#{eventId}`). */
const comparedId = (recordId: string, eventId: string) => `${recordId}#${eventId}`;

/** The report as DescribeShadowReport shows it. */
export function shadowReportDocument(
  comparisonId: string,
  shadowVariant: string,
  aggregate: ComparisonAggregate,
) {
  return { ComparisonId: comparisonId, ShadowVariantName: shadowVariant, ...summarize(aggregate) };
}

/** A failed report write is logged, not retried: the stored aggregate stays the truth. */
async function publish(
  reports: ReportSink,
  log: Log,
  uri: string,
  comparisonId: string,
  shadowVariant: string,
  aggregate: ComparisonAggregate,
) {
  try {
    await reports.write(uri, shadowReportDocument(comparisonId, shadowVariant, aggregate));
  } catch (error) {
    log.error('shadow report not written', { uri, error: (error as Error).message });
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

/**
 * DescribeShadowReport's `MirrorsDropped` for one shadow variant of a comparison: copies the
 * data plane could not hand to the mirror queue within its budget (mirroring/mirror-drops.ts).
 */
export async function mirrorsDropped(
  store: RegistryStore,
  comparisonId: string,
  shadowVariant: string,
): Promise<number> {
  return (
    (await store.get<number>(COLLECTIONS.mirrorsDropped, comparisonRecordId(comparisonId, shadowVariant)))
      ?.data ?? 0
  );
}
