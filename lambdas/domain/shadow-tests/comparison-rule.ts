import type { OutputSpec } from '../inference/onnx-model.js';
import { type NamedOutput, predictionsOf } from '../inference/payload.js';
import type { ComparisonConfig, TaskKind } from '../kernel/records.js';
import type { ClassifiedRow, ComparisonRule, ModelDescription } from './aggregate.js';
import { unwrapSingle } from './unwrap.js';

/**
 * What a model's declared ONNX outputs say it is: a classifier (a label output and/or class
 * probabilities) or a regressor (a numeric output), and which outputs the comparison reads.
 */
export interface ModelTask extends ModelDescription {
  /** Classification: the output holding the predicted label. */
  readonly label?: string;
  /** Classification: the output holding class probabilities (absent from answers when a ZipMap). */
  readonly probabilities?: string;
  /** Regression: the output holding the value. */
  readonly value?: string;
}

const FLOAT = /^float|^double|^bfloat/;
/** Converters name probability outputs so: skl2onnx `output_probability`, onnxmltools and XGBoost `probabilities`. */
const PROBABILITY_NAME = /prob/i;

const inferred = new WeakMap<readonly OutputSpec[], ModelTask | undefined>();

/**
 * Reads a model's task from its graph's outputs, as scikit-learn (skl2onnx, with or without
 * ZipMap), LightGBM and XGBoost (onnxmltools) write classifiers: an integer, string or boolean
 * tensor is the label; a sequence of maps, or a float tensor beside a label or named for
 * probabilities, holds the class probabilities. Without either, the first numeric tensor is a
 * regression's value. Memoized per model (the data plane asks on every mirrored request).
 */
export function inferModelTask(outputs: readonly OutputSpec[]): ModelTask | undefined {
  if (inferred.has(outputs)) return inferred.get(outputs);
  const task = readTask(outputs);
  inferred.set(outputs, task);
  return task;
}

function readTask(outputs: readonly OutputSpec[]): ModelTask | undefined {
  const label = outputs.find((o) => o.type !== undefined && !FLOAT.test(o.type));
  const floats = outputs.filter((o) => o.type !== undefined && FLOAT.test(o.type));
  const probabilities =
    outputs.find((o) => o.type === undefined) ??
    floats.find((o) => PROBABILITY_NAME.test(o.name)) ??
    (label ? floats[0] : undefined);
  if (label || probabilities) {
    const read = [label, probabilities].filter((o): o is OutputSpec => o !== undefined);
    return {
      kind: 'classification',
      outputs: read.map(describeOutput).join(' + '),
      ...(label && { label: label.name }),
      ...(probabilities && { probabilities: probabilities.name }),
    };
  }
  const value = floats[0];
  return value && { kind: 'regression', outputs: describeOutput(value), value: value.name };
}

/** `name (int64 [N])`, `name (float [N,2])`, `name (sequence of maps)`. */
function describeOutput(output: OutputSpec): string {
  if (output.type === undefined) return `${output.name} (sequence of maps)`;
  const type = output.type === 'float32' ? 'float' : output.type;
  const shape = output.shape?.map((d, i) => (d === undefined || (i === 0 && d === 1) ? 'N' : d)).join(',');
  return `${output.name} (${type}${shape ? ` [${shape}]` : ''})`;
}

/**
 * Per-row values the comparison reads from a model's answer under its task: a classifier's
 * label and/or class scores ({label, scores}), a regressor's value. Probabilities a model
 * declared but did not return (a ZipMap, which onnxruntime-node cannot fetch) are left out.
 */
export function comparableRows(task: ModelTask | undefined, outputs: readonly NamedOutput[]): unknown[] {
  const rowsOf = (name: string | undefined) => outputs.find((o) => o.name === name)?.rows;
  if (task?.kind === 'classification') {
    const labels = rowsOf(task.label);
    const scores = rowsOf(task.probabilities);
    const count = labels?.length ?? scores?.length;
    if (count !== undefined) {
      // Whether these are a label and scores is the aggregate's to check (labelOf).
      return Array.from({ length: count }, (_, i): ClassifiedRow => {
        const label = labels ? (unwrapSingle(labels[i]) as ClassifiedRow['label']) : undefined;
        const row = scores ? ([scores[i]].flat(Number.POSITIVE_INFINITY) as number[]) : undefined;
        return { ...(label !== undefined && { label }), ...(row && { scores: row }) };
      });
    }
  }
  if (task?.kind === 'regression') {
    const values = rowsOf(task.value);
    if (values) return values.map(unwrapSingle);
  }
  return predictionsOf(outputs);
}

const KIND_NAME: Record<TaskKind, string> = { classification: 'a classifier', regression: 'a regressor' };

/**
 * The comparison's configuration and the rule it follows, for a comparison's first delta.
 * A configured kind (ConfigureShadowComparison) wins. Otherwise production's declared outputs
 * decide; when the shadow's say otherwise (say a regressor shadowing a classifier), production's
 * kind still rules, as production's answers are what clients get: shadow rows that cannot be
 * read that way count as InvalidOutput, so such a shadow is reported Different. Without the
 * models' outputs (a message from before they were carried), `fromPredictions` decides.
 */
export function decideComparison(
  production: ModelTask | undefined,
  shadow: ModelTask | undefined,
  configured: ComparisonConfig | undefined,
  fromPredictions: () => ComparisonConfig,
): ComparisonConfig & { readonly rule: ComparisonRule } {
  const models = {
    ...(production && { production: describe(production) }),
    ...(shadow && { shadow: describe(shadow) }),
  };
  if (configured) {
    const suggested = production && production.kind !== configured.kind ? production.kind : undefined;
    return {
      ...configured,
      rule: {
        source: 'ConfigureShadowComparison',
        inferredFrom:
          `ConfigureShadowComparison set TaskKind ${configured.kind}` +
          (suggested ? ` (production's ONNX outputs would make it ${suggested})` : ''),
        ...models,
      },
    };
  }
  if (!production) {
    return {
      ...fromPredictions(),
      rule: {
        source: 'Predictions',
        inferredFrom:
          "production's predictions, its ONNX outputs being unknown: all integers read as labels, anything else as regression values",
        ...models,
      },
    };
  }
  let inferredFrom: string;
  if (shadow && shadow.outputs === production.outputs && shadow.kind === production.kind) {
    inferredFrom = `ONNX outputs ${production.outputs} of both models`;
  } else if (!shadow) {
    inferredFrom = `production's ONNX outputs ${production.outputs} (the shadow's model could not be read)`;
  } else if (shadow.kind === production.kind) {
    inferredFrom = `ONNX outputs of production ${production.outputs} and of the shadow ${shadow.outputs}`;
  } else {
    inferredFrom =
      `production is ${KIND_NAME[production.kind]} (ONNX outputs ${production.outputs}) but the shadow ` +
      `${KIND_NAME[shadow.kind]} (${shadow.outputs}): compared as production's kind; shadow rows that ` +
      'cannot be read so count as InvalidOutput';
  }
  return { kind: production.kind, rule: { source: 'ModelOutputs', inferredFrom, ...models } };
}

function describe(task: ModelTask): ModelDescription {
  return { kind: task.kind, outputs: task.outputs };
}
