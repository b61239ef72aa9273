/**
 * `npm run bench -- faults`: issue 14's fault injection on the local platform, with real
 * faults. It starts its own moto and platform (`scripts/local/start.ts`) on free ports, deploys
 * an endpoint capturing every request and a shadow experiment mirroring every request, sends
 * FAULTS_REQUESTS (default 10,000) requests from 16 clients, and meanwhile:
 *
 * - stops the emulator (SIGSTOP to moto) for 5 s mid-traffic, then lets it go on (SIGCONT);
 * - makes S3 refuse every capture write for 15 s (the platform's S3 goes through a proxy here,
 *   scripts/local/aws.ts's UNDERSTUDY_LOCAL_S3_PROXY), which only the shadow consumer does;
 * - delivers messages twice: every 3 s a peeker receives mirror messages with
 *   VisibilityTimeout 0 (so the pollers still get them) and sends a copy of one in DUPLICATE_EVERY;
 * - kills the platform process (SIGKILL to its process group: the local runtime, its pollers
 *   and handlers) between the two halves of the traffic while shadow batches are in flight,
 *   and starts it again on the same emulator;
 * - the shadow queue's pollers run 5 batches at once (the platform's default concurrency).
 *
 * Then it waits for the mirror queue to drain, redrives the dead-letter queue once (messages
 * a fault pushed past maxReceiveCount) and counts: unique capture lines per variant against
 * requests answered, RequestsCompared against RequestsMirrored, duplicates, what is left in
 * the dead-letter queue. The mirror queue's visibility timeout is set to 100 s first (6 minutes
 * in the template): messages a killed batch held come back once its ledger holds are stale (the
 * shadow function's 60 s timeout + 30 s), as on AWS, without a 6-minute wait.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateInferenceExperimentCommand,
  CreateModelCommand,
  SageMakerClient,
  StartInferenceExperimentCommand,
  waitUntilEndpointInService,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { ensureMoto, PROJECT_ROOT } from '../scripts/moto.js';
import { FIXTURES } from '../test/support/models.js';
import { jsonTargetHeaders, signedPost } from '../test/support/signed-request.js';

const REQUESTS = Number(process.env.FAULTS_REQUESTS ?? 10_000);
const CLIENTS = 16;
const DUPLICATE_EVERY = 2;
/**
 * A peek counts as a receive towards the queue's maxReceiveCount (3): peeking seldom keeps a
 * message from being peeked more than once, so the peeks alone push nothing to the DLQ.
 */
