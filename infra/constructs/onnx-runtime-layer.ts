import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/** Where `npm run build:layer` writes the layer's content (`nodejs/node_modules/...`). */
export const ONNX_LAYER_BUILD_DIR = path.join('layers', 'onnxruntime', 'build');

/** onnxruntime-node for linux-x64 only, shared by the functions that run models. */
export class OnnxRuntimeLayer extends Construct {
  readonly layer: lambda.LayerVersion;

  constructor(scope: Construct, id: string, props: { readonly projectRoot: string }) {
    super(scope, id);
    const dir = path.join(props.projectRoot, ONNX_LAYER_BUILD_DIR);
    if (!existsSync(path.join(dir, 'nodejs', 'node_modules', 'onnxruntime-node'))) {
      throw new Error(`onnxruntime layer not built at ${dir}: run \`npm run build:layer\` first`);
    }
    this.layer = new lambda.LayerVersion(this, 'Layer', {
      code: lambda.Code.fromAsset(dir),
      compatibleRuntimes: [lambda.Runtime.NODEJS_22_X],
      compatibleArchitectures: [lambda.Architecture.X86_64],
      description: 'onnxruntime-node (linux-x64 CPU binaries only)',
    });
  }
}
