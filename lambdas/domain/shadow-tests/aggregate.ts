import type { DDSketch } from '@datadog/sketches-js';
import type { Instance } from '../inference/payload.js';
import { ValidationException } from '../kernel/errors.js';
import type { ComparisonConfig, SegmentConfig, TaskKind } from '../kernel/records.js';
import { addMaps, capByHash } from './capped.js';
import {
  acceptFinite,
  DEFAULT_RELATIVE_ACCURACY,
  EMPTY_SKETCH,
  encodeSketch,
  mergeSketches,
  newSketch,
  type SketchData,
} from './sketch.js';
import { unwrapSingle } from './unwrap.js';

export { unwrapSingle };

/** Why a shadow produced nothing comparable for a request. */
export type ShadowErrorKind = 'ModelError' | 'Timeout' | 'MissingModel' | 'InvalidOutput';
export const SHADOW_ERROR_KINDS: readonly ShadowErrorKind[] = [
  'ModelError',
  'Timeout',
  'MissingModel',
  'InvalidOutput',
];

/** A model's kind and the outputs it was read from, as the report shows them. */
export interface ModelDescription {
  readonly kind: TaskKind;
  /** e.g. `label (int64 [N]) + probabilities (float [N,2])`. */
  readonly outputs: string;
}

/**
 * Why a comparison follows its kind: the user's configuration, both models' declared ONNX
 * outputs (see comparison-rule.ts), or, without them, production's predictions. Fixed with
 * the configuration when a comparison's first delta is recorded.
 */
export interface ComparisonRule {
  readonly source: 'ConfigureShadowComparison' | 'ModelOutputs' | 'Predictions';
  readonly inferredFrom: string;
  readonly production?: ModelDescription;
  readonly shadow?: ModelDescription;
}

/** A classifier's answer for one row: its label and/or its class scores (argmax, or ≥ 0.5 for one). */
export interface ClassifiedRow {
  readonly label?: string | number | boolean;
  readonly scores?: readonly number[];
}

export interface ResolvedComparisonConfig {
  readonly kind: TaskKind;
  readonly rule?: ComparisonRule;
  readonly absoluteTolerance: number;
  readonly relativeTolerance: number;
  readonly relativeAccuracy: number;
  readonly segment?: SegmentConfig;
}

export const DEFAULT_ABSOLUTE_TOLERANCE = 1e-6;
/** Distinct output labels tracked exactly; beyond that a hash-chosen subset (see capped.ts). */
export const TRACKED_LABELS = 256;
/** Distinct segments tracked exactly; the report shows the busiest of them plus "Other". */
export const TRACKED_SEGMENTS = 100;
/** The segment of rows that lack the segment feature. */
export const MISSING_SEGMENT = '(missing)';

/** Per-segment tallies (all additive). */
export interface SegmentTally {
  readonly value: string;
  /** Rows compared. */
  readonly rows: number;
  readonly agreed: number;
  /** Rows of requests the shadow did not answer comparably. */
  readonly failed: number;
  /** Rows with a numeric difference, and the sum of those |differences|. */
  readonly diffCount: number;
  readonly diffSum: number;
}

/** One label's counts: [label, production rows, shadow rows]. */
export type LabelCount = readonly [label: string, production: number, shadow: number];

/**
 * The comparison of one shadow variant with production, as it accumulates: plain JSON,
 * compact enough for a DynamoDB item, and mergeable — `mergeAggregates` is associative
 * and commutative (exactly on counts and sketch bins; sums up to floating-point rounding),
 * so concurrent batches can each fold their own delta in under optimistic concurrency.
 *
 * Invariant: requestsMirrored = requestsCompared + productionErrors + Σ shadowErrors.
 */
