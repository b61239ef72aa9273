import { createHash } from 'node:crypto';
import type { Instance } from '../inference/payload.js';
import { consoleLog, type Log } from '../kernel/log.js';
import { COLLECTIONS } from '../kernel/records.js';
import { type RegistryStore, retryOnConflict } from '../kernel/store.js';
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
  /**
   * Ids of the latest deltas merged in (newest last), so a write retried after it had in
   * fact succeeded (a timed-out call, an SDK retry) is not merged twice.
   */
  readonly appliedDeltas?: readonly string[];
}

/** How many applied delta ids a comparison remembers: far more than can be in flight at once. */
const REMEMBERED_DELTAS = 64;

/** A delta's id: the same observations always give the same id. */
export function deltaIdOf(observations: readonly { readonly eventId: string }[]): string {
  const ids = observations.map((o) => o.eventId).sort();
  return createHash('sha256').update(ids.join('\n')).digest('base64url').slice(0, 22);
}

/** Port: publishes the summarized report of a comparison (S3 in production). */
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
 * associative and commutative, so the order does not matter). Each delta is merged once.
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
    const { configFor, reports, clock = () => new Date(), maxAttempts, log = consoleLog } = this.options;
    const id = comparisonRecordId(comparisonId, shadowVariant);
    const deltaId = deltaIdOf(observations);
    const reportUri = reports?.uriFor(comparisonId, shadowVariant);
    let delta: ComparisonAggregate | undefined;
    const merged = await retryOnConflict(
      async () => {
        const stored = await this.store.get<StoredComparison>(COLLECTIONS.shadowComparison, id);
        if (stored?.data.appliedDeltas?.includes(deltaId)) return undefined;
        // Once an aggregate exists its configuration is fixed (aggregates of different ones never
        // merge); a delta built before a concurrent batch created it is rebuilt under its configuration.
        const config =
          stored?.data.aggregate.config ??
          decideComparison(
            observations.find((o) => o.productionModel)?.productionModel,
            observations.find((o) => o.shadowModel)?.shadowModel,
            configured ?? configFor?.(comparisonId, shadowVariant),
            () => inferComparisonConfig(observations),
          );
        if (!delta || !sameComparisonConfig(delta.config, config)) {
          delta = createAggregate(config, observations.map(toComparisonObservation));
        }
        const aggregate = stored ? mergeAggregates(parseAggregate(stored.data.aggregate), delta) : delta;
        const record: StoredComparison = {
          comparisonId,
          shadowVariant,
          aggregate,
          updatedAt: clock().toISOString(),
          reportUri,
          appliedDeltas: [...(stored?.data.appliedDeltas ?? []), deltaId].slice(-REMEMBERED_DELTAS),
        };
        if (stored) await this.store.replace(COLLECTIONS.shadowComparison, id, record, stored.version);
        else await this.store.create(COLLECTIONS.shadowComparison, id, record);
        return aggregate;
      },
      { maxAttempts },
    );
    if (merged === undefined) {
      log.info('comparison delta already applied (a retried write had succeeded); not merged again', {
        comparison: id,
        eventIds: observations.map((o) => o.eventId),
      });
      return;
    }
    if (reports && reportUri) await publish(reports, log, reportUri, comparisonId, shadowVariant, merged);
  }
}

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
