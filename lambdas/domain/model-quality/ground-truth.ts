/**
 * Ground truth in SageMaker's format and layout, and its join with captured predictions.
 *
 * A label file is JSON lines of `{"groundTruthData": {"data", "encoding"}, "eventMetadata":
 * {"eventId"}, "eventVersion": "0"}` under `{prefix}/{endpoint}/{variant?}/yyyy/mm/dd/hh/` by the
 * hour the labels were collected. `eventId` names the capture: its inferenceId when the request
 * carried one, else its eventId. Labels come late (an execution reads the hours of its window),
 * more than once (the last collected wins: files in key order, which starts with the time, then
 * lines in order) or for events never captured — each of these is counted, none dropped silently.
 */

import { captureKey } from '../data-capture/capture-record.js';
import { ValidationException } from '../kernel/errors.js';
import type { ProblemType } from './metrics.js';

/** A label as a client sends it. */
export type Label = number | string | boolean;

/** One line of a ground-truth file. */
export interface GroundTruthRecord {
  readonly groundTruthData: { readonly data: string; readonly encoding: 'CSV' | 'JSON' };
  readonly eventMetadata: { readonly eventId: string };
  readonly eventVersion: '0';
}

/** The record of one label: numbers and strings as CSV text (SageMaker's usual), booleans as JSON. */
export function groundTruthRecord(eventId: string, label: Label): GroundTruthRecord {
  const data =
    typeof label === 'boolean'
      ? { data: JSON.stringify(label), encoding: 'JSON' as const }
      : { data: String(label), encoding: 'CSV' as const };
  return { groundTruthData: data, eventMetadata: { eventId }, eventVersion: '0' };
}

/** `{prefix}/{endpoint}/yyyy/mm/dd/hh/{mm-ss-SSS}-{unique}.jsonl`: the capture layout without a variant. */
export function groundTruthKey(prefix: string, endpoint: string, collectedAt: Date, unique: string): string {
  return captureKey(prefix, endpoint, '', collectedAt, unique);
}

/** One ground-truth file as read from S3. */
export interface GroundTruthFile {
  readonly key: string;
  readonly text: string;
}

/** A capture reduced to what the join needs; `prediction` is whatever the caller extracted. */
export interface CapturedPrediction<P> {
  readonly eventId: string;
  readonly inferenceId?: string;
  readonly prediction: P;
}

export interface JoinedPrediction<P> {
  readonly eventId: string;
  readonly prediction: P;
  /** The label's text as the file holds it (CSV) or its JSON value. */
  readonly label: Label;
}

/** What the join saw, for the execution's output: nothing is dropped without being counted. */
export interface JoinCounts {
  readonly captures: number;
  readonly labels: number;
  /** Captures with a label: the item count of the metrics. */
  readonly joined: number;
  /** Captures in the window that have no label (yet). */
  readonly unlabelledCaptures: number;
  /** Labels whose eventId names no capture in the window. */
  readonly labelsWithoutCapture: number;
  /** A few of those ids, to look for. */
  readonly labelsWithoutCaptureSample: readonly string[];
  /** Labels replaced by a later one for the same event. */
  readonly supersededLabels: number;
  /** Lines that are not ground-truth records. */
  readonly malformedLabelLines: number;
}

const SAMPLE = 10;

/**
 * Joins captured predictions with labels: a label's eventId matches a capture's inferenceId,
 * else its eventId; the last label collected for an event wins.
 */
export function joinGroundTruth<P>(
  captures: readonly CapturedPrediction<P>[],
  files: readonly GroundTruthFile[],
): { joined: JoinedPrediction<P>[]; counts: JoinCounts } {
  const latest = new Map<string, Label>();
  let labels = 0;
  let superseded = 0;
  let malformed = 0;
  for (const file of [...files].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
    for (const line of file.text.split('\n')) {
      if (line.trim() === '') continue;
      const parsed = parseLine(line);
      if (!parsed) {
        malformed++;
        continue;
      }
      labels++;
      if (latest.has(parsed.eventId)) superseded++;
      latest.set(parsed.eventId, parsed.label);
    }
  }
  const claimed = new Set<string>();
  const joined: JoinedPrediction<P>[] = [];
  for (const capture of captures) {
    const id = [capture.inferenceId, capture.eventId].find((k) => k !== undefined && latest.has(k));
    if (id === undefined) continue;
    claimed.add(id);
    joined.push({ eventId: capture.eventId, prediction: capture.prediction, label: latest.get(id) as Label });
  }
  const orphans = [...latest.keys()].filter((id) => !claimed.has(id));
  return {
    joined,
    counts: {
      captures: captures.length,
      labels,
      joined: joined.length,
      unlabelledCaptures: captures.length - joined.length,
      labelsWithoutCapture: orphans.length,
      labelsWithoutCaptureSample: orphans.slice(0, SAMPLE),
      supersededLabels: superseded,
      malformedLabelLines: malformed,
    },
  };
}

function parseLine(line: string): { eventId: string; label: Label } | undefined {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return undefined;
  }
  const r = record as Partial<GroundTruthRecord> | null;
  const eventId = r?.eventMetadata?.eventId;
  const data = r?.groundTruthData?.data;
  if (typeof eventId !== 'string' || eventId === '' || typeof data !== 'string') return undefined;
  if (r?.groundTruthData?.encoding !== 'JSON') return { eventId, label: data.trim() };
  try {
    const value: unknown = JSON.parse(data);
    return typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean'
      ? { eventId, label: value }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A label as the problem type needs it: 0 or 1 for binary classification (also "0"/"1",
 * true/false), a class name for multiclass, a finite number for regression. Anything else is
 * a ValidationException naming the event, so a mislabelled stream fails loudly.
 */
export function labelFor(problemType: 'BinaryClassification', label: Label, eventId: string): 0 | 1;
export function labelFor(problemType: 'MulticlassClassification', label: Label, eventId: string): string;
export function labelFor(problemType: 'Regression', label: Label, eventId: string): number;
export function labelFor(problemType: ProblemType, label: Label, eventId: string): number | string;
export function labelFor(problemType: ProblemType, label: Label, eventId: string): number | string {
  switch (problemType) {
    case 'BinaryClassification': {
      const text = String(label).trim().toLowerCase();
      if (text === '1' || text === 'true' || text === '1.0') return 1;
      if (text === '0' || text === 'false' || text === '0.0') return 0;
      throw new ValidationException(
        `The label of event ${eventId} is ${JSON.stringify(label)}; BinaryClassification needs 0 or 1.`,
      );
    }
    case 'MulticlassClassification':
      if (typeof label === 'boolean')
        throw new ValidationException(
          `The label of event ${eventId} is ${label}; MulticlassClassification needs a class name or number.`,
        );
      return String(label);
    case 'Regression': {
      const value =
        typeof label === 'number'
          ? label
          : typeof label === 'string' && label.trim() !== ''
            ? Number(label)
            : Number.NaN;
      if (!Number.isFinite(value))
        throw new ValidationException(
          `The label of event ${eventId} is ${JSON.stringify(label)}; Regression needs a number.`,
        );
      return value;
    }
  }
}