export interface ComparisonAggregate {
  readonly version: 1;
  readonly config: ResolvedComparisonConfig;
  readonly requestsMirrored: number;
  readonly requestsCompared: number;
  /** Requests production failed (nothing to compare against; shadow outcome not counted). */
  readonly productionErrors: number;
  readonly shadowErrors: Readonly<Record<ShadowErrorKind, number>>;
  readonly rowsCompared: number;
  readonly rowsAgreed: number;
  /** Rows of requests the shadow failed to answer comparably (they count against it). */
  readonly rowsShadowFailed: number;
  /**
   * |production − shadow| per compared row: the value's difference (regression, max over a
   * vector), or the largest score difference when both sides give score vectors
   * (classification). Bare labels have no numeric difference and add nothing here.
   */
  readonly difference: SketchData;
  /** Classification: label counts on compared rows, sorted by label. */
  readonly labels?: { readonly counts: readonly LabelCount[]; readonly other: readonly [number, number] };
  /** Regression: each side's values on compared rows. */
  readonly values?: { readonly production: SketchData; readonly shadow: SketchData };
  readonly latencyMs: { readonly production: SketchData; readonly shadow: SketchData };
  readonly segments?: {
    readonly tallies: readonly SegmentTally[];
    readonly other: Omit<SegmentTally, 'value'>;
  };
}

/** What one mirrored request produced, from both sides. */
export interface ComparisonObservation {
  readonly eventId?: string;
  /** Production's per-row predictions (the first output's value per row). */
  readonly production?: readonly unknown[];
  /** Set when production failed: the request is counted, nothing is compared. */
  readonly productionError?: string;
  readonly productionLatencyMs?: number;
  /** The shadow's per-row predictions; absent when it failed. */
  readonly shadow?: readonly unknown[];
  /** Set when the shadow failed; its kind defaults to ModelError. */
  readonly shadowError?: string;
  readonly shadowErrorKind?: ShadowErrorKind;
  /** The shadow's latency, recorded whenever given (a timeout's too). */
  readonly shadowLatencyMs?: number;
  /** The request's rows, for the segment feature. */
  readonly rows?: readonly Instance[];
}

/** Base class of the comparison's own errors (not client-facing). */
export class ComparisonError extends Error {
  override readonly name: string = 'ComparisonError';
}

/** Two aggregates built under different configurations cannot be merged. */
export class IncompatibleAggregatesError extends ComparisonError {
  override readonly name = 'IncompatibleAggregatesError';
}

/**
 * Infers the task kind from a model's first output, for when the user did not say:
 * an integer, string or boolean element type, or rows that are vectors (class scores), mean
 * classification; real-valued scalars mean regression. Without the element type, the values
 * decide (all integers or strings: classification), which a regressor that happens to
 * answer whole numbers would fool — configure the kind when that can happen, and for binary
 * classifiers answering one probability per row, or multi-output regressors.
 * Infer once per experiment and keep the result: aggregates of different kinds do not merge.
 */
export function inferTaskKind(predictions: readonly unknown[], elementType?: string): TaskKind {
  if (elementType !== undefined && !/^float|^double|^bfloat/.test(elementType)) return 'classification';
  const rows = predictions.map(unwrapSingle);
  if (rows.some((row) => Array.isArray(row))) return 'classification';
  if (elementType !== undefined) return 'regression';
  return rows.length > 0 && rows.every((row) => typeof row !== 'number' || Number.isInteger(row))
    ? 'classification'
    : 'regression';
}

/** Fills defaults and checks a user's configuration (ValidationException on bad values). */
export function resolveComparisonConfig(
  config: ComparisonConfig & { readonly rule?: ComparisonRule },
): ResolvedComparisonConfig {
  const { kind, segment, rule } = config;
  if (kind !== 'classification' && kind !== 'regression') {
    throw new ValidationException(
      `Comparison kind must be classification or regression; got '${String(kind)}'.`,
    );
  }
  const absoluteTolerance = nonNegative(
    'AbsoluteTolerance',
    config.absoluteTolerance ?? DEFAULT_ABSOLUTE_TOLERANCE,
  );
  const relativeTolerance = nonNegative('RelativeTolerance', config.relativeTolerance ?? 0);
  const relativeAccuracy = config.relativeAccuracy ?? DEFAULT_RELATIVE_ACCURACY;
  if (!(relativeAccuracy > 0 && relativeAccuracy < 1)) {
    throw new ValidationException(`Sketch relative accuracy must be in (0, 1); got ${relativeAccuracy}.`);
  }
  return {
    kind,
    ...(rule && { rule }),
    absoluteTolerance,
    relativeTolerance,
    relativeAccuracy,
    ...(segment && { segment: resolveSegment(segment) }),
  };
}

