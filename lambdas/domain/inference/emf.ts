/**
 * Per-variant invocation metrics in CloudWatch's embedded metric format (EMF): one JSON log
 * line per invocation, which CloudWatch Logs turns into metrics without any API call from
 * the request path. Names and dimensions are SageMaker's (namespace `AWS/SageMaker`), in
 * Understudy's own namespace, so alarms written for SageMaker endpoints carry over by
 * changing the namespace:
 * - dimensions `[EndpointName, VariantName]` and, to watch one fleet during a rollout,
 *   `[EndpointName, EndpointConfigName, VariantName]`;
 * - `Invocations`, `Invocation4XXErrors`, `Invocation5XXErrors`, `ModelError` (the model
 *   failed on the request; SageMaker names this count `InvocationModelErrors`, which is
 *   written too) as Count; `ModelLatency` and `OverheadLatency` in Microseconds;
 * - on invocations sampled for capture or shadowing, `MirrorsDropped` (the copy was not known
 *   to reach the mirror queue within its budget) and `CapturesDropped` (that copy carried a
 *   capture) as Count, 0 or 1: their sums count drops, their sample counts the copies tried.
 */
export const METRICS_NAMESPACE = 'Understudy';

export interface InvocationMetrics {
  readonly EndpointName: string;
  readonly EndpointConfigName: string;
  readonly VariantName: string;
  /** The HTTP status the caller got. */
  readonly statusCode: number;
  /** Whether the model itself failed (ModelError, 424). */
  readonly modelError: boolean;
  /** Time spent in the model; absent when the request never reached it. */
  readonly modelLatencyUs?: number;
  /** Time from the request's arrival to its answer. */
  readonly totalUs: number;
  /** Set when the request was sampled for capture or shadowing: what became of its copy. */
  readonly mirror?: { readonly dropped: boolean; readonly captured: boolean };
  readonly timestampMs: number;
}

const count = (Name: string) => ({ Name, Unit: 'Count' });
const micros = (Name: string) => ({ Name, Unit: 'Microseconds' });
const COUNTS = [
  'Invocations',
  'Invocation4XXErrors',
  'Invocation5XXErrors',
  'ModelError',
  'InvocationModelErrors',
];
const DIMENSIONS = [
  ['EndpointName', 'VariantName'],
  ['EndpointName', 'EndpointConfigName', 'VariantName'],
];
const MIRROR_COUNTS = ['MirrorsDropped', 'CapturesDropped'];
const directive = (latencies: string[], extraCounts: string[] = []) =>
  JSON.stringify([
    {
      Namespace: METRICS_NAMESPACE,
      Dimensions: DIMENSIONS,
      Metrics: [...COUNTS.map(count), ...latencies.map(micros), ...extraCounts.map(count)],
    },
  ]);
// The metadata never changes: serialize it once, by whether the model ran and the request was mirrored.
const DIRECTIVES = {
  model: {
    plain: directive(['ModelLatency', 'OverheadLatency']),
    mirrored: directive(['ModelLatency', 'OverheadLatency'], MIRROR_COUNTS),
  },
  noModel: { plain: directive(['OverheadLatency']), mirrored: directive(['OverheadLatency'], MIRROR_COUNTS) },
};

/**
 * What follows the timestamp up to the counts, for the last line's directive and dimensions,
 * serialized: a function serves one endpoint's variants nearly always, and serializing the
 * three names was a fifth of the line's cost; joining the constant pieces once more leaves a
 * line a handful of joins (a string per join, and one long chain to flatten when written).
 */
const lastHead = { endpoint: '', config: '', variant: '', metadata: '', json: '' };

function headFields(m: InvocationMetrics, metadata: string): string {
  const last = lastHead;
  if (
    m.EndpointName !== last.endpoint ||
    m.EndpointConfigName !== last.config ||
    m.VariantName !== last.variant ||
    metadata !== last.metadata
  ) {
    last.json = `"CloudWatchMetrics":${metadata}},"EndpointName":${JSON.stringify(m.EndpointName)},"EndpointConfigName":${JSON.stringify(m.EndpointConfigName)},"VariantName":${JSON.stringify(m.VariantName)},"Invocations":1,`;
    last.endpoint = m.EndpointName;
    last.config = m.EndpointConfigName;
    last.variant = m.VariantName;
    last.metadata = metadata;
  }
  return last.json;
}

/** The four outcome counts, by 4 × client error + 2 × server error + model error (each 0 or 1). */
const OUTCOME_COUNTS = Array.from({ length: 8 }, (_, i) => {
  const modelError = i & 1;
  return `"Invocation4XXErrors":${i >> 2},"Invocation5XXErrors":${(i >> 1) & 1},"ModelError":${modelError},"InvocationModelErrors":${modelError},`;
});

/** One EMF log line (without the newline) for one invocation. */
export function emfLine(m: InvocationMetrics): string {
  const client = m.statusCode >= 400 && m.statusCode < 500 ? 1 : 0;
  const server = m.statusCode >= 500 ? 1 : 0;
  const modelError = m.modelError ? 1 : 0;
  const model = m.modelLatencyUs;
  const overhead = Math.max(0, Math.round(m.totalUs - (model ?? 0)));
  const metadata = DIRECTIVES[model === undefined ? 'noModel' : 'model'][m.mirror ? 'mirrored' : 'plain'];
  const mirror =
    m.mirror === undefined
      ? ''
      : `,"MirrorsDropped":${m.mirror.dropped ? 1 : 0},"CapturesDropped":${m.mirror.dropped && m.mirror.captured ? 1 : 0}`;
  const latency = model === undefined ? '' : `"ModelLatency":${Math.round(model)},`;
  return `{"_aws":{"Timestamp":${m.timestampMs},${headFields(m, metadata)}${OUTCOME_COUNTS[4 * client + 2 * server + modelError]}${latency}"OverheadLatency":${overhead}${mirror}}`;
}
