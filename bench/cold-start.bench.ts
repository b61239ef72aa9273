/**
 * Time from a fresh process to the first answer of the real invoke function: the module the
 * stack deploys (lambdas/invoke/handler.ts, FUNCTIONS.invoke.entry) bundled by esbuild with the
 * stack's bundling options, started with plain `node` as Lambda starts it, its SDK
 * clients pointed at a stand-in for DynamoDB, Secrets Manager and S3 on loopback that answers
 * at once (the admin key's secret, the endpoint record, the model bytes), so the figure is the
 * function's own start-up, not a network's. Beside it, in the same run and interleaved with it:
 * an empty `node` process, and a bare onnxruntime load and run of the same model file.
 * UNDERSTUDY_BENCH_CPU_PROF=DIR writes a `--cpu-prof` profile of each handler run to DIR/cold-start/
 * (summarise one with bench/cpu-profile-top.ts); profiled runs are slower, so read their shares.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { marshall } from '@aws-sdk/util-dynamodb';
import { SESSION_OPTIONS } from '../lambdas/domain/inference/onnx-model.js';
import { sha256Hex } from '../lambdas/domain/kernel/artifact.js';
import { COLLECTIONS } from '../lambdas/domain/kernel/records.js';
import { ENV, FUNCTIONS } from '../lambdas/functions.js';
import { bundleFunction } from '../test/support/bundle.js';
import { FIXTURES } from '../test/support/models.js';
import { signedInvokeEvent } from '../test/support/signed-event.js';
import { fmt, type Stats, stats } from './harness.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MODEL = 'regressor.onnx';
const BUCKET = 'understudy-cold-start';
const ADMIN_SECRET = 'understudy/cold-start/admin-key';
const KEY = {
  accessKeyId: 'AKUSCOLDSTART000000',
  secretAccessKey: 'cold-start-secret-cold-start-secret-00000',
  role: 'admin' as const,
};

/** What the child prints last: its own clock, in ms since its process started. */
interface Marks {
  readonly status: number;
  readonly importedMs?: number;
  readonly answeredMs: number;
}

export async function benchColdStart(runs = 7): Promise<void> {
  // Inside the project, so the bundle's external import of onnxruntime-node resolves (bundleFunction).
  const dir = path.join(root, 'node_modules', '.cache', 'understudy-cold-start');
  mkdirSync(dir, { recursive: true });
  await bundleFunction('invoke', path.join(dir, 'handler.mjs'));
  const modelBytes = readFileSync(path.join(FIXTURES, MODEL));
  const services = await awsStandIn(modelBytes);
  try {
    const event = await signedInvokeEvent({
      key: KEY,
      now: new Date(),
      endpoint: 'bench',
      body: '0.5,-1.5,2.25,0\n',
    });
    const eventFile = path.join(dir, 'event.json');
    writeFileSync(eventFile, JSON.stringify(event));
    writeFileSync(path.join(dir, 'invoke.mjs'), INVOKE_RUNNER);
    writeFileSync(path.join(dir, 'bare.mjs'), BARE_RUNNER);
    const env = {
      PATH: process.env.PATH ?? '',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDCOLDSTART',
      AWS_SECRET_ACCESS_KEY: 'cold-start',
      AWS_ENDPOINT_URL: services.url,
      // The SDK warns on Node < 22 that its releases after January 2027 need 22 (an emitWarning,
      // ~2 ms of this process); Lambda runs the functions on nodejs22.x, where it does not.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      [ENV.registryTable]: 'understudy-registry',
      [ENV.bucket]: BUCKET,
      [ENV.mirrorQueueUrl]: `${services.url}/000000000000/understudy-mirror`,
      [ENV.keysKmsKeyId]: 'alias/understudy-keys',
      [ENV.adminKeySecretId]: ADMIN_SECRET,
      [ENV.captureRedactionKeySecretId]: 'understudy/cold-start/redaction-key',
    };
    const samples = {
      empty: [] as bigint[],
      bare: [] as bigint[],
      handler: [] as bigint[],
      inChild: [] as bigint[],
    };
    const profileDir = process.env.UNDERSTUDY_BENCH_CPU_PROF;
    const profile = profileDir
      ? ['--cpu-prof', '--cpu-prof-interval=100', `--cpu-prof-dir=${path.resolve(profileDir, 'cold-start')}`]
      : [];
    let imported = 0;
    for (let i = 0; i < runs; i++) {
      samples.empty.push((await timed(dir, ['-e', '0'], env)).wallNs);
      samples.bare.push((await timed(dir, ['bare.mjs', path.join(FIXTURES, MODEL)], env)).wallNs);
      const run = await timed(dir, [...profile, 'invoke.mjs', eventFile], env);
      if (run.marks?.status !== 200) throw new Error(`cold start request failed: ${run.out}`);
      samples.handler.push(run.wallNs);
      samples.inChild.push(BigInt(Math.round(run.marks.answeredMs * 1e6)));
      imported += run.marks.importedMs ?? 0;
    }
    if (services.unexpected.length > 0) {
      throw new Error(
        `the handler made calls the stand-in does not serve: ${services.unexpected.join(', ')}`,
      );
    }
    const empty = stats(samples.empty);
    const bare = stats(samples.bare);
    const handler = stats(samples.handler);
    console.log(
      `\nCold start: fresh \`node\` process → first answer (${FUNCTIONS.invoke.entry} bundled as the stack bundles it, ` +
        `model fetched and opened on the first request; spawn → exit, parent's clock, ${runs} runs interleaved)`,
    );
    console.log(line('empty process (`node -e 0`)', empty));
    console.log(line('bare onnxruntime: load, open, one run', bare));
    console.log(line('invoke handler: import, first answer', handler));
    console.log(
      `  in the handler's process: module loaded at ${(imported / runs).toFixed(0)} ms (mean), first answer at ` +
        `${fmt(stats(samples.inChild).medianUs)} (median); AWS calls answered by the stand-in: ${services.calls.join(', ')}`,
    );
    console.log(
      `  handler − bare onnxruntime: ${fmt(handler.medianUs - bare.medianUs)}; handler / bare ${(handler.medianUs / bare.medianUs).toFixed(2)}×, ` +
        `handler / empty ${(handler.medianUs / empty.medianUs).toFixed(2)}× (target ≤ 250 ms to the first answer)`,
    );
  } finally {
    services.close();
  }
}