function resolveSegment(segment: SegmentConfig): SegmentConfig {
  if (typeof segment.feature !== 'string' || segment.feature.length === 0) {
    throw new ValidationException('The segment feature needs a name.');
  }
  if (!Number.isInteger(segment.column) || segment.column < 0) {
    throw new ValidationException(`Segment column must be an integer ≥ 0; got ${segment.column}.`);
  }
  const edges = segment.edges;
  if (edges !== undefined) {
    if (edges.length === 0)
      throw new ValidationException('Segment edges, when given, need at least one value.');
    for (const [i, e] of edges.entries()) {
      if (!Number.isFinite(e) || (i > 0 && e <= (edges[i - 1] as number))) {
        throw new ValidationException(
          `Segment edges must be finite and strictly ascending; got [${edges.join(', ')}].`,
        );
      }
    }
  }
  return { feature: segment.feature, column: segment.column, ...(edges && { edges: [...edges] }) };
}

function nonNegative(name: string, value: number): number {
  if (!(Number.isFinite(value) && value >= 0)) {
    throw new ValidationException(`${name} must be a finite number ≥ 0; got ${value}.`);
  }
  return value;
}

/** An aggregate with nothing recorded yet. */
export function emptyAggregate(config: ComparisonConfig): ComparisonAggregate {
  return createAggregate(config, []);
}

/** Whether aggregates built under these configurations merge (the same, once resolved). */
export function sameComparisonConfig(
  a: ComparisonConfig & { readonly rule?: ComparisonRule },
  b: ComparisonConfig & { readonly rule?: ComparisonRule },
): boolean {
  return canonical(resolveComparisonConfig(a)) === canonical(resolveComparisonConfig(b));
}

/** Folds a batch of observations into a new aggregate (a delta to merge into the stored one). */
export function createAggregate(
  config: ComparisonConfig & { readonly rule?: ComparisonRule },
  observations: readonly ComparisonObservation[],
): ComparisonAggregate {
  const accumulator = new Accumulator(resolveComparisonConfig(config));
  for (const observation of observations) accumulator.add(observation);
  return accumulator.toAggregate();
}

/** `aggregate` with a batch of observations folded in. */
export function recordObservations(
  aggregate: ComparisonAggregate,
  observations: readonly ComparisonObservation[],
): ComparisonAggregate {
  return mergeAggregates(aggregate, createAggregate(aggregate.config, observations));
}

/**
 * The aggregate of both inputs' observations. Associative and commutative; throws
 * IncompatibleAggregatesError when the configurations differ.
 */
export function mergeAggregates(a: ComparisonAggregate, b: ComparisonAggregate): ComparisonAggregate {
  if (canonical(a.config) !== canonical(b.config)) {
    throw new IncompatibleAggregatesError(
      `Cannot merge comparisons with different configurations: ${canonical(a.config)} vs ${canonical(b.config)}`,
    );
  }
  const accuracy = a.config.relativeAccuracy;
  const shadowErrors = Object.fromEntries(
    SHADOW_ERROR_KINDS.map((kind) => [kind, a.shadowErrors[kind] + b.shadowErrors[kind]]),
  ) as Record<ShadowErrorKind, number>;
  return {
    version: 1,
    config: a.config,
    requestsMirrored: a.requestsMirrored + b.requestsMirrored,
    requestsCompared: a.requestsCompared + b.requestsCompared,
    productionErrors: a.productionErrors + b.productionErrors,
    shadowErrors,
    rowsCompared: a.rowsCompared + b.rowsCompared,
    rowsAgreed: a.rowsAgreed + b.rowsAgreed,
    rowsShadowFailed: a.rowsShadowFailed + b.rowsShadowFailed,
    difference: mergeSketches(a.difference, b.difference, accuracy),
    ...(a.labels &&
      b.labels && {
        labels: encodeLabels(
          addMaps(labelMap(a.labels.counts), labelMap(b.labels.counts), addPair),
          addPair(a.labels.other, b.labels.other),
        ),
      }),
    ...(a.values &&
      b.values && {
        values: {
          production: mergeSketches(a.values.production, b.values.production, accuracy),
          shadow: mergeSketches(a.values.shadow, b.values.shadow, accuracy),
        },
      }),
    latencyMs: {
      production: mergeSketches(a.latencyMs.production, b.latencyMs.production, accuracy),
      shadow: mergeSketches(a.latencyMs.shadow, b.latencyMs.shadow, accuracy),
    },
    ...(a.segments &&
      b.segments && {
        segments: encodeSegments(
          addMaps(segmentMap(a.segments.tallies), segmentMap(b.segments.tallies), addTally),
          addTally(a.segments.other, b.segments.other),
        ),
      }),
  };
}

