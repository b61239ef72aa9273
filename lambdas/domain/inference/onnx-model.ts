import { createRequire } from 'node:module';
import type * as Ort from 'onnxruntime-node';
import { ModelError, ValidationError } from '../kernel/errors.js';
import { type BuiltInAnswer, builtInAnswerOf } from './built-in-answers.js';
import type { Instance, NamedOutput } from './payload.js';

// Loaded through require so that, in Lambda, the package resolves from the layer via
// NODE_PATH (ES module resolution ignores NODE_PATH).
const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof Ort;

type NumericType = 'float32' | 'float64' | 'int32' | 'int64' | 'int8' | 'uint8' | 'int16' | 'uint16';
const ARRAYS = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
} as const;
const INTEGER_RANGES: Partial<Record<NumericType, readonly [number, number]>> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
};

/**
 * How every model session is opened (benchmarks open their bare baselines with the same).
 * One thread for the operators and one for the graph: a Lambda function of 1,024 MB has about
 * 0.6 of a vCPU, yet onnxruntime sizes its thread pool by the cores it sees and its idle
 * threads spin-wait between runs, competing with the handler's own thread for the same CPU
 * time (measured in `npm run bench -- inference`).
 */
export const SESSION_OPTIONS: Ort.InferenceSession.SessionOptions = Object.freeze({
  graphOptimizationLevel: 'all',
  executionMode: 'sequential',
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
});

/** What a model expects as its (single) input: element type and per-row dimensions. */
export interface InputSpec {
  readonly name: string;
  readonly type: NumericType;
  /** Dimensions after the batch dimension; `undefined` where the model leaves one free. */
  readonly rowShape: readonly (number | undefined)[];
  /** Rows per request when the model fixes its batch dimension. */
  readonly fixedBatch?: number;
}

/** One of a model's outputs as its graph declares it. */
export interface OutputSpec {
  readonly name: string;
  /**
   * Element type of a tensor output ('int64', 'float32', 'string', ...); absent for a
   * non-tensor output (a sequence of maps, as scikit-learn's ZipMap writes probabilities).
   */
  readonly type?: string;
  /** A tensor output's declared dimensions, `undefined` where the model leaves one free. */
  readonly shape?: readonly (number | undefined)[];
}

/** A loaded ONNX model, ready to answer rows. Sessions are reused across requests. */
export class OnnxModel {
  /** The outputs `predict` returns: the tensor ones (onnxruntime-node cannot return others). */
  readonly outputNames: readonly string[];
  private readonly fetches?: readonly string[];

  private constructor(
    private readonly session: Ort.InferenceSession,
    readonly input: InputSpec,
    /** Every output the graph declares, tensors or not, in the graph's order. */
    readonly outputs: readonly OutputSpec[],
    /** A model a built-in algorithm trained answers as SageMaker's container does (built-in-answers.ts). */
    readonly answer?: BuiltInAnswer,
  ) {
    this.outputNames = outputs.filter((o) => o.type !== undefined).map((o) => o.name);
    // Asking for the tensor outputs by name only when there are others keeps the common run as it was.
    if (this.outputNames.length < outputs.length) this.fetches = this.outputNames;
  }

