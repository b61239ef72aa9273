/**
 * Deploys the synthesized CDK template onto the emulator through CloudFormation, the way the
 * cloud gets it: synthesize, publish the file assets to the CDK assets bucket, CreateStack
 * with the template body (not `cdk deploy` and not change sets: on moto those lose the
 * Outputs and cannot redeploy), then read the Outputs and physical resource ids.
 *
 *   tsx scripts/local/deploy.ts [--moto-port N] [--stack-name NAME] [--force-synth]
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStacksCommand,
  GetTemplateCommand,
  ListStackResourcesCommand,
  type Output,
  type StackResourceSummary,
  UpdateStackCommand,
} from '@aws-sdk/client-cloudformation';
import {
  CreateBucketCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { type AsyncZippable, zip } from 'fflate';
import { PROJECT_ROOT } from '../moto.js';
import { type Clients, createClients, defaultRegion, EMULATOR_ACCOUNT_ID, useEmulator } from './aws.js';
import { adaptTemplateForEmulator } from './emulator-template.js';
import { ensureSecrets, type SavedSecret } from './secrets.js';
import type { CfnTemplate, StackContext } from './template.js';

export type Log = (message: string) => void;

/** infra/app.ts's default stack name (that module synthesizes when imported, so it is not imported). */
export const DEFAULT_STACK_NAME = 'Understudy';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------
// Synthesis

/** Inputs whose change means the template or an asset may change. */
const SYNTH_INPUTS = ['infra', 'lambdas', 'package.json', 'package-lock.json', 'cdk.json', 'tsconfig.json'];
const LAYER_STAMP = path.join('layers', 'onnxruntime', 'build', '.stamp');

function hashTree(hash: ReturnType<typeof createHash>, root: string, rel: string): void {
  const full = path.join(root, rel);
  if (!existsSync(full)) {
    hash.update(`missing ${rel}\n`);
    return;
  }
  if (statSync(full).isDirectory()) {
    for (const entry of readdirSync(full).sort()) {
      if (entry === 'node_modules' || entry.startsWith('.')) continue;
      hashTree(hash, root, path.join(rel, entry));
    }
    return;
  }
  hash.update(`file ${rel}\n`);
  hash.update(readFileSync(full));
}

export function synthFingerprint(projectRoot: string, stackName: string, region: string): string {
  const hash = createHash('sha256');
  hash.update(`stack ${stackName} region ${region}\n`);
  for (const input of [...SYNTH_INPUTS, LAYER_STAMP]) hashTree(hash, projectRoot, input);
  return hash.digest('hex');
}

function run(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${path.basename(command)} ${args.join(' ')} failed (exit ${code}):\n${output}`));
    });
  });
}

/** A cross-process lock (a directory holding the owner's pid), for two platforms synthesizing at once. */
async function withLock<T>(lockDir: string, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let owner = 0;
      let since = Date.now();
      try {
        since = statSync(lockDir).mtimeMs;
        owner = Number(readFileSync(path.join(lockDir, 'pid'), 'utf8'));
      } catch {
        // the owner is just creating or removing it: look again
      }
      let alive = false;
      try {
        if (owner > 0) {
          process.kill(owner, 0);
          alive = true;
        }
      } catch {
        alive = false;
      }
      if (!alive && (owner > 0 || Date.now() - since > 5000)) {
        rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lockDir}`);
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

export interface SynthOptions {
  readonly projectRoot?: string;
  /** The cloud assembly directory. @default <project>/.understudy/cdk.out[-<stack>-<region>] */
  readonly outDir?: string;
  readonly stackName?: string;
  readonly region?: string;
  /** Synthesize even when no input changed since the last synthesis. */
  readonly force?: boolean;
  readonly log?: Log;
}

export interface Assembly {
  readonly outDir: string;
  readonly stackName: string;
  readonly templateFile: string;
  readonly assetsFile: string;
  /** False when the previous assembly was still current. */
  readonly synthesized: boolean;
}