type Tally = Omit<SegmentTally, 'value'>;
const EMPTY_TALLY: Tally = { rows: 0, agreed: 0, failed: 0, diffCount: 0, diffSum: 0 };

function addTally(a: Tally, b: Tally): Tally {
  return {
    rows: a.rows + b.rows,
    agreed: a.agreed + b.agreed,
    failed: a.failed + b.failed,
    diffCount: a.diffCount + b.diffCount,
    diffSum: a.diffSum + b.diffSum,
  };
}

function addPair(a: readonly [number, number], b: readonly [number, number]): [number, number] {
  return [a[0] + b[0], a[1] + b[1]];
}

function labelMap(counts: readonly LabelCount[]): Map<string, readonly [number, number]> {
  return new Map(counts.map(([label, p, s]) => [label, [p, s] as const]));
}

function segmentMap(tallies: readonly SegmentTally[]): Map<string, Tally> {
  return new Map(tallies.map(({ value, ...tally }) => [value, tally]));
}

function encodeLabels(
  counts: ReadonlyMap<string, readonly [number, number]>,
  other: readonly [number, number],
): NonNullable<ComparisonAggregate['labels']> {
  const capped = capByHash(counts, TRACKED_LABELS, other, addPair);
  return {
    counts: sortedKeys(capped.kept).map((label) => {
      const [p, s] = capped.kept.get(label) as readonly [number, number];
      return [label, p, s] as const;
    }),
    other: [capped.other[0], capped.other[1]],
  };
}

function encodeSegments(
  tallies: ReadonlyMap<string, Tally>,
  other: Tally,
): NonNullable<ComparisonAggregate['segments']> {
  const capped = capByHash(tallies, TRACKED_SEGMENTS, other, addTally);
  return {
    tallies: sortedKeys(capped.kept).map((value) => ({ value, ...(capped.kept.get(value) as Tally) })),
    other: capped.other,
  };
}