const PEEK_EVERY_MS = 3000;
const READY_TIMEOUT_MS = 300_000;
const DRAIN_TIMEOUT_MS = 900_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (message: string, fields: Record<string, unknown> = {}) =>
  console.log(
    `[faults ${new Date().toISOString().slice(11, 19)}] ${message}`,
    Object.keys(fields).length ? JSON.stringify(fields) : '',
  );

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^(?:export\s+)?([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match) env[match[1] as string] = (match[2] as string).replace(/^['"]|['"]$/g, '');
  }
  return env;
}

/** A pass-through proxy to moto's S3 that answers 503 to capture writes while `refusing`. */
class S3FaultProxy {
  refusing = false;
  refused = 0;
  private readonly server = createServer((req, res) => this.forward(req, res));
  constructor(private readonly target: URL) {}

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private forward(req: IncomingMessage, res: ServerResponse) {
    if (this.refusing && req.method === 'PUT' && (req.url ?? '').includes('/captures/')) {
      this.refused++;
      req.resume();
      res.writeHead(503, { 'content-type': 'application/xml' });
      res.end(
        '<?xml version="1.0"?><Error><Code>ServiceUnavailable</Code><Message>injected by the faults bench</Message></Error>',
      );
      return;
    }
    const upstream = httpRequest(
      {
        host: this.target.hostname,
        port: this.target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: this.target.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  }

  close() {
    this.server.closeAllConnections();
    this.server.close();
  }
}

interface Platform {
  child: ChildProcess;
  env: Record<string, string>;
}

async function startPlatform(dir: string, motoPort: number, s3Proxy: string): Promise<Platform> {
  const envFile = path.join(dir, 'local.env');
  rmSync(envFile, { force: true });
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'scripts/local/start.ts',
      '--port',
      '0',
      '--moto-port',
      String(motoPort),
      '--state-dir',
      path.join(dir, 'state'),
      '--no-restore',
      '--no-schedules',
      // No --sqs-retry-delay: retried mirror messages come back on the shadow function's own
      // backoff (retry-backoff.ts), as on Lambda.
      '--quiet',
    ],
    {
      cwd: PROJECT_ROOT,
      // Its own process group, so the kill reaches every process it runs.
      detached: true,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env,
        UNDERSTUDY_MIRROR_BUDGET_MS: '15000',
        UNDERSTUDY_ENV_FILE: envFile,
        UNDERSTUDY_LOCAL_S3_PROXY: s3Proxy,
        FORCE_COLOR: '0',
      },
    },
  );
  const started = Date.now();
  while (!existsSync(envFile)) {
    if (child.exitCode !== null)
      throw new Error(`the platform exited with ${child.exitCode} before it was ready`);
    if (Date.now() - started > READY_TIMEOUT_MS) throw new Error('the platform was not ready in time');
    await sleep(250);
  }
  await sleep(200);
  return { child, env: parseEnvFile(readFileSync(envFile, 'utf8')) };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals) {
  if (child.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

function clientsFor(env: Record<string, string>) {
  const region = env.AWS_REGION ?? 'us-east-1';
  const credentials = {
    accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
  };
  const emulator = { region, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  const url = new URL(env.UNDERSTUDY_URL ?? '');
  return {
    sagemaker: new SageMakerClient({ endpoint: env.UNDERSTUDY_URL, region, credentials }),
    runtime: new SageMakerRuntimeClient({
      endpoint: env.UNDERSTUDY_URL,
      region,
      credentials,
      maxAttempts: 1,
    }),
    // Straight to moto, not through the proxy: the bench reads what was written.
    s3: new S3Client({ ...emulator, endpoint: env.AWS_ENDPOINT_URL, forcePathStyle: true }),
    sqs: new SQSClient({ ...emulator, endpoint: env.AWS_ENDPOINT_URL }),
    /** A JSON 1.1 call by its full target (`Understudy.X`, or `SageMaker.X` to see Understudy's extra fields). */
    async call(target: string, input: unknown): Promise<Record<string, unknown>> {
      const body = JSON.stringify(input);
      const signed = await signedPost(url, {
        region,
        credentials,
        path: '/',
        headers: jsonTargetHeaders(target),
        body,
      });
      const response = await fetch(url, { method: 'POST', headers: signed.headers, body });
      return (await response.json()) as Record<string, unknown>;
    },
  };
}
type Clients = ReturnType<typeof clientsFor>;

async function deploy(c: Clients, env: Record<string, string>, name: string) {
  const bucket = env.UNDERSTUDY_BUCKET ?? '';
  for (const model of ['champion', 'twin']) {
    const key = `models/${name}/${model}.onnx`;
    await c.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: readFileSync(path.join(FIXTURES, 'regressor.onnx')),
      }),
    );
    await c.sagemaker.send(
      new CreateModelCommand({
        ModelName: `${name}-${model}`,
        PrimaryContainer: { Image: 'x', ModelDataUrl: `s3://${bucket}/${key}` },
      }),
    );
  }
  await c.sagemaker.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: name,
      ProductionVariants: [{ VariantName: 'main', ModelName: `${name}-champion` }],
      DataCaptureConfig: {
        EnableCapture: true,
        InitialSamplingPercentage: 100,
        DestinationS3Uri: `s3://${bucket}/captures/${name}`,
        CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
      },
    }),
  );
  await c.sagemaker.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: name }));
  await waitUntilEndpointInService(
    { client: c.sagemaker, maxWaitTime: 120, minDelay: 1, maxDelay: 1 },
    { EndpointName: name },
  );
  const infra = {
    InfrastructureType: 'RealTimeInference' as const,
    RealTimeInferenceConfig: { InstanceType: 'ml.m5.large' as const, InstanceCount: 1 },
  };
  await c.sagemaker.send(
    new CreateInferenceExperimentCommand({
      Name: name,
      Type: 'ShadowMode',
      RoleArn: 'arn:aws:iam::123456789012:role/understudy',
      EndpointName: name,
      ModelVariants: [
        { ModelName: `${name}-champion`, VariantName: 'main', InfrastructureConfig: infra },
        { ModelName: `${name}-twin`, VariantName: 'shadow', InfrastructureConfig: infra },
      ],
      ShadowModeConfig: {
        SourceModelVariantName: 'main',
        ShadowModelVariants: [{ ShadowModelVariantName: 'shadow', SamplingPercentage: 100 }],
      },
    }),
  );
  await c.sagemaker.send(new StartInferenceExperimentCommand({ Name: name }));
}

async function queueDepth(sqs: SQSClient, QueueUrl: string) {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible),
  };
}

