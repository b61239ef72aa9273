/**
 * The answers of SageMaker's built-in algorithm containers, for models Understudy's training
 * jobs trained with them: a notebook that parses what SageMaker's `linear-learner` or `xgboost`
 * endpoint answers runs unchanged against the model Understudy trained in their place.
 *
 * - linear-learner (docs: "Linear learner response formats"): JSON
 *   `{"predictions": [{"score": p, "predicted_label": k}]}` for a binary classifier (`score` the
 *   probability of class 1), `score` the class probabilities for a multiclass one, `{"score": y}`
 *   for a regressor. JSON is its default answer; asked for CSV it answers Understudy's CSV.
 * - xgboost (sagemaker-xgboost-container's `serve.py`): CSV by default (no Accept, or a
 *   wildcard), one row a line — the prediction of reg:squarederror, the probability of class 1
 *   of binary:logistic, the class probabilities of multi:softprob comma-separated; JSON
 *   `{"predictions": [{"score": ...}]}` with the same values.
 *
 * A trained model says which it is in its ONNX `metadata_props` (ANSWER_FORMAT_KEY, written by
 * the training job); the endpoint reads it once when it loads the model and picks one formatter.
 * Every other model answers as before. onnxruntime-node does not expose metadata_props, so the
 * few top-level fields of the ModelProto are walked here (the graph is skipped by its length,
 * never decoded): a dozen lines of protobuf's wire format rather than protobufjs in the invoke
 * function's bundle, whose size its cold start pays for.
 */
import { mediaType } from '../kernel/media-type.js';
import { CSV, JSON_TYPE, type NamedOutput, type ResponseType } from './payload.js';

/** The ModelProto metadata key naming the built-in algorithm whose answers a model gives. */
export const ANSWER_FORMAT_KEY = 'understudy.sagemaker_answer_format';

export type AnswerFormat =
  | {
      readonly algorithm: 'linear-learner';
      readonly variant: 'regressor' | 'binary_classifier' | 'multiclass_classifier';
    }
  | {
      readonly algorithm: 'xgboost';
      readonly variant: 'reg:squarederror' | 'binary:logistic' | 'multi:softprob';
    };

/** The metadata value for a format: `algorithm/variant`, e.g. `xgboost/binary:logistic`. */
export function answerFormatValue(format: AnswerFormat): string {
  return `${format.algorithm}/${format.variant}`;
}

/** How a built-in model's answer is negotiated and written. */
export interface BuiltInAnswer {
  readonly format: AnswerFormat;
  /** The response type for an Accept header the data plane already accepted. */
  responseType(accept: string | undefined, negotiated: ResponseType): ResponseType;
  encode(outputs: readonly NamedOutput[], type: ResponseType, fallback: () => string): string;
}

/**
 * The formatter a model's bytes ask for, or undefined for an ordinary model (no such metadata,
 * an unknown value, or outputs other than the ones the training job writes).
 */
export function builtInAnswerOf(
  modelBytes: Uint8Array,
  outputNames: readonly string[],
): BuiltInAnswer | undefined {
  const value = modelMetadata(modelBytes, ANSWER_FORMAT_KEY);
  if (value === undefined) return undefined;
  const slash = value.indexOf('/');
  const algorithm = value.slice(0, slash);
  const variant = value.slice(slash + 1);
  const has = (...names: string[]) => names.every((n) => outputNames.includes(n));
  if (algorithm === 'linear-learner') {
    if (variant === 'regressor' && has('score')) return linearLearner({ algorithm, variant });
    if (
      (variant === 'binary_classifier' || variant === 'multiclass_classifier') &&
      has('label', 'probabilities')
    )
      return linearLearner({ algorithm, variant });
  }
  if (algorithm === 'xgboost') {
    if (variant === 'reg:squarederror' && has('score')) return xgboost({ algorithm, variant });
    if ((variant === 'binary:logistic' || variant === 'multi:softprob') && has('probabilities'))
      return xgboost({ algorithm, variant });
  }
  return undefined;
}

function rowsOf(outputs: readonly NamedOutput[], name: string): readonly unknown[] {
  return outputs.find((o) => o.name === name)?.rows ?? [];
}