function line(label: string, s: Stats): string {
  return `  ${label.padEnd(40)} median ${fmt(s.medianUs).padStart(10)}  worst ${fmt(s.p99Us).padStart(10)}`;
}

/** Runs `node args` from `cwd` to its exit; its last stdout line is its marks, when it prints any. */
function timed(
  cwd: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ wallNs: bigint; out: string; marks?: Marks }> {
  const start = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd, env, encoding: 'utf8', timeout: 60_000 }, (error, out, err) => {
      const wallNs = process.hrtime.bigint() - start;
      if (error) {
        reject(new Error(`node ${args.join(' ')} failed: ${error.message}\n${err}`));
        return;
      }
      const last = out.trim().split('\n').pop() ?? '';
      resolve({
        wallNs,
        out: `${out}${err}`,
        marks: last.startsWith('{"status"') ? (JSON.parse(last) as Marks) : undefined,
      });
    });
  });
}

/** Imports the bundle, answers one event, prints its marks (performance.now() counts from process start). */
const INVOKE_RUNNER = `import { readFileSync } from 'node:fs';
const { handler } = await import('./handler.mjs');
const importedMs = performance.now();
const event = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const deadline = Date.now() + 30000;
const context = { awsRequestId: 'cold-start', functionName: 'understudy-invoke', functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:understudy-invoke', memoryLimitInMB: '1024',
  getRemainingTimeInMillis: () => deadline - Date.now() };
const result = await handler(event, context);
console.log(JSON.stringify({ status: result.statusCode, importedMs, answeredMs: performance.now() }));
`;

/** The same model file through onnxruntime alone, with the handler's session options (SESSION_OPTIONS). */
const BARE_RUNNER = `import { createRequire } from 'node:module';
const ort = createRequire(import.meta.url)('onnxruntime-node');
const session = await ort.InferenceSession.create(process.argv[2], ${JSON.stringify(SESSION_OPTIONS)});
const input = new ort.Tensor('float32', Float32Array.from([0.5, -1.5, 2.25, 0]), [1, 4]);
await session.run({ [session.inputNames[0]]: input });
console.log(JSON.stringify({ status: 200, answeredMs: performance.now() }));
`;

/**
 * DynamoDB (GetItem: the endpoint record; issued keys, of which there are none), Secrets Manager
 * (GetSecretValue: the admin key) and S3 (GetObject: the model), in their wire protocols.
 */
export async function awsStandIn(modelBytes: Buffer) {
  const modelKey = `models/${MODEL}`;
  const record = {
    EndpointName: 'bench',
    EndpointStatus: 'InService',
    EndpointConfigName: 'bench-config',
    internal: {
      variants: [
        {
          VariantName: 'main',
          weight: 1,
          ModelName: 'm',
          artifact: {
            uri: `s3://${BUCKET}/${modelKey}`,
            sha256: sha256Hex(modelBytes),
            sizeBytes: modelBytes.length,
          },
        },
      ],
    },
  };
  const calls: string[] = [];
  const unexpected: string[] = [];
  const json = (res: ServerResponse, type: string, body: unknown) => {
    res.writeHead(200, { 'Content-Type': type }).end(JSON.stringify(body));
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const target = req.headers['x-amz-target'];
      const body = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
      if (target === 'DynamoDB_20120810.GetItem') {
        const pk = body?.Key?.pk?.S;
        const sk = body?.Key?.sk?.S;
        calls.push(`GetItem ${pk}/${sk}`);
        const found = pk === COLLECTIONS.endpoint && sk === 'bench';
        json(res, 'application/x-amz-json-1.0', found ? { Item: marshall({ pk, sk, d: record, v: 1 }) } : {});
      } else if (target === 'secretsmanager.GetSecretValue' && body?.SecretId === ADMIN_SECRET) {
        calls.push('GetSecretValue admin key');
        json(res, 'application/x-amz-json-1.1', { Name: ADMIN_SECRET, SecretString: JSON.stringify(KEY) });
      } else if (req.method === 'GET' && req.url?.split('?')[0] === `/${BUCKET}/${modelKey}`) {
        calls.push('GetObject model');
        res.writeHead(200, {
          'Content-Type': 'application/octet-stream',
          'Content-Length': modelBytes.length,
        });
        res.end(modelBytes);
      } else {
        unexpected.push(`${req.method} ${req.url} ${target ?? ''}`);
        res.writeHead(400, { 'Content-Type': 'application/json' }).end('{"message":"not served here"}');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    // The calls of the last run (every run makes the same ones).
    get calls() {
      return [...new Set(calls)];
    },
    unexpected,
    close: () => server.close(),
  };
}