async function drained(sqs: SQSClient, queueUrl: string, timeoutMs: number) {
  const started = Date.now();
  let empty = 0;
  while (empty < 3) {
    const depth = await queueDepth(sqs, queueUrl);
    empty = depth.visible + depth.inFlight === 0 ? empty + 1 : 0;
    if (Date.now() - started > timeoutMs)
      throw new Error(`mirror queue not drained: ${JSON.stringify(depth)}`);
    await sleep(1000);
  }
}

/** Receives mirror messages without hiding them and sends a copy of one in DUPLICATE_EVERY. */
function startDuplicator(getSqs: () => { sqs: SQSClient; queueUrl: string }) {
  const seen = new Set<string>();
  const state = { sent: 0, stop: false, done: Promise.resolve() };
  state.done = (async () => {
    while (!state.stop) {
      const { sqs, queueUrl } = getSqs();
      try {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: 10,
            VisibilityTimeout: 0,
            WaitTimeSeconds: 0,
          }),
        );
        for (const message of Messages) {
          const id = message.MessageId ?? '';
          if (seen.has(id) || !message.Body) continue;
          seen.add(id);
          if (seen.size % DUPLICATE_EVERY !== 0) continue;
          await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: message.Body }));
          state.sent++;
        }
      } catch {
        // The emulator is stopped or the platform restarting: try again.
      }
      await sleep(PEEK_EVERY_MS);
    }
  })();
  return state;
}

async function captureLines(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const ids: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) {
      const body = await (
        await s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }))
      ).Body?.transformToString();
      for (const line of (body ?? '').split('\n')) {
        if (line.trim())
          ids.push((JSON.parse(line) as { eventMetadata: { eventId: string } }).eventMetadata.eventId);
      }
    }
    token = page.NextContinuationToken;
  } while (token);
  return ids;
}

async function redrive(sqs: SQSClient, from: string, to: string): Promise<number> {
  let moved = 0;
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: from, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    if (Messages.length === 0) return moved;
    for (const message of Messages) {
      await sqs.send(new SendMessageCommand({ QueueUrl: to, MessageBody: message.Body ?? '' }));
      await sqs.send(new DeleteMessageCommand({ QueueUrl: from, ReceiptHandle: message.ReceiptHandle }));
      moved++;
    }
  }
}

