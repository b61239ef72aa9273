/**
 * The local platform, programmatically: emulator, stack, state, runtime, env file.
 *
 *   const platform = await startLocalPlatform({ port: 0, motoPort: 4577, stateDir, envFile });
 *   // platform.url, platform.env (what the env file holds)
 *   await platform.stop();   // saves state, stops what it started
 *
 * The handlers run in this process and read `process.env`, so starting the platform points
 * this process's AWS environment at the emulator (throwaway credentials) for good.
 */
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { ensureMoto, type MotoHandle, PROJECT_ROOT } from '../moto.js';
import { type Clients, createClients, defaultRegion, useEmulator } from './aws.js';
import { type DeployAction, stackContext, synthAndDeploy } from './deploy.js';
import { writeEnvFile } from './env-file.js';
import { LineWriter } from './line-writer.js';
import { LocalRuntime } from './runtime.js';
import { loadState, type RestoreReport, restoreState, saveState } from './state.js';
import { type CfnTemplate, resourcesOfType, type StackContext } from './template.js';

export type Log = (message: string) => void;

/** Output keys of the stack (infra/understudy-stack.ts OUTPUTS; not imported, it pulls in aws-cdk-lib). */
const OUTPUT = {
  bucket: 'BucketName',
  registryTable: 'RegistryTableName',
  mirrorQueueUrl: 'MirrorQueueUrl',
  deadLetterQueueUrl: 'DeadLetterQueueUrl',
  adminKeySecretName: 'AdminKeySecretName',
} as const;

export const DEFAULT_PORT = 4567;

export interface LocalPlatformOptions {
  /** HTTP port of the API; 0 picks a free one. @default UNDERSTUDY_PORT or 4567 */
  readonly port?: number;
  /** @default MOTO_PORT or 4566 */
  readonly motoPort?: number;
  /** @default <project>/.understudy/state */
  readonly stateDir?: string;
  /** @default UNDERSTUDY_ENV_FILE or <project>/.understudy/local.env */
  readonly envFile?: string;
  /** Put the saved state back after deploying. @default true */
  readonly restore?: boolean;
  /** @default Understudy */
  readonly stackName?: string;
  /** @default AWS_REGION or us-east-1 */
  readonly region?: string;
  /** Fire the scheduled rules on their schedules (on-demand runs work regardless). @default true */
  readonly schedules?: boolean;
  readonly forceSynth?: boolean;
  /** Local shortcut for SQS retries, see PollerOptions.retryDelaySeconds. */
  readonly sqsRetryDelaySeconds?: number;
  /** Concurrent batches per SQS event source mapping. @default 5, as Lambda starts */
  readonly sqsConcurrency?: number;
  /** Log every HTTP request. @default true */
  readonly accessLog?: boolean;
  readonly log?: Log;
}

export interface LocalPlatform {
  /** The API's base URL (`http://127.0.0.1:PORT`). */
  readonly url: string;
  /** What the env file holds. */
  readonly env: Record<string, string>;
  readonly envFile: string;
  readonly emulatorEndpoint: string;
  readonly motoStartedByUs: boolean;
  readonly stackName: string;
  readonly outputs: Record<string, string>;
  readonly deployAction: DeployAction;
  readonly restored?: RestoreReport;
  readonly runtime: LocalRuntime;
  /** Seconds spent per step. */
  readonly timings: Record<string, number>;
  /** Stops runtime, saves state, stops moto if this platform started it. Idempotent. */
  stop(): Promise<void>;
}

function envPort(): number | undefined {
  const value = process.env.UNDERSTUDY_PORT;
  return value === undefined || value === '' ? undefined : Number(value);
}

function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(
              `port ${port} is in use (is another local platform running?); choose one with --port (0 = any)`,
            )
          : error,
      ),
    );
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

