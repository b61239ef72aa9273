import * as path from 'node:path';
import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  BUNDLING,
  externalModules,
  FUNCTION_METADATA_KEY,
  FUNCTIONS,
  type FunctionName,
} from '../../lambdas/functions.js';

export interface UnderstudyFunctionProps {
  readonly name: FunctionName;
  readonly projectRoot: string;
  readonly environment: Record<string, string>;
  /** Required when the function's spec says it runs models. */
  readonly onnxLayer?: lambda.ILayerVersion;
}

/**
 * A Node.js 22 function bundled by esbuild (no Docker) from the entry in FUNCTIONS,
 * tagged with metadata so the local runtime can run the same module. It runs as its own
 * role, which may write to the function's own log group and nothing else until granted
 * (AWSLambdaBasicExecutionRole would let it create and write any log group in the account).
 */
export class UnderstudyFunction extends Construct {
  readonly fn: nodejs.NodejsFunction;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: UnderstudyFunctionProps) {
    super(scope, id);
    const spec = FUNCTIONS[props.name];
    if (spec.usesOnnx && !props.onnxLayer) {
      throw new Error(`function ${props.name} runs models and needs the onnxruntime layer`);
    }
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.THREE_MONTHS });
    const role = new iam.Role(this, 'ServiceRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Understudy ${props.name} function`,
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    this.fn = new nodejs.NodejsFunction(this, 'Function', {
      role,
      logGroup: this.logGroup,
      entry: path.join(props.projectRoot, spec.entry),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.X86_64,
      memorySize: spec.memorySizeMb,
      timeout: Duration.seconds(spec.timeoutSeconds),
      description: spec.description,
      environment: props.environment,
      layers: props.onnxLayer && spec.usesOnnx ? [props.onnxLayer] : [],
      depsLockFilePath: path.join(props.projectRoot, 'package-lock.json'),
      projectRoot: props.projectRoot,
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: BUNDLING.target,
        minify: BUNDLING.minify,
        sourceMap: BUNDLING.sourceMap,
        sourcesContent: BUNDLING.sourcesContent,
        mainFields: [...BUNDLING.mainFields],
        externalModules: externalModules(props.name),
        banner: BUNDLING.banner,
        define: BUNDLING.define,
        // Local bundling runs esbuild from projectRoot, where BUNDLING's paths start.
        inject: [...BUNDLING.inject],
        esbuildArgs: { '--alias': Object.entries(BUNDLING.alias).map(([from, to]) => `${from}=${to}`) },
      },
    });
    (this.fn.node.defaultChild as lambda.CfnFunction).addMetadata(FUNCTION_METADATA_KEY, props.name);
    Validations.of(this.fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'nodejs22.x is the runtime the bundles (esbuild target node22) and the onnxruntime layer are ' +
        'built and tested for; moving to nodejs24.x is its own change, with the layer rebuilt.',
    });
  }
}
