/**
 * A shadow against production on the same labelled events: both variants' captures of a window
 * (the shadow's are written beside production's, under its own variant, with the same eventId
 * and inferenceId), each joined with the ground truth as a monitoring execution joins it, paired
 * on the event. Classification: who was right, McNemar's test (`compareClassifiers`); regression:
 * the per-event difference of squared errors, the paired t-test (`compareRegressors`). Paired
 * tests because both models answered the very same requests: the event-to-event variation
 * cancels, which makes them far more sensitive than comparing two accuracies as if independent.
 */

import type { ObjectStore } from '../kernel/ports.js';
import { captureFiles, mapLimited } from '../model-monitor/execution-support.js';
import { parseCaptures } from '../model-monitor/model-quality-run.js';
import {
  type CapturedPrediction,
  type GroundTruthFile,
  joinGroundTruth,
  type Label,
  labelFor,
} from '../model-quality/ground-truth.js';
import type { ProblemType } from '../model-quality/metrics.js';
import {
  addDifference,
  type ClassificationComparison,
  compareClassifiers,
  compareRegressors,
  EMPTY_MOMENTS,
  type PairedCorrectness,
  type RegressionComparison,
  squaredErrorDifference,
} from '../stats/paired.js';

/** The prediction an Understudy answer holds for its one row: the first output's value. */
export function answerPrediction(payload: { data: string; contentType: string }): unknown {
  if (!payload.contentType.includes('json')) {
    const lines = payload.data.split('\n').filter((l) => l.trim() !== '');
    return lines.length === 1 ? lines[0]?.split(',')[0]?.trim() : undefined;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(payload.data);
  } catch {
    return undefined;
  }
  let value =
    doc && typeof doc === 'object' && !Array.isArray(doc)
      ? (doc as { predictions?: unknown }).predictions
      : doc;
  while (Array.isArray(value) && value.length === 1) value = value[0];
  return Array.isArray(value) ? undefined : value;
}

/** The captured predictions of one variant in the window (epoch seconds, [start, end)). */
export async function capturedPredictions(
  objects: ObjectStore,
  destination: string,
  endpoint: string,
  variant: string,
  window: { start: number; end: number },
): Promise<CapturedPrediction<unknown>[]> {
  const files = await captureFiles(objects, destination, endpoint, [variant], window);
  const texts = await mapLimited(files, 8, async (uri) => (await objects.getText(uri)) ?? '');
  // Lines that are not capture records, or hold no readable answer, are not predictions; the
  // monitor counts those.
  return parseCaptures(texts.join('\n'), answerPrediction).captures;
}

export interface PairedQuality {
  /** Labelled events both variants answered. */
  readonly pairedEvents: number;
  /** Labelled events only one side has a capture for (sampling, a shadow that failed). */
  readonly unpairedEvents: number;
  readonly comparison: ClassificationComparison | RegressionComparison;
  readonly test: string;
}

/** Production and shadow on the labelled events they share, under the problem type. */
export function pairOnLabels(
  problemType: ProblemType,
  production: readonly CapturedPrediction<unknown>[],
  shadow: readonly CapturedPrediction<unknown>[],
  labels: readonly GroundTruthFile[],
  alpha = 0.05,
): PairedQuality {
  const prod = new Map(joinGroundTruth(production, labels).joined.map((j) => [j.eventId, j]));
  const shad = new Map(joinGroundTruth(shadow, labels).joined.map((j) => [j.eventId, j]));
  const shared = [...prod.keys()].filter((id) => shad.has(id));
  const unpairedEvents = prod.size + shad.size - 2 * shared.length;
  if (problemType === 'Regression') {
    let moments = EMPTY_MOMENTS;
    for (const id of shared) {
      const p = prod.get(id);
      const s = shad.get(id);
      const y = numberOf(p?.label);
      const a = numberOf(p?.prediction);
      const b = numberOf(s?.prediction);
      if (y === undefined || a === undefined || b === undefined) continue;
      moments = addDifference(moments, squaredErrorDifference(y, a, b));
    }
    return {
      pairedEvents: moments.count,
      unpairedEvents,
      comparison: compareRegressors(moments, { alpha }),
      test: "paired t-test on per-event squared-error differences (shadow − production): both models' errors on the same events",
    };
  }
  const same = (prediction: unknown, label: Label, eventId: string) => {
    if (problemType === 'BinaryClassification') {
      try {
        return (
          labelFor('BinaryClassification', prediction as Label, eventId) ===
          labelFor(problemType, label, eventId)
        );
      } catch {
        return false;
      }
    }
    return String(prediction) === String(label);
  };
  const table = { bothCorrect: 0, productionOnlyCorrect: 0, shadowOnlyCorrect: 0, neitherCorrect: 0 };
  for (const id of shared) {
    const p = prod.get(id);
    const s = shad.get(id);
    if (!p || !s) continue;
    const a = same(p.prediction, p.label, id);
    const b = same(s.prediction, p.label, id);
    if (a && b) table.bothCorrect++;
    else if (a) table.productionOnlyCorrect++;
    else if (b) table.shadowOnlyCorrect++;
    else table.neitherCorrect++;
  }
  const comparison = compareClassifiers(table as PairedCorrectness, { alpha });
  return {
    pairedEvents: comparison.events,
    unpairedEvents,
    comparison,
    test: `McNemar's test on who was right (${comparison.test.method}): only the events where the models disagree decide`,
  };
}

function numberOf(value: unknown): number | undefined {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && value.trim() !== ''
        ? Number(value)
        : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
}