/** Queue URLs as the emulator knows them (moto's CloudFormation reports sqs.amazonaws.com ones). */
async function emulatorQueueUrls(
  clients: Clients,
  template: CfnTemplate,
  physicalIds: Record<string, string>,
): Promise<Record<string, { from: string; to: string }>> {
  const changed: Record<string, { from: string; to: string }> = {};
  for (const [logicalId] of resourcesOfType(template, 'AWS::SQS::Queue')) {
    const physical = physicalIds[logicalId];
    if (!physical) continue;
    const QueueName = physical.split('/').pop() ?? physical;
    const { QueueUrl } = await clients.sqs.send(new GetQueueUrlCommand({ QueueName }));
    if (QueueUrl && QueueUrl !== physical) changed[logicalId] = { from: physical, to: QueueUrl };
  }
  return changed;
}

async function adminKey(
  clients: Clients,
  secretName: string | undefined,
): Promise<{ accessKeyId: string; secretAccessKey: string } | undefined> {
  if (!secretName) return undefined;
  const { SecretString } = await clients.secrets.send(new GetSecretValueCommand({ SecretId: secretName }));
  const parsed = JSON.parse(SecretString ?? '{}') as { accessKeyId?: unknown; secretAccessKey?: unknown };
  if (typeof parsed.accessKeyId !== 'string' || typeof parsed.secretAccessKey !== 'string') return undefined;
  return { accessKeyId: parsed.accessKeyId, secretAccessKey: parsed.secretAccessKey };
}