/**
 * `npm run build:layer` + `cdk synth -q` into a directory of the local platform's own (so it
 * never races an engineer's `cdk.out`), skipped when the inputs are unchanged.
 */
export async function synthesize(options: SynthOptions = {}): Promise<Assembly> {
  const projectRoot = options.projectRoot ?? PROJECT_ROOT;
  const stackName = options.stackName ?? DEFAULT_STACK_NAME;
  const region = options.region ?? defaultRegion();
  // One assembly per stack name and region, so switching between them does not resynthesize.
  const variant = stackName === DEFAULT_STACK_NAME && region === 'us-east-1' ? '' : `-${stackName}-${region}`;
  const outDir = options.outDir ?? path.join(projectRoot, '.understudy', `cdk.out${variant}`);
  const log = options.log ?? console.log;
  const assembly = {
    outDir,
    stackName,
    templateFile: path.join(outDir, `${stackName}.template.json`),
    assetsFile: path.join(outDir, `${stackName}.assets.json`),
  };
  const stampFile = path.join(outDir, 'understudy-synth.json');
  mkdirSync(path.dirname(outDir), { recursive: true });
  return withLock(`${outDir}.lock`, async () => {
    const current = (): boolean => {
      if (options.force || !existsSync(assembly.templateFile) || !existsSync(stampFile)) return false;
      const stamp = JSON.parse(readFileSync(stampFile, 'utf8')) as { fingerprint?: string };
      return stamp.fingerprint === synthFingerprint(projectRoot, stackName, region);
    };
    if (current()) return { ...assembly, synthesized: false };
    // Synthesis must not depend on whoever's credentials are around (CDK would ask STS for
    // the account): only the region goes in, so the template is the same offline and on.
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (!key.startsWith('AWS_') && !key.startsWith('CDK_')) env[key] = value;
    }
    Object.assign(env, {
      AWS_REGION: region,
      AWS_EC2_METADATA_DISABLED: 'true',
      CDK_DISABLE_VERSION_CHECK: '1',
    });
    const bin = (name: string) => path.join(projectRoot, 'node_modules', '.bin', name);
    const started = Date.now();
    await run(bin('tsx'), [path.join(projectRoot, 'scripts', 'build-layer.ts')], { cwd: projectRoot, env });
    await run(
      bin('cdk'),
      [
        'synth',
        '-q',
        '--output',
        outDir,
        '--context',
        `stackName=${stackName}`,
        '--no-notices',
        '--no-version-reporting',
      ],
      { cwd: projectRoot, env },
    );
    writeFileSync(
      stampFile,
      JSON.stringify({ fingerprint: synthFingerprint(projectRoot, stackName, region) }),
    );
    log(`synthesized ${stackName} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return { ...assembly, synthesized: true };
  });
}

export function readTemplate(assembly: Pick<Assembly, 'templateFile'>): {
  template: CfnTemplate;
  body: string;
} {
  const body = readFileSync(assembly.templateFile, 'utf8');
  return { template: JSON.parse(body) as CfnTemplate, body };
}

// ---------------------------------------------------------------------------------------
// Assets

interface AssetsManifest {
  readonly files?: Record<
    string,
    {
      readonly displayName?: string;
      readonly source: { readonly path?: string; readonly packaging?: 'zip' | 'file' };
      readonly destinations: Record<string, { readonly bucketName: string; readonly objectKey: string }>;
    }
  >;
  readonly dockerImages?: Record<string, unknown>;
}

/** `${AWS::AccountId}`-style placeholders of asset manifests. */
export function substitutePlaceholders(
  text: string,
  values: { accountId: string; region: string; partition?: string },
): string {
  const byName: Record<string, string> = {
    AccountId: values.accountId,
    Region: values.region,
    Partition: values.partition ?? 'aws',
  };
  return text.replace(/\$\{AWS::(AccountId|Region|Partition)\}/g, (_, name: string) => byName[name] ?? '');
}

function collectFiles(dir: string, rel = '', into: AsyncZippable = {}): AsyncZippable {
  for (const entry of readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const relPath = rel ? `${rel}/${entry.name}` : entry.name;
    const full = path.join(dir, relPath);
    const stat = statSync(full); // follows symlinks, as cdk's own zipping does
    if (stat.isDirectory()) collectFiles(dir, relPath, into);
    else if (stat.isFile()) {
      into[relPath] = [
        readFileSync(full),
        // Unix permissions (native binaries stay executable); a fixed date keeps zips reproducible.
        { os: 3, attrs: (stat.mode & 0o777) << 16, mtime: new Date('1980-01-01T00:00:00Z') },
      ];
    }
  }
  return into;
}

function zipDirectory(dir: string): Promise<Uint8Array> {
  const files = collectFiles(dir);
  return new Promise((resolve, reject) => {
    zip(files, { level: 6 }, (error, data) => (error ? reject(error) : resolve(data)));
  });
}

/** The asset's zip, built once per asset hash and kept in the cache directory. */
async function cachedZip(cacheDir: string, hash: string, sourceDir: string): Promise<Buffer> {
  const file = path.join(cacheDir, `${hash}.zip`);
  if (existsSync(file)) return readFileSync(file);
  mkdirSync(cacheDir, { recursive: true });
  const data = await zipDirectory(sourceDir);
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, data);
  renameSync(temp, file);
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

const ASSET_HASH_METADATA = 'understudy-asset-hash';

export interface PublishOptions {
  readonly accountId?: string;
  readonly region?: string;
  /** @default <project>/.understudy/assets */
  readonly cacheDir?: string;
  readonly log?: Log;
}

/** Zips (cached) and uploads each file asset to its bucket and key, skipping ones already there. */
export async function publishAssets(
  clients: Clients,
  assembly: Assembly,
  options: PublishOptions = {},
): Promise<{ uploaded: number; skipped: number }> {
  const accountId = options.accountId ?? EMULATOR_ACCOUNT_ID;
  const region = options.region ?? defaultRegion();
  const cacheDir = options.cacheDir ?? path.join(PROJECT_ROOT, '.understudy', 'assets');
  const log = options.log ?? console.log;
  const manifest = JSON.parse(readFileSync(assembly.assetsFile, 'utf8')) as AssetsManifest;
  if (manifest.dockerImages && Object.keys(manifest.dockerImages).length > 0) {
    log('warning: the stack has Docker image assets; they are not published locally');
  }
  const buckets = new Map<string, Promise<void>>();
  let uploaded = 0;
  let skipped = 0;
  await Promise.all(
    Object.entries(manifest.files ?? {}).map(async ([hash, asset]) => {
      const source = asset.source.path ? path.join(assembly.outDir, asset.source.path) : undefined;
      if (!source) return;
      let body: Buffer | undefined;
      for (const destination of Object.values(asset.destinations)) {
        const Bucket = substitutePlaceholders(destination.bucketName, { accountId, region });
        const Key = substitutePlaceholders(destination.objectKey, { accountId, region });
        let bucketReady = buckets.get(Bucket);
        if (!bucketReady) {
          bucketReady = ensureBucket(clients, Bucket, region);
          buckets.set(Bucket, bucketReady);
        }
        await bucketReady;
        const head = await clients.s3.send(new HeadObjectCommand({ Bucket, Key })).catch(() => undefined);
        if (head?.Metadata?.[ASSET_HASH_METADATA] === hash) {
          skipped++;
          continue;
        }
        body ??=
          asset.source.packaging === 'zip' ? await cachedZip(cacheDir, hash, source) : readFileSync(source);
        await clients.s3.send(
          new PutObjectCommand({ Bucket, Key, Body: body, Metadata: { [ASSET_HASH_METADATA]: hash } }),
        );
        uploaded++;
        log(`uploaded asset ${asset.displayName ?? hash} (${(body.length / 2 ** 20).toFixed(1)} MiB)`);
      }
    }),
  );
  pruneZipCache(cacheDir, new Set(Object.keys(manifest.files ?? {})));
  return { uploaded, skipped };
}

/** Removes cached zips of assets this assembly does not use and nothing has used for a day. */
function pruneZipCache(cacheDir: string, keep: ReadonlySet<string>): void {
  if (!existsSync(cacheDir)) return;
  const dayAgo = Date.now() - 86_400_000;
  for (const entry of readdirSync(cacheDir)) {
    const file = path.join(cacheDir, entry);
    const hash = entry.replace(/\.zip$/, '');
    try {
      if (!keep.has(hash) && statSync(file).atimeMs < dayAgo && statSync(file).mtimeMs < dayAgo) rmSync(file);
    } catch {
      // another process pruned it
    }
  }
}

async function ensureBucket(clients: Clients, Bucket: string, region: string): Promise<void> {
  const exists = await clients.s3.send(new HeadBucketCommand({ Bucket })).then(
    () => true,
    () => false,
  );
  if (exists) return;
  await clients.s3.send(
    new CreateBucketCommand({
      Bucket,
      ...(region === 'us-east-1'
        ? {}
        : { CreateBucketConfiguration: { LocationConstraint: region as 'eu-west-1' } }),
    }),
  );
}

// ---------------------------------------------------------------------------------------
// The stack

export interface DeployedStack {
  readonly stackName: string;
  readonly stackId: string;
  readonly status: string;
  readonly outputs: Record<string, string>;
  /** Logical id → physical id, for the resources the emulator created. */
  readonly physicalIds: Record<string, string>;
  readonly resources: StackResourceSummary[];
}

export type DeployAction = 'created' | 'updated' | 'recreated' | 'unchanged';

const CAPABILITIES = ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'] as const;

function outputsOf(outputs: Output[] | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const output of outputs ?? []) {
    if (output.OutputKey && output.OutputValue !== undefined) result[output.OutputKey] = output.OutputValue;
  }
  return result;
}

async function stackStatus(cfn: CloudFormationClient, StackName: string) {
  try {
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName }));
    const stack = Stacks?.[0];
    if (!stack || stack.StackStatus === 'DELETE_COMPLETE') return undefined;
    return stack;
  } catch (error) {
    if (String((error as Error).message).includes('does not exist')) return undefined;
    throw error;
  }
}

async function waitForStack(cfn: CloudFormationClient, StackName: string, timeoutMs = 300_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stack = await stackStatus(cfn, StackName);
    if (!stack?.StackStatus?.endsWith('_IN_PROGRESS')) return stack;
    if (Date.now() > deadline) throw new Error(`stack ${StackName} still ${stack.StackStatus}`);
    await sleep(200);
  }
}

/** Outputs, physical ids and status of a deployed stack. */
export async function describeStack(clients: Clients, stackName: string): Promise<DeployedStack | undefined> {
  const stack = await stackStatus(clients.cfn, stackName);
  if (!stack?.StackId) return undefined;
  const resources: StackResourceSummary[] = [];
  let NextToken: string | undefined;
  do {
    const page = await clients.cfn.send(new ListStackResourcesCommand({ StackName: stackName, NextToken }));
    resources.push(...(page.StackResourceSummaries ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  const physicalIds: Record<string, string> = {};
  for (const resource of resources) {
    if (resource.LogicalResourceId && resource.PhysicalResourceId) {
      physicalIds[resource.LogicalResourceId] = resource.PhysicalResourceId;
    }
  }
  return {
    stackName,
    stackId: stack.StackId,
    status: stack.StackStatus ?? 'UNKNOWN',
    outputs: outputsOf(stack.Outputs),
    physicalIds,
    resources,
  };
}

/** Resource types the local platform cannot do without; the emulator must have created them. */
const REQUIRED_TYPES: ReadonlySet<string> = new Set([
  'AWS::DynamoDB::Table',
  'AWS::S3::Bucket',
  'AWS::SQS::Queue',
  'AWS::KMS::Key',
  'AWS::Lambda::Function',
  'AWS::Events::Rule',
]);

/** Logical ids of required resources the stack does not have. */
export function missingResources(
  template: CfnTemplate,
  physicalIds: Readonly<Record<string, string>>,
): string[] {
  return Object.entries(template.Resources)
    .filter(([id, resource]) => REQUIRED_TYPES.has(resource.Type) && !(id in physicalIds))
    .map(([id]) => id);
}

/** Template bodies compared as JSON, so formatting differences do not count as changes. */
function sameTemplate(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
  } catch {
    return a === b;
  }
}

async function createStack(clients: Clients, stackName: string, templateBody: string): Promise<void> {
  await clients.cfn.send(
    new CreateStackCommand({
      StackName: stackName,
      TemplateBody: templateBody,
      Capabilities: [...CAPABILITIES],
    }),
  );
  const stack = await waitForStack(clients.cfn, stackName);
  if (stack?.StackStatus !== 'CREATE_COMPLETE') {
    throw new Error(
      `stack ${stackName} ended ${stack?.StackStatus ?? 'missing'}: ${stack?.StackStatusReason ?? ''}`,
    );
  }
}

async function deleteStack(clients: Clients, stackName: string): Promise<void> {
  await clients.cfn.send(new DeleteStackCommand({ StackName: stackName }));
  const stack = await waitForStack(clients.cfn, stackName);
  if (stack) throw new Error(`stack ${stackName} could not be deleted: ${stack.StackStatus}`);
}

/**
 * Creates the stack, or brings an existing one up to date: kept when its template is the
 * same, updated in place when it changed (deleted and recreated if the update fails).
 */
export async function deployStack(
  clients: Clients,
  stackName: string,
  templateBody: string,
  log: Log = console.log,
): Promise<{ action: DeployAction; stack: DeployedStack }> {
  const template = JSON.parse(templateBody) as CfnTemplate;
  const existing = await stackStatus(clients.cfn, stackName);
  let action: DeployAction = 'created';
  if (!existing) {
    await createStack(clients, stackName, templateBody);
  } else if (
    !/_COMPLETE$/.test(existing.StackStatus ?? '') ||
    /ROLLBACK|DELETE/.test(existing.StackStatus ?? '')
  ) {
    log(`stack ${stackName} is ${existing.StackStatus}: recreating it`);
    await deleteStack(clients, stackName);
    await createStack(clients, stackName, templateBody);
    action = 'recreated';
  } else {
    const current = await clients.cfn.send(new GetTemplateCommand({ StackName: stackName }));
    const missing = missingResources(template, (await describeStack(clients, stackName))?.physicalIds ?? {});
    if (missing.length > 0) {
      log(`stack ${stackName} lacks ${missing.join(', ')}: recreating it`);
      await deleteStack(clients, stackName);
      await createStack(clients, stackName, templateBody);
      action = 'recreated';
    } else if (sameTemplate(current.TemplateBody, templateBody)) {
      action = 'unchanged';
    } else {
      try {
        await clients.cfn.send(
          new UpdateStackCommand({
            StackName: stackName,
            TemplateBody: templateBody,
            Capabilities: [...CAPABILITIES],
          }),
        );
        const stack = await waitForStack(clients.cfn, stackName);
        if (stack?.StackStatus !== 'UPDATE_COMPLETE') throw new Error(`update ended ${stack?.StackStatus}`);
        // moto reports success for updates that replace a resource yet drops the resource from
        // the stack (seen with a changed table key schema): treat that as a failed update.
        const lost = missingResources(template, (await describeStack(clients, stackName))?.physicalIds ?? {});
        if (lost.length > 0) throw new Error(`the update lost ${lost.join(', ')}`);
        action = 'updated';
      } catch (error) {
        const message = (error as Error).message;
        if (message.includes('No updates are to be performed')) action = 'unchanged';
        else {
          log(`updating stack ${stackName} failed (${message}): deleting and recreating it`);
          await deleteStack(clients, stackName);
          await createStack(clients, stackName, templateBody);
          action = 'recreated';
        }
      }
    }
  }
  const stack = await describeStack(clients, stackName);
  if (!stack) throw new Error(`stack ${stackName} vanished after deployment`);
  const missing = missingResources(template, stack.physicalIds);
  if (missing.length > 0) throw new Error(`the emulator did not create ${missing.join(', ')}`);
  return { action, stack };
}

export function stackContext(
  stack: DeployedStack,
  region: string,
  accountId = EMULATOR_ACCOUNT_ID,
): StackContext {
  return {
    accountId,
    region,
    stackName: stack.stackName,
    stackId: stack.stackId,
    physicalIds: stack.physicalIds,
  };
}

// ---------------------------------------------------------------------------------------
// CLI

export interface DeployAllOptions {
  readonly stackName?: string;
  readonly region?: string;
  readonly forceSynth?: boolean;
  readonly outDir?: string;
  /** Values of the stack's secrets from a previous run, by logical id. */
  readonly savedSecrets?: Readonly<Record<string, SavedSecret>>;
  readonly log?: Log;
}

/**
 * Synthesize, publish the assets, create the stack's secrets (which moto's CloudFormation
 * skips), and create or update the stack from the template adapted for the emulator.
 * `stack.physicalIds` includes the secrets' ARNs.
 */
export async function synthAndDeploy(clients: Clients, options: DeployAllOptions = {}) {
  const log = options.log ?? console.log;
  const region = options.region ?? defaultRegion();
  const assembly = await synthesize({
    stackName: options.stackName,
    region,
    force: options.forceSynth,
    outDir: options.outDir,
    log,
  });
  const { template } = readTemplate(assembly);
  const published = await publishAssets(clients, assembly, { region, log });
  const beforeStack: StackContext = {
    accountId: EMULATOR_ACCOUNT_ID,
    region,
    stackName: assembly.stackName,
    physicalIds: {},
  };
  const secrets = await ensureSecrets(clients, template, beforeStack, options.savedSecrets);
  const literals = Object.fromEntries(secrets.map((secret) => [secret.logicalId, secret.arn]));
  const body = JSON.stringify(adaptTemplateForEmulator(template, literals));
  const { action, stack } = await deployStack(clients, assembly.stackName, body, log);
  const skipped = Object.entries(template.Resources)
    .filter(([id]) => !(id in stack.physicalIds) && !(id in literals))
    .map(([id, resource]) => `${id} (${resource.Type})`);
  return {
    assembly,
    template,
    published,
    secrets,
    skipped,
    action,
    stack: { ...stack, physicalIds: { ...stack.physicalIds, ...literals } },
  };
}

async function main(argv: string[]): Promise<void> {
  const { ensureMoto } = await import('../moto.js');
  let motoPort: number | undefined;
  let stackName: string | undefined;
  let forceSynth = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--moto-port') motoPort = Number(argv[++i]);
    else if (arg === '--stack-name') stackName = argv[++i];
    else if (arg === '--force-synth') forceSynth = true;
    else throw new Error(`unknown argument: ${arg}`);
  }
  const moto = await ensureMoto({ ...(motoPort ? { port: motoPort } : {}) });
  const region = defaultRegion();
  useEmulator(moto.endpoint, region);
  const clients = createClients();
  const result = await synthAndDeploy(clients, { stackName, region, forceSynth });
  console.log(`stack ${result.stack.stackName}: ${result.action} (${result.stack.status})`);
  for (const secret of result.secrets) console.log(`secret ${secret.name}: ${secret.action}`);
  console.log(`not created by the emulator: ${result.skipped.join(', ') || 'none'}`);
  console.log(JSON.stringify(result.stack.outputs, null, 2));
  clients.destroy();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
