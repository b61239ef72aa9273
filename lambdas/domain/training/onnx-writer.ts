/**
 * Writing an ONNX ModelProto with `onnx-proto` (ONNX's own protobuf definition, compiled): the
 * few builders every built-in algorithm's exporter needs — node attributes, float constants,
 * tensor value infos, the model with its opsets and metadata — so that exporters say only which
 * operators they use. Only the serialization is ours; the schema is ONNX's.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/**
 * IR 8 (ONNX 1.10, the version `onnx-proto` 8 compiles) loads in every onnxruntime since 1.10;
 * see scripts/fixtures/make-test-models.py.
 */
export const IR_VERSION = 8;
/** `ai.onnx.ml` 3 holds TreeEnsembleRegressor/Classifier and LinearRegressor/Classifier as onnxruntime runs them. */
export const ML_OPSET = { domain: 'ai.onnx.ml', version: 3 };
/** ONNX 13: Softmax over one axis, ArgMax, Concat as the linear graph uses them. */
export const DEFAULT_OPSET = { domain: '', version: 13 };

export const ElementType = {
  FLOAT: onnx.TensorProto.DataType.FLOAT,
  INT64: onnx.TensorProto.DataType.INT64,
} as const;

export type AttributeValue = number | string | readonly number[] | readonly string[];
export type NodeSpec = onnxProto.onnx.INodeProto;
export type TensorSpec = onnxProto.onnx.ITensorProto;

const encoder = new TextEncoder();

/**
 * One node attribute. A number is an INT when `kind` says so, else a FLOAT; arrays likewise.
 * (ONNX tells ints from floats by the attribute's declared type, so the caller must.)
 */
export function attribute(
  name: string,
  value: AttributeValue,
  kind: 'int' | 'float' | 'string' = typeof value === 'string' ? 'string' : 'float',
): onnxProto.onnx.IAttributeProto {
  const { AttributeType } = onnx.AttributeProto;
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: encoder.encode(value) };
  if (typeof value === 'number') {
    return kind === 'int'
      ? { name, type: AttributeType.INT, i: value }
      : { name, type: AttributeType.FLOAT, f: value };
  }
  if (kind === 'string') {
    return {
      name,
      type: AttributeType.STRINGS,
      strings: (value as readonly string[]).map((s) => encoder.encode(s)),
    };
  }
  const numbers = value as readonly number[];
  return kind === 'int'
    ? { name, type: AttributeType.INTS, ints: [...numbers] }
    : { name, type: AttributeType.FLOATS, floats: [...numbers] };
}

/** A node of the default domain (or `domain`); attributes already built with `attribute`. */
export function node(
  opType: string,
  inputs: readonly string[],
  outputs: readonly string[],
  attributes: readonly onnxProto.onnx.IAttributeProto[] = [],
  domain = '',
): NodeSpec {
  return { opType, input: [...inputs], output: [...outputs], attribute: [...attributes], domain };
}

/** A float32 constant (an initializer) of the given shape. */
export function floatTensor(name: string, dims: readonly number[], values: ArrayLike<number>): TensorSpec {
  return { name, dims: [...dims], dataType: ElementType.FLOAT, floatData: Array.from(values, Number) };
}

/** A tensor input or output: element type and dimensions (a string names a free dimension, e.g. `N`). */
export function tensorInfo(
  name: string,
  elemType: number,
  dims: readonly (number | string)[],
): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export interface ModelSpec {
  readonly graphName: string;
  readonly nodes: readonly NodeSpec[];
  readonly initializers?: readonly TensorSpec[];
  readonly inputs: readonly onnxProto.onnx.IValueInfoProto[];
  readonly outputs: readonly onnxProto.onnx.IValueInfoProto[];
  readonly opsets: readonly { readonly domain: string; readonly version: number }[];
  readonly docString?: string;
  /** The ModelProto's `metadata_props` (what the endpoint reads a built-in's answer format from). */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** The serialized ModelProto. */
export function encodeModel(spec: ModelSpec): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: IR_VERSION,
    producerName: 'understudy',
    opsetImport: spec.opsets.map((o) => ({ domain: o.domain, version: o.version })),
    ...(spec.docString !== undefined && { docString: spec.docString }),
    ...(spec.metadata && {
      metadataProps: Object.entries(spec.metadata).map(([key, value]) => ({ key, value })),
    }),
    graph: {
      name: spec.graphName,
      node: [...spec.nodes],
      initializer: [...(spec.initializers ?? [])],
      input: [...spec.inputs],
      output: [...spec.outputs],
    },
  }).finish();
}