/** Starts everything; the env file appears once the platform is ready. */
export async function startLocalPlatform(options: LocalPlatformOptions = {}): Promise<LocalPlatform> {
  // The platform's lines, the access log's included, go out in batches (line-writer.ts).
  const writer = options.log ? undefined : new LineWriter({ prefix: '[local] ' });
  const log = options.log ?? (writer as LineWriter).line;
  const region = options.region ?? defaultRegion();
  const stateDir = path.resolve(options.stateDir ?? path.join(PROJECT_ROOT, '.understudy', 'state'));
  const envFile = path.resolve(
    options.envFile ?? process.env.UNDERSTUDY_ENV_FILE ?? path.join(PROJECT_ROOT, '.understudy', 'local.env'),
  );
  const restore = options.restore ?? true;
  const timings: Record<string, number> = {};
  const began = Date.now();
  let stepStarted = began;
  const step = (name: string) => {
    const now = Date.now();
    timings[name] = (now - stepStarted) / 1000;
    stepStarted = now;
  };

  const port = options.port ?? envPort() ?? DEFAULT_PORT;
  // Fail before touching anything when another platform already serves this port.
  if (port !== 0) await assertPortFree(port);
  // Whoever waits for the env file must not see the previous run's.
  rmSync(envFile, { force: true });

  let moto: MotoHandle | undefined;
  let clients: Clients | undefined;
  let runtime: LocalRuntime | undefined;
  try {
    moto = await ensureMoto({ ...(options.motoPort !== undefined ? { port: options.motoPort } : {}), log });
    log(`emulator ${moto.endpoint} (${moto.startedByUs ? 'started' : 'reused'})`);
    step('emulator');
    useEmulator(moto.endpoint, region);
    clients = createClients();

    const saved = restore ? loadState(stateDir) : undefined;
    const deployed = await synthAndDeploy(clients, {
      region,
      log,
      ...(options.stackName ? { stackName: options.stackName } : {}),
      ...(options.forceSynth ? { forceSynth: true } : {}),
      ...(saved ? { savedSecrets: saved.secrets } : {}),
    });
    const { template } = deployed;
    step('deploy');
    log(
      `stack ${deployed.stack.stackName}: ${deployed.action}; assets ${deployed.published.uploaded} uploaded, ` +
        `${deployed.published.skipped} current; secrets ${deployed.secrets.map((s) => `${s.name} ${s.action}`).join(', ')}`,
    );

    const physicalIds = { ...deployed.stack.physicalIds };
    const outputs = { ...deployed.stack.outputs };
    for (const [logicalId, { from, to }] of Object.entries(
      await emulatorQueueUrls(clients, template, physicalIds),
    )) {
      physicalIds[logicalId] = to;
      for (const [key, value] of Object.entries(outputs)) if (value === from) outputs[key] = to;
    }
    const ctx: StackContext = stackContext({ ...deployed.stack, physicalIds }, region);

    let restored: RestoreReport | undefined;
    if (saved) {
      restored = await restoreState(clients, ctx, stateDir, saved);
      const parts = [...Object.entries(restored.tables), ...Object.entries(restored.buckets)].map(
        ([id, result]) => `${id}: ${typeof result === 'number' ? `${result} restored` : result}`,
      );
      log(`state from ${saved.savedAt}: ${parts.join(', ') || 'nothing to restore'}`);
    }
    step('restore');

    runtime = await LocalRuntime.start({
      template,
      ctx,
      projectRoot: PROJECT_ROOT,
      sqs: clients.sqs,
      port,
      log,
      ...(options.schedules !== undefined ? { schedules: options.schedules } : {}),
      ...(options.sqsRetryDelaySeconds !== undefined
        ? { sqsRetryDelaySeconds: options.sqsRetryDelaySeconds }
        : {}),
      ...(options.accessLog !== undefined ? { accessLog: options.accessLog } : {}),
    });
    step('runtime');

    const key = await adminKey(clients, outputs[OUTPUT.adminKeySecretName]);
    if (!key) log('warning: no admin key found; AWS_ACCESS_KEY_ID in the env file is a placeholder');
    const env: Record<string, string> = {
      ...runtime.environment,
      UNDERSTUDY_URL: runtime.url,
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ENDPOINT_URL_S3: moto.endpoint,
      AWS_ENDPOINT_URL_SAGEMAKER: runtime.url,
      AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: runtime.url,
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: key?.accessKeyId ?? 'test',
      AWS_SECRET_ACCESS_KEY: key?.secretAccessKey ?? 'test',
      ...(outputs[OUTPUT.bucket] ? { UNDERSTUDY_BUCKET: outputs[OUTPUT.bucket] } : {}),
      ...(outputs[OUTPUT.registryTable] ? { UNDERSTUDY_REGISTRY_TABLE: outputs[OUTPUT.registryTable] } : {}),
      ...(outputs[OUTPUT.mirrorQueueUrl]
        ? { UNDERSTUDY_MIRROR_QUEUE_URL: outputs[OUTPUT.mirrorQueueUrl] }
        : {}),
      ...(outputs[OUTPUT.deadLetterQueueUrl]
        ? { UNDERSTUDY_DLQ_URL: outputs[OUTPUT.deadLetterQueueUrl] }
        : {}),
      UNDERSTUDY_STACK_NAME: deployed.stack.stackName,
    };
    writeEnvFile(
      envFile,
      env,
      `Understudy local platform (${new Date().toISOString()}); valid while it runs.\n` +
        'Load into a shell with: set -a; . ' +
        path.relative(process.cwd(), envFile) +
        '; set +a',
    );
    step('env');
    timings.total = (Date.now() - began) / 1000;
    // What start.ts prints next comes after the start-up lines.
    writer?.flush();

    const startedRuntime = runtime;
    const startedClients = clients;
    const startedMoto = moto;
    let stopping: Promise<void> | undefined;
    return {
      url: runtime.url,
      env,
      envFile,
      emulatorEndpoint: moto.endpoint,
      motoStartedByUs: moto.startedByUs,
      stackName: deployed.stack.stackName,
      outputs,
      deployAction: deployed.action,
      ...(restored ? { restored } : {}),
      runtime,
      timings,
      stop() {
        stopping ??= (async () => {
          rmSync(envFile, { force: true });
          await startedRuntime.stop();
          try {
            const state = await saveState(startedClients, template, ctx, stateDir);
            const counts = [
              ...Object.entries(state.tables).map(([id, t]) => `${id} ${t.items} items`),
              ...Object.entries(state.buckets).map(([id, b]) => `${id} ${b.objects} objects`),
              `${Object.keys(state.secrets).length} secrets`,
            ];
            log(`state saved to ${stateDir}: ${counts.join(', ')}`);
          } catch (error) {
            log(`saving state failed: ${error instanceof Error ? error.stack : error}`);
          }
          startedClients.destroy();
          await startedMoto.stop();
          writer?.close();
        })();
        return stopping;
      },
    };
  } catch (error) {
    await runtime?.stop().catch(() => undefined);
    clients?.destroy();
    await moto?.stop().catch(() => undefined);
    writer?.close();
    throw error;
  }
}