  /** Loads model bytes; throws a plain Error naming the problem when they are not usable ONNX. */
  static async load(bytes: Uint8Array): Promise<OnnxModel> {
    let session: Ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, SESSION_OPTIONS);
    } catch (error) {
      throw new Error(`not a valid ONNX model: ${firstLine((error as Error).message)}`, { cause: error });
    }
    const inputs = session.inputMetadata;
    if (inputs.length !== 1) {
      await session.release();
      throw new Error(
        `the model has ${inputs.length} inputs; Understudy serves models with exactly one input tensor`,
      );
    }
    const meta = inputs[0] as Ort.InferenceSession.ValueMetadata;
    if (!meta.isTensor || !(meta.type in ARRAYS || meta.type === 'int64')) {
      await session.release();
      throw new Error(
        `input '${meta.name}' has unsupported type ${meta.isTensor ? meta.type : 'non-tensor'}`,
      );
    }
    const [batch, ...rest] = meta.shape;
    const input: InputSpec = {
      name: meta.name,
      type: meta.type as NumericType,
      rowShape: rest.map((d) => (typeof d === 'number' && d >= 0 ? d : undefined)),
      fixedBatch: typeof batch === 'number' && batch > 0 ? batch : undefined,
    };
    if (meta.shape.length === 0) {
      await session.release();
      throw new Error(`input '${meta.name}' is a scalar; Understudy needs a batch dimension`);
    }
    const outputs = session.outputMetadata.map(
      (o): OutputSpec =>
        o.isTensor
          ? {
              name: o.name,
              type: o.type,
              shape: o.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : undefined)),
            }
          : { name: o.name },
    );
    if (!outputs.some((o) => o.type !== undefined)) {
      await session.release();
      throw new Error('the model has no tensor output; Understudy answers with tensor outputs');
    }
    const answer = builtInAnswerOf(
      bytes,
      outputs.map((o) => o.name),
    );
    return new OnnxModel(session, input, outputs, answer);
  }

  /** Checks rows against the input spec and flattens them into a tensor. */
  toTensor(instances: readonly Instance[]): Ort.Tensor {
    const { rowShape, type, fixedBatch } = this.input;
    if (fixedBatch !== undefined && instances.length !== fixedBatch) {
      throw new ValidationError(
        `The model takes exactly ${fixedBatch} row(s) per request; got ${instances.length}.`,
      );
    }
    // Free dimensions take the first row's size, and every row must agree.
    const shape = rowShape.slice();
    const first = instances[0];
    const size = first === undefined ? 0 : measure(first, shape, 0, 'row 1');
    const dims = [instances.length, ...(shape as number[])];
    const range = INTEGER_RANGES[type];
    if (range === undefined && type !== 'int64') {
      // Floating-point inputs take any finite number: straight into the tensor's own array.
      const data = new ARRAYS[type as Exclude<NumericType, 'int64'>](size * instances.length);
      flattenRows(instances, shape, data);
      return new ort.Tensor(type, data, dims);
    }
    const flat: number[] = new Array(size * instances.length);
    flattenRows(instances, shape, flat);
    if (range) {
      for (let i = 0; i < flat.length; i++) {
        const v = flat[i] as number;
        if (!Number.isInteger(v) || v < range[0] || v > range[1]) {
          throw new ValidationError(
            `row ${Math.floor(i / size) + 1}: value ${v} is not a valid ${type} (the model's input '${this.input.name}' is ${type}).`,
          );
        }
      }
    }
    if (type === 'int64')
      return new ort.Tensor(
        'int64',
        BigInt64Array.from(flat, (v) => BigInt(v)),
        dims,
      );
    return new ort.Tensor(type, ARRAYS[type].from(flat), dims);
  }

  /** Runs the model on rows; model failures become ModelError (424). */
  async predict(instances: readonly Instance[]): Promise<NamedOutput[]> {
    const tensor = this.toTensor(instances);
    let results: Ort.InferenceSession.ReturnType;
    try {
      const feeds = { [this.input.name]: tensor };
      results = await (this.fetches ? this.session.run(feeds, [...this.fetches]) : this.session.run(feeds));
    } catch (error) {
      throw new ModelError(`The model failed on this input: ${firstLine((error as Error).message)}`, {
        cause: error,
      });
    }
    return this.outputNames.map((name) => ({
      name,
      rows: toRows(results[name] as Ort.Tensor, instances.length),
    }));
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** Size of one row; fixes free dimensions from it; throws when the row's shape is wrong. */
function measure(value: Instance, shape: (number | undefined)[], depth: number, where: string): number {
  if (depth === shape.length) {
    if (Array.isArray(value)) throw new ValidationError(`${where}: expected a number, got a list.`);
    return 1;
  }
  if (!Array.isArray(value)) {
    throw new ValidationError(
      `${where}: expected a list of ${describeDim(shape[depth])} values, got a number.`,
    );
  }
  if (shape[depth] === undefined) shape[depth] = value.length;
  const first = value[0];
  return first === undefined ? 0 : value.length * measure(first, shape, depth + 1, where);
}

/** Every row's values, in order, into `out`; throws naming the first row whose shape is wrong. */
function flattenRows(
  instances: readonly Instance[],
  shape: readonly (number | undefined)[],
  out: { [index: number]: number },
): void {
  let offset = 0;
  for (let i = 0; i < instances.length; i++) {
    offset = flatten(instances[i] as Instance, shape, 0, i, out, offset);
  }
}

function flatten(
  value: Instance,
  shape: readonly (number | undefined)[],
  depth: number,
  row: number,
  out: { [index: number]: number },
  offset: number,
): number {
  if (depth === shape.length) {
    if (Array.isArray(value)) throw new ValidationError(`row ${row + 1}: expected a number, got a list.`);
    out[offset] = value;
    return offset + 1;
  }
  const expected = shape[depth] as number;
  if (!Array.isArray(value) || value.length !== expected) {
    const got = Array.isArray(value) ? `${value.length} values` : 'a number';
    const what = depth === 0 ? 'features' : `values at depth ${depth + 1}`;
    throw new ValidationError(`row ${row + 1}: the model expects ${expected} ${what}, got ${got}.`);
  }
  let next = offset;
  for (let i = 0; i < value.length; i++)
    next = flatten(value[i] as Instance, shape, depth + 1, row, out, next);
  return next;
}

function describeDim(dim: number | undefined): string {
  return dim === undefined ? 'any number of' : String(dim);
}

/** Splits an output tensor into per-row nested arrays of plain numbers (or strings). */
function toRows(tensor: Ort.Tensor, rowCount: number): unknown[] {
  const data = tensor.data as ArrayLike<number | bigint | string | boolean>;
  const values: unknown[] = new Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    values[i] = typeof v === 'bigint' ? Number(v) : v;
  }
  const dims = tensor.dims;
  if (dims[0] !== rowCount) return [nest(values, dims.slice())];
  if (dims.length === 1) return values;
  const rest = dims.slice(1);
  let perRow = 1;
  for (const d of rest) perRow *= d;
  const rows: unknown[] = new Array(rowCount);
  for (let r = 0; r < rowCount; r++) rows[r] = nest(values.slice(r * perRow, (r + 1) * perRow), rest);
  return rows;
}

function nest(values: unknown[], dims: readonly number[]): unknown {
  if (dims.length <= 1) return values;
  const [, ...inner] = dims;
  const size = inner.reduce((a, b) => a * b, 1);
  const out: unknown[] = [];
  for (let i = 0; i < values.length; i += size) out.push(nest(values.slice(i, i + size), inner));
  return out;
}

function firstLine(message: string): string {
  return message.split('\n', 1)[0] ?? message;
}
