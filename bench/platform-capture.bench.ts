/**
 * Issue 14's load test: the real local platform (`scripts/local/start.ts` on its own moto
 * emulator, the handlers Lambda runs, SigV4 on, data capture of input and output at 100%)
 * against the bare `node:http` + onnxruntime server on the same model, loaded alternately by
 * the same generator on 127.0.0.1 (platform.bench.ts), bounded in time and count. Then, once
 * the mirror queue is drained, the capture records on S3 must number exactly the requests the
 * platform answered, each event id once.
 *
 * The platform's requests are counted exactly (LoadOptions.exactly: every request sent is
 * waited for), so that "answered" is a number, not an estimate. Its mirror budget is 15 s, as
 * in the integration tests: at the default 500 ms a loaded emulator drops copies (counted as
 * CapturesDropped, and shown here), which is the budget working, not the pipeline losing them.
 *
 * UNDERSTUDY_BENCH_CPU_PROF=DIR profiles the platform's process (DIR/platform-capture/) and the
 * bare server's (DIR/bare/); UNDERSTUDY_KEEP_BENCH_STATE=1 keeps the platform's log and state.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DescribeEndpointCommand,
  SageMakerClient,
  waitUntilEndpointInService,
} from '@aws-sdk/client-sagemaker';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { parseEnvFile } from '../scripts/local/env-file.js';
import { stopMoto } from '../scripts/moto.js';
import { fixture } from '../test/support/models.js';
import { signedPost } from '../test/support/signed-request.js';
import type { LoadTarget } from './http-load.js';
import { alternate, type BenchServer, figures, type Measured, startChildServer } from './platform.bench.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CONNECTIONS = 8;
// The emulator answers a few dozen captured requests a second on this machine: small counts.
const PLATFORM_WARMUP_REQUESTS = 100;
const PLATFORM_ROUND_REQUESTS = 300;
const ROUNDS = 4;
const BARE_WARMUP_MS = 2_000;
const BARE_ROUND_MS = 2_000;
const READY_TIMEOUT_MS = 300_000;
const DRAIN_TIMEOUT_MS = 180_000;
const ROW = '0.5,-1.5,2.25,0\n';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** CPU time of a process (all its threads) from /proc, in µs; NaN where there is no /proc. */
function procCpuUs(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1e6) / 100; // USER_HZ is 100 on Linux
  } catch {
    return Number.NaN;
  }
}