/** A `[N, 1]` output's row as its number. */
function single(row: unknown): unknown {
  return Array.isArray(row) ? row[0] : row;
}

function linearLearner(format: Extract<AnswerFormat, { algorithm: 'linear-learner' }>): BuiltInAnswer {
  return {
    format,
    responseType: (_accept, negotiated) => negotiated,
    encode(outputs, type, fallback) {
      if (type !== JSON_TYPE) return fallback();
      if (format.variant === 'regressor') {
        return JSON.stringify({
          predictions: rowsOf(outputs, 'score').map((row) => ({ score: single(row) })),
        });
      }
      const labels = rowsOf(outputs, 'label');
      const probabilities = rowsOf(outputs, 'probabilities') as readonly (readonly number[])[];
      const binary = format.variant === 'binary_classifier';
      return JSON.stringify({
        predictions: probabilities.map((p, r) => ({ score: binary ? p[1] : p, predicted_label: labels[r] })),
      });
    },
  };
}

function xgboost(format: Extract<AnswerFormat, { algorithm: 'xgboost' }>): BuiltInAnswer {
  const scores = (outputs: readonly NamedOutput[]): readonly unknown[] => {
    if (format.variant === 'reg:squarederror') return rowsOf(outputs, 'score').map(single);
    const probabilities = rowsOf(outputs, 'probabilities') as readonly (readonly number[])[];
    return format.variant === 'binary:logistic' ? probabilities.map((p) => p[1]) : probabilities;
  };
  return {
    format,
    // The container answers text/csv when no Accept, or */*, is sent (SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT unset).
    responseType: (accept, negotiated) => {
      const first = mediaType(accept?.split(',', 1)[0]);
      return first === '' || first === '*/*' ? CSV : negotiated;
    },
    encode(outputs, type) {
      const values = scores(outputs);
      if (type === JSON_TYPE) return JSON.stringify({ predictions: values.map((score) => ({ score })) });
      // As sagemaker-containers' array_to_csv writes predictions: one row a line, "\n" after each.
      return values.map((v) => `${Array.isArray(v) ? v.join(',') : String(v)}\n`).join('');
    },
  };
}

/**
 * The value of one `metadata_props` entry (ModelProto field 14, StringStringEntryProto
 * {key = 1, value = 2}), walking only the ModelProto's top-level fields. Undefined when absent
 * or when the bytes are not a well-formed message (the model's loader reports those).
 */
export function modelMetadata(bytes: Uint8Array, wanted: string): string | undefined {
  const decoder = new TextDecoder();
  const reader = { pos: 0 };
  const varint = (): number => {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const byte = bytes[reader.pos++];
      if (byte === undefined) throw new RangeError('truncated');
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    throw new RangeError('varint too long');
  };
  /** Skips one field's value of the given wire type; returns [start, end) of a length-delimited one. */
  const skip = (wireType: number): [number, number] | undefined => {
    if (wireType === 0) varint();
    else if (wireType === 1) reader.pos += 8;
    else if (wireType === 5) reader.pos += 4;
    else if (wireType === 2) {
      const length = varint();
      const start = reader.pos;
      reader.pos += length;
      if (reader.pos > bytes.length) throw new RangeError('truncated');
      return [start, reader.pos];
    } else throw new RangeError(`wire type ${wireType}`);
    return undefined;
  };
  try {
    while (reader.pos < bytes.length) {
      const tag = varint();
      const span = skip(tag % 8);
      if (Math.floor(tag / 8) !== 14 || !span) continue;
      const end = reader.pos;
      reader.pos = span[0];
      let key: string | undefined;
      let value = '';
      while (reader.pos < span[1]) {
        const inner = varint();
        const field = skip(inner % 8);
        if (!field) continue;
        const text = decoder.decode(bytes.subarray(field[0], field[1]));
        if (Math.floor(inner / 8) === 1) key = text;
        else if (Math.floor(inner / 8) === 2) value = text;
      }
      reader.pos = end;
      if (key === wanted) return value;
    }
  } catch {
    return undefined;
  }
  return undefined;
}
