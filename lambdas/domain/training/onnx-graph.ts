/**
 * Small helpers over onnx-proto (ONNX's own protobuf definitions, generated with protobufjs)
 * for the graphs the built-in algorithms export: float tensors as initializers, nodes with
 * attributes, and a ModelProto onnxruntime loads. Only the serialization is ours; the schema is
 * ONNX's.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** The opsets the exported graphs use: ONNX 13 (Softmax on one axis, ArgMax) and ai.onnx.ml 1. */
export const OPSET = { onnx: 13, ml: 1 } as const;

export type Node = InstanceType<typeof onnx.NodeProto>;
export type Tensor = InstanceType<typeof onnx.TensorProto>;
type ValueInfo = InstanceType<typeof onnx.ValueInfoProto>;

/** A float32 constant of the given shape. */
export function floatTensor(name: string, dims: readonly number[], values: ArrayLike<number>): Tensor {
  return onnx.TensorProto.create({
    name,
    dims: [...dims],
    dataType: onnx.TensorProto.DataType.FLOAT,
    floatData: Array.from(values, Number),
  });
}

type Attribute = number | readonly number[] | string;

/** A node of the default domain (or `domain`), with int, ints or string attributes. */
export function node(
  opType: string,
  inputs: readonly string[],
  outputs: readonly string[],
  attributes: Readonly<Record<string, Attribute>> = {},
  domain = '',
): Node {
  const attribute = Object.entries(attributes).map(([name, value]) => {
    if (typeof value === 'string') {
      return { name, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(value) };
    }
    if (typeof value === 'number') return { name, type: onnx.AttributeProto.AttributeType.INT, i: value };
    return { name, type: onnx.AttributeProto.AttributeType.INTS, ints: [...value] };
  });
  return onnx.NodeProto.create({ opType, input: [...inputs], output: [...outputs], attribute, domain });
}

/** A graph input or output: element type and shape, `N` for the batch dimension. */
export function valueInfo(
  name: string,
  type: 'float' | 'int64',
  shape: readonly (number | 'N')[],
): ValueInfo {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: type === 'float' ? onnx.TensorProto.DataType.FLOAT : onnx.TensorProto.DataType.INT64,
        shape: { dim: shape.map((d) => (d === 'N' ? { dimParam: 'N' } : { dimValue: d })) },
      },
    },
  });
}

/** Serializes a one-graph model (IR version 7, which onnxruntime 1.x reads). */
export function modelBytes(graph: {
  name: string;
  nodes: readonly Node[];
  initializers: readonly Tensor[];
  inputs: readonly ValueInfo[];
  outputs: readonly ValueInfo[];
  docString: string;
}): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'understudy',
    docString: graph.docString,
    opsetImport: [
      { domain: '', version: OPSET.onnx },
      { domain: 'ai.onnx.ml', version: OPSET.ml },
    ],
    graph: {
      name: graph.name,
      node: [...graph.nodes],
      initializer: [...graph.initializers],
      input: [...graph.inputs],
      output: [...graph.outputs],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