/** `npm start` as a user runs it, on its own emulator port and state directory. */
async function startPlatform(
  dir: string,
): Promise<{ env: Record<string, string>; stop(): Promise<void>; child: ChildProcess }> {
  const envFile = path.join(dir, 'local.env');
  const profileDir = process.env.UNDERSTUDY_BENCH_CPU_PROF;
  const motoPort = await freePort();
  const log = openSync(path.join(dir, 'platform.log'), 'w');
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.join(profileDir, 'platform-capture')}`] : []),
      'scripts/local/start.ts',
      '--port',
      '0',
      '--moto-port',
      String(motoPort),
      '--state-dir',
      path.join(dir, 'state'),
      '--no-restore',
      '--no-schedules',
    ],
    {
      cwd: root,
      stdio: ['ignore', log, log],
      env: {
        ...process.env,
        FORCE_COLOR: '0',
        UNDERSTUDY_ENV_FILE: envFile,
        UNDERSTUDY_MIRROR_BUDGET_MS: '15000',
      },
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      // SIGINT: start.ts stops the runtime and the emulator it started.
      child.kill('SIGINT');
      const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      await exited;
      clearTimeout(killer);
    }
    // moto runs detached from the platform (see test/integration/global-setup.ts): a platform
    // killed rather than stopped leaves it behind. The port was picked here, so it is ours.
    await stopMoto({ port: motoPort });
  };
  const started = Date.now();
  while (!existsSync(envFile)) {
    if (child.exitCode !== null) {
      throw new Error(`local platform exited (${child.exitCode}); see ${path.join(dir, 'platform.log')}`);
    }
    if (Date.now() - started > READY_TIMEOUT_MS) {
      await stop();
      throw new Error(`local platform not ready after ${READY_TIMEOUT_MS} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  console.log(`  local platform ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { env: parseEnvFile(readFileSync(envFile, 'utf8')), stop, child };
}

export async function benchPlatformCapture(): Promise<void> {
  console.log(
    `\nLocal platform with data capture (real platform on moto, SigV4, capture 100%, ${CONNECTIONS} connections, ` +
      `${ROUNDS} alternating rounds: platform ${PLATFORM_ROUND_REQUESTS} requests each after ${PLATFORM_WARMUP_REQUESTS} ` +
      `of warm-up, bare ${BARE_ROUND_MS / 1000} s each, 127.0.0.1)`,
  );
  const dir = mkdtempSync(path.join(tmpdir(), 'understudy-bench-capture-'));
  let platform: Awaited<ReturnType<typeof startPlatform>> | undefined;
  let bare: BenchServer | undefined;
  try {
    platform = await startPlatform(dir);
    const { env } = platform;
    const region = env.AWS_REGION ?? 'us-east-1';
    const credentials = {
      accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
    };
    const emulator = { region, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
    const s3 = new S3Client({ ...emulator, endpoint: env.AWS_ENDPOINT_URL_S3, forcePathStyle: true });
    const sqs = new SQSClient({ ...emulator, endpoint: env.AWS_ENDPOINT_URL });
    const sagemaker = new SageMakerClient({ endpoint: env.UNDERSTUDY_URL, region, credentials });
    const bucket = env.UNDERSTUDY_BUCKET ?? '';
    const name = `bench-capture-${Date.now().toString(36)}`;

    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `models/${name}.onnx`,
        Body: fixture('regressor.onnx'),
      }),
    );
    await sagemaker.send(
      new CreateModelCommand({
        ModelName: name,
        PrimaryContainer: { Image: 'x', ModelDataUrl: `s3://${bucket}/models/${name}.onnx` },
      }),
    );
    await sagemaker.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: name,
        ProductionVariants: [{ VariantName: 'main', ModelName: name }],
        DataCaptureConfig: {
          EnableCapture: true,
          InitialSamplingPercentage: 100,
          DestinationS3Uri: `s3://${bucket}/captures/${name}`,
          CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
        },
      }),
    );
    await sagemaker.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: name }));
    await waitUntilEndpointInService(
      { client: sagemaker, maxWaitTime: 120, minDelay: 1, maxDelay: 1 },
      { EndpointName: name },
    );

    // Signed once, as the SDK signs it; the same request is sent again and again (5-minute window).
    const url = new URL(env.UNDERSTUDY_URL ?? '');
    const invocations = `/endpoints/${name}/invocations`;
    const signed = await signedPost(url, {
      region,
      credentials,
      path: invocations,
      headers: { 'content-type': 'text/csv', accept: 'application/json' },
      body: ROW,
    });
    const headers = signed.headers as Record<string, string>;

    bare = await startChildServer('bare', path.join(root, 'bench', 'platform-server.ts'), ['bare']);
    const platformChild = platform.child;
    const platformServer: BenchServer = {
      label: 'platform + capture',
      url: url.origin,
      cpuUs: async () => procCpuUs(platformChild.pid),
      stop: async () => {},
    };
    const target = (server: BenchServer): LoadTarget => ({
      url: server.url,
      path: invocations,
      headers,
      body: ROW,
    });
    const sendStarted = Date.now();
    const { measured, warmup } = await alternate(
      [
        {
          server: platformServer,
          target: target(platformServer),
          exactly: { warmup: PLATFORM_WARMUP_REQUESTS, round: PLATFORM_ROUND_REQUESTS },
        },
        { server: bare, target: { ...target(bare), path: '/endpoints/bench/invocations' } },
      ],
      { warmupMs: BARE_WARMUP_MS, roundMs: BARE_ROUND_MS, rounds: ROUNDS, connections: CONNECTIONS },
      (server, round, result, cpuUs) =>
        console.log(
          figures(`round ${round}: ${server.label}`, {
            ...result,
            failed: result.notOk + result.errors,
            cpuUsPerRequest: cpuUs / (result.ok + result.notOk),
          }),
        ),
    );
    const sendSeconds = (Date.now() - sendStarted) / 1000;
    const [p, b] = measured as [Measured, Measured];
    const platformWarmup = warmup[0];
    if (!p.complete || platformWarmup?.complete === false) {
      console.log(
        '  warning: a platform run was cut short by its watchdog; requests may have been answered uncounted',
      );
    }

    const answered = p.ok + (platformWarmup?.ok ?? 0);
    const sent = PLATFORM_WARMUP_REQUESTS + ROUNDS * PLATFORM_ROUND_REQUESTS;
    const failed = p.failed + (platformWarmup ? platformWarmup.notOk + platformWarmup.errors : 0);
    console.log(figures('all rounds: local platform + capture', p));
    console.log(figures('all rounds: bare node:http + onnxruntime', b));
    console.log(
      `  platform + capture / bare: ${((100 * p.rps) / b.rps).toFixed(1)}% of the throughput; ` +
        `error rate ${((100 * failed) / sent).toFixed(2)}% (${failed} of ${sent} sent; statuses of the timed rounds ${JSON.stringify(p.statuses)})`,
    );

    // Exactness: every answered request has one capture record once the mirror queue is empty.
    const drainStarted = Date.now();
    await drained(sqs, env.UNDERSTUDY_MIRROR_QUEUE_URL ?? '', DRAIN_TIMEOUT_MS);
    const drainSeconds = (Date.now() - drainStarted) / 1000;
    const records = await captureRecords(s3, bucket, `captures/${name}/`);
    const eventIds = new Set(records.map((r) => r.eventMetadata?.eventId));
    const described = (await sagemaker.send(
      new DescribeEndpointCommand({ EndpointName: name }),
    )) as unknown as Record<string, unknown>;
    console.log(
      `  capture records on S3: ${records.length} for ${answered} requests answered 200 ` +
        `(${records.length === answered ? 'exact' : `OFF BY ${records.length - answered}`}); ` +
        `${records.length - eventIds.size} duplicate event ids; CapturesDropped ${described.CapturesDropped ?? 0}; ` +
        `sent in ${sendSeconds.toFixed(1)} s, queue drained ${drainSeconds.toFixed(1)} s later`,
    );
    sagemaker.destroy();
    s3.destroy();
    sqs.destroy();
  } finally {
    await bare?.stop();
    await platform?.stop();
    if (process.env.UNDERSTUDY_KEEP_BENCH_STATE) console.log(`  (platform log and state kept in ${dir})`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

/** Waits until the mirror queue holds no message, visible or in flight, twice in a row. */
async function drained(sqs: SQSClient, queueUrl: string, timeoutMs: number): Promise<void> {
  const started = Date.now();
  let emptyReads = 0;
  while (emptyReads < 2) {
    if (Date.now() - started > timeoutMs) throw new Error(`mirror queue not drained after ${timeoutMs} ms`);
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    const left =
      Number(Attributes.ApproximateNumberOfMessages) +
      Number(Attributes.ApproximateNumberOfMessagesNotVisible);
    emptyReads = left === 0 ? emptyReads + 1 : 0;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Every JSON line of every capture object under `prefix`. */
async function captureRecords(
  s3: S3Client,
  bucket: string,
  prefix: string,
): Promise<{ eventMetadata?: { eventId?: string } }[]> {
  const records = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) {
      const body = await (
        await s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }))
      ).Body?.transformToString();
      for (const line of (body ?? '').split('\n')) if (line.trim()) records.push(JSON.parse(line));
    }
    token = page.NextContinuationToken;
  } while (token);
  return records;
}
