import { METRICS_NAMESPACE } from '../inference/emf.js';
import type { ShadowBatchTally } from './mirror-batch.js';

/**
 * What became of each mirror batch's messages, as one EMF line (namespace `Understudy`, no
 * dimensions): events dropped as duplicates, deferred, retried or dead-lettered are counted
 * as metrics as well as logged with their event ids.
 */
const METRICS: Record<keyof ShadowBatchTally, string> = {
  completed: 'MirrorEventsCompleted',
  duplicates: 'MirrorDuplicatesDropped',
  deferred: 'MirrorEventsDeferred',
  failed: 'MirrorEventsRetried',
  pending: 'MirrorSpillsPending',
  deadLettered: 'MirrorEventsDeadLettered',
};

const DIRECTIVE = [
  {
    Namespace: METRICS_NAMESPACE,
    Dimensions: [[]],
    Metrics: Object.values(METRICS).map((Name) => ({ Name, Unit: 'Count' })),
  },
];

export function mirrorBatchEmfLine(tally: ShadowBatchTally, timestampMs: number): string {
  const values = Object.fromEntries(
    (Object.keys(METRICS) as (keyof ShadowBatchTally)[]).map((key) => [METRICS[key], tally[key]]),
  );
  return JSON.stringify({ _aws: { Timestamp: timestampMs, CloudWatchMetrics: DIRECTIVE }, ...values });
}