function sortedKeys(map: ReadonlyMap<string, unknown>): string[] {
  return [...map.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Stable JSON with sorted object keys, for comparing configurations. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/** One row's comparison, computed before anything is recorded so a bad request records nothing. */
interface RowComparison {
  readonly agreed: boolean;
  readonly diff?: number;
  readonly productionLabel?: string;
  readonly shadowLabel?: string;
  readonly productionValues?: readonly number[];
  readonly shadowValues?: readonly number[];
}

/** Mutable state for one batch; library sketches are fed directly and encoded once. */
class Accumulator {
  private requestsMirrored = 0;
  private requestsCompared = 0;
  private productionErrors = 0;
  private readonly shadowErrors: Record<ShadowErrorKind, number> = {
    ModelError: 0,
    Timeout: 0,
    MissingModel: 0,
    InvalidOutput: 0,
  };
  private rowsCompared = 0;
  private rowsAgreed = 0;
  private rowsShadowFailed = 0;
  private readonly difference: DDSketch;
  private readonly productionValues: DDSketch;
  private readonly shadowValues: DDSketch;
  private readonly productionLatency: DDSketch;
  private readonly shadowLatency: DDSketch;
  private readonly labels = new Map<string, [number, number]>();
  private readonly segments = new Map<string, Tally>();

  constructor(private readonly config: ResolvedComparisonConfig) {
    const accuracy = config.relativeAccuracy;
    this.difference = newSketch(accuracy);
    this.productionValues = newSketch(accuracy);
    this.shadowValues = newSketch(accuracy);
    this.productionLatency = newSketch(accuracy);
    this.shadowLatency = newSketch(accuracy);
  }

  add(observation: ComparisonObservation): void {
    this.requestsMirrored++;
    const { production, shadow } = observation;
    if (observation.productionError !== undefined || production === undefined) {
      this.productionErrors++;
      return;
    }
    if (observation.productionLatencyMs !== undefined) {
      acceptFinite(this.productionLatency, observation.productionLatencyMs);
    }
    if (observation.shadowLatencyMs !== undefined)
      acceptFinite(this.shadowLatency, observation.shadowLatencyMs);
    const segments = this.segmentsOf(observation.rows, production.length);

    let failure: ShadowErrorKind | undefined;
    let rows: RowComparison[] = [];
    if (
      observation.shadowError !== undefined ||
      observation.shadowErrorKind !== undefined ||
      shadow === undefined
    ) {
      failure = observation.shadowErrorKind ?? 'ModelError';
    } else if (shadow.length !== production.length) {
      failure = 'InvalidOutput';
    } else {
      for (let i = 0; i < production.length; i++) {
        const row = this.compareRow(production[i], shadow[i]);
        if (row === undefined) {
          failure = 'InvalidOutput';
          rows = [];
          break;
        }
        rows.push(row);
      }
    }

    if (failure !== undefined) {
      this.shadowErrors[failure]++;
      this.rowsShadowFailed += production.length;
      for (const segment of segments ?? []) this.tally(segment, { ...EMPTY_TALLY, failed: 1 });
      return;
    }
    this.requestsCompared++;
    for (const [i, row] of rows.entries()) this.recordRow(row, segments?.[i]);
  }

  private recordRow(row: RowComparison, segment: string | undefined): void {
    this.rowsCompared++;
    if (row.agreed) this.rowsAgreed++;
    if (row.diff !== undefined) acceptFinite(this.difference, row.diff);
    if (row.productionLabel !== undefined && row.shadowLabel !== undefined) {
      this.countLabel(row.productionLabel, 0);
      this.countLabel(row.shadowLabel, 1);
    }
    for (const v of row.productionValues ?? []) acceptFinite(this.productionValues, v);
    for (const v of row.shadowValues ?? []) acceptFinite(this.shadowValues, v);
    if (segment !== undefined) {
      this.tally(segment, {
        rows: 1,
        agreed: row.agreed ? 1 : 0,
        failed: 0,
        diffCount: row.diff === undefined ? 0 : 1,
        diffSum: row.diff ?? 0,
      });
    }
  }

  private countLabel(label: string, side: 0 | 1): void {
    let counts = this.labels.get(label);
    if (!counts) {
      counts = [0, 0];
      this.labels.set(label, counts);
    }
    counts[side]++;
  }

  private tally(segment: string, tally: Tally): void {
    const existing = this.segments.get(segment);
    this.segments.set(segment, existing ? addTally(existing, tally) : tally);
  }

  private compareRow(production: unknown, shadow: unknown): RowComparison | undefined {
    if (this.config.kind === 'classification') {
      const p = labelOf(production);
      const s = labelOf(shadow);
      if (p === undefined || s === undefined) return undefined;
      const diff =
        p.scores && s.scores && p.scores.length === s.scores.length
          ? maxAbsDiff(p.scores, s.scores)
          : undefined;
      return { agreed: p.label === s.label, diff, productionLabel: p.label, shadowLabel: s.label };
    }
    const p = numbersOf(production);
    const s = numbersOf(shadow);
    if (p === undefined || s === undefined || p.length !== s.length) return undefined;
    const { absoluteTolerance, relativeTolerance } = this.config;
    let agreed = true;
    for (let i = 0; i < p.length; i++) {
      const pi = p[i] as number;
      if (Math.abs(pi - (s[i] as number)) > absoluteTolerance + relativeTolerance * Math.abs(pi))
        agreed = false;
    }
    return { agreed, diff: maxAbsDiff(p, s), productionValues: p, shadowValues: s };
  }

  /** The segment of each row, or undefined when no breakdown is configured. */
  private segmentsOf(rows: readonly Instance[] | undefined, count: number): string[] | undefined {
    const config = this.config.segment;
    if (!config) return undefined;
    const out: string[] = [];
    for (let i = 0; i < count; i++) {
      const row = rows?.[i];
      const value = row === undefined ? undefined : featureAt(row, config.column);
      out.push(value === undefined ? MISSING_SEGMENT : segmentKey(value, config.edges));
    }
    return out;
  }

  toAggregate(): ComparisonAggregate {
    const { kind, segment } = this.config;
    return {
      version: 1,
      config: this.config,
      requestsMirrored: this.requestsMirrored,
      requestsCompared: this.requestsCompared,
      productionErrors: this.productionErrors,
      shadowErrors: { ...this.shadowErrors },
      rowsCompared: this.rowsCompared,
      rowsAgreed: this.rowsAgreed,
      rowsShadowFailed: this.rowsShadowFailed,
      difference: encodeOrEmpty(this.difference),
      ...(kind === 'classification' && { labels: encodeLabels(this.labels, [0, 0]) }),
      ...(kind === 'regression' && {
        values: {
          production: encodeOrEmpty(this.productionValues),
          shadow: encodeOrEmpty(this.shadowValues),
        },
      }),
      latencyMs: {
        production: encodeOrEmpty(this.productionLatency),
        shadow: encodeOrEmpty(this.shadowLatency),
      },
      ...(segment && { segments: encodeSegments(this.segments, EMPTY_TALLY) }),
    };
  }
}

function encodeOrEmpty(sketch: DDSketch): SketchData {
  return sketch.count === 0 ? EMPTY_SKETCH : encodeSketch(sketch);
}

/**
 * A row's label: an integer, string or boolean as is; a non-integer in (0, 1) is a binary
 * classifier's positive-class probability, labelled 1 at ≥ 0.5; a score vector gives its
 * argmax (first on ties). Anything else (e.g. a real value outside [0, 1]) is not a label.
 * A ClassifiedRow's label is read so, and its scores kept; without a label, its scores decide.
 */
function labelOf(value: unknown): { label: string; scores?: number[] } | undefined {
  if (isClassifiedRow(value)) {
    const scores = value.scores && numbersOf(value.scores);
    if (value.label === undefined) return scores && labelOf(scores);
    const label = labelOf(value.label);
    return label && !label.scores ? { label: label.label, ...(scores && { scores }) } : undefined;
  }
  const v = unwrapSingle(value);
  if (typeof v === 'string') return { label: v };
  if (typeof v === 'boolean') return { label: String(v) };
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return { label: String(v) };
    if (v > 0 && v < 1) return { label: v >= 0.5 ? '1' : '0', scores: [v] };
    return undefined;
  }
  const scores = numbersOf(v);
  if (scores === undefined || scores.length < 2) return undefined;
  let best = 0;
  for (let i = 1; i < scores.length; i++) if ((scores[i] as number) > (scores[best] as number)) best = i;
  return { label: String(best), scores };
}

function isClassifiedRow(value: unknown): value is ClassifiedRow {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * A row's values flattened, or undefined unless they are all finite numbers (at least one).
 * A classifier's row compared as a regression (configured so) gives its label, else its scores:
 * what the first output gave before models' outputs were read (a converter writes the label first).
 */
function numbersOf(value: unknown): number[] | undefined {
  if (isClassifiedRow(value)) return numbersOf(value.label ?? value.scores);
  const out: number[] = [];
  const walk = (v: unknown): boolean => {
    if (typeof v === 'number') {
      out.push(v);
      return Number.isFinite(v);
    }
    return Array.isArray(v) && v.every(walk);
  };
  return walk(value) && out.length > 0 ? out : undefined;
}

function maxAbsDiff(a: readonly number[], b: readonly number[]): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

/** The value at a flattened position of a row (a row may be a number or nested lists). */
function featureAt(row: Instance, column: number): number | undefined {
  if (!Array.isArray(row)) return column === 0 ? row : undefined;
  let index = 0;
  let found: number | undefined;
  const walk = (v: Instance): boolean => {
    if (Array.isArray(v)) return v.some(walk);
    if (index++ === column) {
      found = v;
      return true;
    }
    return false;
  };
  walk(row);
  return found;
}

function segmentKey(value: number, edges: readonly number[] | undefined): string {
  if (!edges) return String(value);
  const first = edges[0] as number;
  if (value < first) return `< ${first}`;
  for (let i = 1; i < edges.length; i++) {
    if (value < (edges[i] as number)) return `[${edges[i - 1]}, ${edges[i]})`;
  }
  return `>= ${edges[edges.length - 1]}`;
}
