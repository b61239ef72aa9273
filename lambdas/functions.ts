/**
 * The Lambda functions of Understudy, in one place. The CDK stack builds each of them from
 * `entry`, and the local runtime finds the same module through the `understudy:function`
 * metadata that the stack writes on each function, so both run identical code.
 */
export interface FunctionSpec {
  /** Source module, relative to the project root; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly memorySizeMb: number;
  readonly timeoutSeconds: number;
  /** Whether the function needs the onnxruntime layer. */
  readonly usesOnnx: boolean;
}

export const FUNCTIONS = {
  invoke: {
    entry: 'lambdas/invoke/handler.ts',
    description: 'Data plane: SageMaker Runtime InvokeEndpoint with weighted variant routing',
    memorySizeMb: 1024,
    timeoutSeconds: 30,
    usesOnnx: true,
  },
  control: {
    entry: 'lambdas/control/handler.ts',
    description: 'Control plane: the SageMaker JSON 1.1 API (models, packages, endpoints)',
    memorySizeMb: 1024,
    timeoutSeconds: 60,
    // CreateEndpoint loads each variant's artifact as an ONNX session before reporting InService.
    usesOnnx: true,
  },
  shadow: {
    entry: 'lambdas/shadow/handler.ts',
    description: 'Consumes mirrored requests: runs shadow variants and writes captures',
    memorySizeMb: 1024,
    timeoutSeconds: 60,
    usesOnnx: true,
  },
  deployer: {
    entry: 'lambdas/deployer/handler.ts',
    description: 'Moves endpoint rollouts on: bakes, alarm checks, traffic shifts, completion or rollback',
    memorySizeMb: 256,
    timeoutSeconds: 30,
    usesOnnx: false,
  },
  monitor: {
    entry: 'lambdas/monitor/handler.ts',
    description:
      'Drift monitoring over captured traffic on its tick; processing jobs and NOW schedules from the jobs queue',
    memorySizeMb: 1024,
    timeoutSeconds: 300,
    usesOnnx: false,
  },
  training: {
    entry: 'lambdas/training/handler.ts',
    description:
      'Training jobs from the training queue: built-in algorithms (linear-learner) trained in process, exported as ONNX',
    // Lambda's largest size: memory is what bounds the data a job can hold (checked before reading).
    memorySizeMb: 10240,
    timeoutSeconds: 900,
    // A finished job registered with ModelPackageConfig is loaded once, as CreateModelPackage checks.
    usesOnnx: true,
  },
} as const satisfies Record<string, FunctionSpec>;

export type FunctionName = keyof typeof FUNCTIONS;

/**
 * How esbuild bundles every function (the stack's NodejsFunction bundling; the cold-start
 * benchmark bundles the invoke function with the same): ESM, minified, with source maps.
 */
export const BUNDLING = {
  format: 'esm',
  target: 'node22',
  minify: true,
  sourceMap: true,
  /**
   * Maps without the original sources: stack traces still point at TypeScript lines, and the
   * map is smaller to read at a function's first trace (the invoke function's: 1.6 MB → 0.96 MB).
   */
  sourcesContent: false,
  /** The SDK's ES module builds first, so that esbuild leaves out what a function does not call. */
  mainFields: ['module', 'main'],
  // ESM bundles still meet CommonJS dependencies that call require().
  banner: "import{createRequire as __cr}from'module';const require=__cr(import.meta.url);",
  /**
   * CommonJS's module paths, which Emscripten-built dependencies read (wabt, for the capture
   * reader's kernel): Node's ESM equivalents (Node ≥ 20.11).
   */
  define: { __dirname: 'import.meta.dirname', __filename: 'import.meta.filename' },
  /**
   * Modules the bundles replace, with paths from the project root: the SDK's default credential
   * chain by Lambda's own two sources (lambdas/shared/lambda-credentials.ts says why).
   */
  alias: { '@aws-sdk/credential-provider-node': './lambdas/shared/lambda-credentials.ts' },
  /**
   * What every bundle runs first, with paths from the project root: stack traces mapped to the
   * TypeScript at the first trace, in place of Node's --enable-source-maps, which reads the map
   * while the bundle loads (lambdas/shared/bundle-stack-traces.ts says why).
   */
  inject: ['./lambdas/shared/bundle-stack-traces.ts'],
} as const;