export async function benchFaults(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'understudy-faults-'));
  const motoPort = await freePort();
  const moto = await ensureMoto({ port: motoPort, log: () => undefined });
  if (!moto.startedByUs || moto.pid === undefined) throw new Error('the bench needs an emulator of its own');
  const proxy = new S3FaultProxy(new URL(moto.endpoint));
  const proxyUrl = await proxy.listen();
  let platform: Platform | undefined;
  // Interrupted (Ctrl-C, a timeout's SIGTERM): stop what the bench started before exiting.
  const interrupted = () => {
    if (platform) killGroup(platform.child, 'SIGKILL');
    try {
      process.kill(moto.pid as number, 'SIGCONT');
    } catch {
      // gone
    }
    void moto.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const statuses: Record<string, number> = {};
  let answered = 0;
  const started = Date.now();
  try {
    log('starting the platform', { motoPort, proxyUrl });
    platform = await startPlatform(dir, motoPort, proxyUrl);
    let c = clientsFor(platform.env);
    let env = platform.env;
    const name = `faults-${Date.now().toString(36)}`;
    await deploy(c, env, name);
    const mirrorQueue = env.UNDERSTUDY_MIRROR_QUEUE_URL ?? '';
    await c.sqs.send(
      new SetQueueAttributesCommand({ QueueUrl: mirrorQueue, Attributes: { VisibilityTimeout: '100' } }),
    );
    const duplicator = startDuplicator(() => ({ sqs: c.sqs, queueUrl: mirrorQueue }));
    const faults: Record<string, unknown> = {};

    let sent = 0;
    const send = async (from: number, to: number, onProgress: (sent: number) => void) => {
      let next = from;
      await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          while (next < to) {
            const i = next++;
            let status: string;
            try {
              await c.runtime.send(
                new InvokeEndpointCommand({
                  EndpointName: name,
                  ContentType: 'text/csv',
                  Body: new TextEncoder().encode(`${i},${i / 2},${-i},1\n`),
                }),
              );
              answered++;
              status = '200';
            } catch (error) {
              status = String(
                (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ??
                  (error as Error).name,
              );
            }
            statuses[status] = (statuses[status] ?? 0) + 1;
            onProgress(++sent);
          }
        }),
      );
    };

    // First half: the emulator stopped at 20 %, S3 capture writes refused from 50 % for 15 s.
    const half = Math.floor(REQUESTS / 2);
    let stopped = false;
    let refused = false;
    const pending: Promise<void>[] = [];
    await send(0, half, (n) => {
      if (n % 1000 === 0) log('sent', { sent: n, answered });
      if (!stopped && n >= REQUESTS * 0.2) {
        stopped = true;
        pending.push(
          (async () => {
            log('SIGSTOP moto', { sent: n });
            process.kill(moto.pid as number, 'SIGSTOP');
            await sleep(5000);
            process.kill(moto.pid as number, 'SIGCONT');
            log('SIGCONT moto');
            faults.emulatorStoppedAtRequest = n;
          })(),
        );
      }
      if (!refused && n >= REQUESTS * 0.4) {
        refused = true;
        pending.push(
          (async () => {
            log('S3 refuses capture writes', { sent: n });
            proxy.refusing = true;
            await sleep(15_000);
            proxy.refusing = false;
            log('S3 accepts capture writes again', { refused: proxy.refused });
            faults.s3WritesRefused = proxy.refused;
          })(),
        );
      }
    });
    await Promise.all(pending);

    // The platform killed while shadow batches are in flight.
    for (let wait = 0; wait < 120; wait++) {
      const depth = await queueDepth(c.sqs, mirrorQueue);
      if (depth.inFlight > 0 || wait === 119) {
        faults.killedWith = depth;
        break;
      }
      await sleep(250);
    }
    log('SIGKILL the platform', faults.killedWith as Record<string, unknown>);
    killGroup(platform.child, 'SIGKILL');
    await sleep(1000);
    platform = await startPlatform(dir, motoPort, proxyUrl);
    env = platform.env;
    c = clientsFor(env);
    log('platform restarted');

    await send(half, REQUESTS, (n) => {
      if (n % 1000 === 0) log('sent', { sent: n, answered });
    });
    const sendMs = Date.now() - started;
    log('traffic done; draining', { answered, statuses });
    await drained(c.sqs, mirrorQueue, DRAIN_TIMEOUT_MS);
    duplicator.stop = true;
    await duplicator.done;
    // A copy the duplicator sent last may still be queued.
    await drained(c.sqs, mirrorQueue, DRAIN_TIMEOUT_MS);
    const dlq = env.UNDERSTUDY_DLQ_URL ?? '';
    const deadLettered = await queueDepth(c.sqs, dlq);
    const redriven = await redrive(c.sqs, dlq, mirrorQueue);
    await drained(c.sqs, mirrorQueue, DRAIN_TIMEOUT_MS);
    const leftInDlq = await queueDepth(c.sqs, dlq);

    const bucket = env.UNDERSTUDY_BUCKET ?? '';
    const production = await captureLines(c.s3, bucket, `captures/${name}/${name}/main/`);
    const shadow = await captureLines(c.s3, bucket, `captures/${name}/${name}/shadow/`);
    const report = await c.call('Understudy.DescribeShadowReport', { InferenceExperimentName: name });
    const endpoint = await c.call('SageMaker.DescribeEndpoint', { EndpointName: name }).catch(() => ({}));
    const figures = {
      requests: REQUESTS,
      answered,
      statuses,
      capturedProduction: production.length,
      uniqueProduction: new Set(production).size,
      capturedShadow: shadow.length,
      uniqueShadow: new Set(shadow).size,
      requestsMirrored: report.RequestsMirrored,
      requestsCompared: report.RequestsCompared,
      mirrorsDropped: report.MirrorsDropped,
      capturesDropped: (endpoint as Record<string, unknown>).CapturesDropped,
      duplicatesSent: duplicator.sent,
      deadLetteredBeforeRedrive: deadLettered.visible,
      redriven,
      leftInDlq: leftInDlq.visible + leftInDlq.inFlight,
      faults,
      sendMs,
      totalMs: Date.now() - started,
    };
    const exact =
      figures.uniqueProduction === answered &&
      figures.capturedProduction === answered &&
      figures.uniqueShadow === answered &&
      figures.capturedShadow === answered &&
      figures.requestsMirrored === answered &&
      figures.requestsCompared === answered &&
      figures.leftInDlq === 0;
    console.log(JSON.stringify(figures));
    console.log(
      `faults: ${exact ? 'EXACT' : 'MISMATCH'} — captures ${figures.uniqueProduction}/${figures.capturedProduction} production, ${figures.uniqueShadow}/${figures.capturedShadow} shadow (unique/lines) for ${answered} answered; compared ${String(figures.requestsCompared)} of ${String(figures.requestsMirrored)} mirrored`,
    );
    if (!exact) process.exitCode = 1;
  } finally {
    if (platform) {
      killGroup(platform.child, 'SIGTERM');
      await sleep(3000);
      killGroup(platform.child, 'SIGKILL');
    }
    proxy.close();
    try {
      process.kill(moto.pid, 'SIGCONT');
    } catch {
      // gone
    }
    await moto.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