/**
 * What a function's bundle leaves out: onnxruntime-node comes from the layer. The AWS SDK is
 * bundled rather than taken from the runtime: its ES module builds (BUNDLING.mainFields) let
 * esbuild keep only the clients and commands a function uses, and one bundled file parses and
 * runs faster than the runtime's CommonJS packages resolve and load (invoke function's first
 * answer 404 vs 444 ms, `npm run bench -- cold-start`); the version deployed is then the one
 * package-lock.json pins and the tests ran, not whichever the runtime carries.
 * protobufjs/minimal is required only by @datadog/sketches-js's toProto, which is never called;
 * the training function writes ONNX with onnx-proto, which needs it: bundled there.
 */
export function externalModules(name: FunctionName): string[] {
  return ['onnxruntime-node', 'onnxruntime-common', ...(name === 'training' ? [] : ['protobufjs/minimal'])];
}

/** Metadata key on each AWS::Lambda::Function resource naming its entry in FUNCTIONS. */
export const FUNCTION_METADATA_KEY = 'understudy:function';

/** Environment variable names the handlers read; the stack sets them. */
export const ENV = {
  registryTable: 'UNDERSTUDY_REGISTRY_TABLE',
  bucket: 'UNDERSTUDY_BUCKET',
  mirrorQueueUrl: 'UNDERSTUDY_MIRROR_QUEUE_URL',
  keysKmsKeyId: 'UNDERSTUDY_KEYS_KMS_KEY_ID',
  adminKeySecretId: 'UNDERSTUDY_ADMIN_KEY_SECRET_ID',
  /** Control function: the Secrets Manager secret holding the key that signs List NextTokens. */
  listingKeySecretId: 'UNDERSTUDY_LISTING_KEY_SECRET_ID',
  /** Invoke function: the Secrets Manager secret holding the HMAC key that hashes redacted capture fields. */
  captureRedactionKeySecretId: 'UNDERSTUDY_CAPTURE_REDACTION_KEY_SECRET_ID',
  /** Control function: comma-separated customer KMS key ARNs configurations may name (empty: none). */
  allowedKmsKeyArns: 'UNDERSTUDY_ALLOWED_KMS_KEY_ARNS',
  deploymentQueueUrl: 'UNDERSTUDY_DEPLOYMENT_QUEUE_URL',
  deadLetterQueueUrl: 'UNDERSTUDY_DEAD_LETTER_QUEUE_URL',
  /** The monitor's jobs queue (processing jobs, NOW schedules), to which the control function sends. */
  jobsQueueUrl: 'UNDERSTUDY_JOBS_QUEUE_URL',
  /** The training function's queue, to which the control function sends training jobs. */
  trainingQueueUrl: 'UNDERSTUDY_TRAINING_QUEUE_URL',
  /** SNS topic for Model Monitor alerts (violations). */
  alertsTopicArn: 'UNDERSTUDY_ALERTS_TOPIC_ARN',
  /** Shadow function: days capture objects are kept, and with them their capture index entries. */
  captureRetentionDays: 'UNDERSTUDY_CAPTURE_RETENTION_DAYS',
  /**
   * Optional, invoke function: the request path's time budget for the mirror's SendMessage,
   * retry included, in ms. The stack leaves it unset (500 ms); set it on the function to change it.
   */
  mirrorBudgetMs: 'UNDERSTUDY_MIRROR_BUDGET_MS',
  /**
   * Optional, invoke function: how many rows one InvokeEndpoint request may hold. The stack
   * leaves it unset (DEFAULT_MAX_ROWS, 10,000); bodies are limited to 6 MB regardless.
   */
  maxRows: 'UNDERSTUDY_MAX_ROWS',
  /**
   * Optional, control function: buckets besides the platform's (UNDERSTUDY_BUCKET, always
   * allowed) that requests may name as model artifacts, capture destinations and job inputs
   * or outputs; names separated by commas. The stack leaves it unset: the platform's bucket only.
   */
  allowedBuckets: 'UNDERSTUDY_ALLOWED_BUCKETS',
} as const;
