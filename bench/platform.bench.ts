/**
 * The local platform's HTTP path (scripts/local/runtime.ts: HTTP → API Gateway event → the
 * invoke handler, SigV4 on) against a bare `node:http` + onnxruntime server answering the same
 * row with the same model, each loaded in turn for a bounded time on 127.0.0.1 by the same
 * closed-loop generator (`CONNECTIONS` keep-alive connections, each sending its next request
 * when its answer arrives). Prints requests/s, p50 and p99 of both and the ratio.
 */
import { Agent, createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type * as Ort from 'onnxruntime-node';
import type { FunctionSpec } from '../lambdas/functions.js';
import { LocalRuntime } from '../scripts/local/runtime.js';
import type { CfnTemplate } from '../scripts/local/template.js';
import { fixture } from '../test/support/models.js';
import { fmt, stats } from './harness.js';
import { signedEvent } from './inference.bench.js';

const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof Ort;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CONNECTIONS = 8;
const DURATION_MS = 5_000;
const ROUNDS = 2;
const INVOCATIONS = '/endpoints/bench/invocations';

const SPECS: Record<string, FunctionSpec> = {
  benchInvoke: {
    entry: 'bench/platform-invoke-entry.ts',
    description: 'the invoke handler over in-memory ports',
    memorySizeMb: 1024,
    timeoutSeconds: 30,
    usesOnnx: true,
  },
};
const TEMPLATE: CfnTemplate = {
  Resources: {
    Invoke: {
      Type: 'AWS::Lambda::Function',
      Metadata: { 'understudy:function': 'benchInvoke' },
      Properties: {},
    },
    Integration: {
      Type: 'AWS::ApiGatewayV2::Integration',
      Properties: { IntegrationUri: { 'Fn::GetAtt': ['Invoke', 'Arn'] }, PayloadFormatVersion: '2.0' },
    },
    Route: {
      Type: 'AWS::ApiGatewayV2::Route',
      Properties: {
        RouteKey: 'POST /endpoints/{EndpointName}/invocations',
        Target: { 'Fn::Join': ['/', ['integrations', { Ref: 'Integration' }]] },
      },
    },
  },
} as unknown as CfnTemplate;

/** A bare server: read the CSV row, one session.run, a JSON answer. No auth, no logging. */
async function bareServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const session = await ort.InferenceSession.create(fixture('regressor.onnx'), {
    graphOptimizationLevel: 'all',
  });
  const read = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  const server = createServer((req, res) => {
    read(req)
      .then(async (text) => {
        const row = Float32Array.from(text.trim().split(',').map(Number));
        const out = await session.run({ features: new ort.Tensor('float32', row, [1, row.length]) });
        const score = Array.from((out.score as Ort.Tensor).data as Float32Array);
        const body = JSON.stringify({ predictions: score, outputs: { score: [score] } });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      })
      .catch(() => {
        res.writeHead(500);
        res.end();
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Closed-loop load for `durationMs`: requests/s and per-request latencies; stops by itself. */
async function load(url: string, headers: Record<string, string>, body: string, durationMs: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const target = new URL(INVOCATIONS, url);
  const samples: bigint[] = [];
  let failures = 0;
  const once = () =>
    new Promise<void>((resolve) => {
      const started = process.hrtime.bigint();
      const req = httpRequest(target, { method: 'POST', agent, headers }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) samples.push(process.hrtime.bigint() - started);
          else failures++;
          resolve();
        });
      });
      req.on('error', () => {
        failures++;
        resolve();
      });
      req.end(body);
    });
  const until = performance.now() + durationMs;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < until) await once();
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { rps: samples.length / seconds, latency: stats(samples), failures };
}

export async function benchPlatform(): Promise<void> {
  const event = await signedEvent();
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers)) if (value !== undefined) headers[name] = value;
  const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8').toString('utf8');
  const runtime = await LocalRuntime.start({
    template: TEMPLATE,
    ctx: { accountId: '123456789012', region: 'us-east-1', stackName: 'bench', physicalIds: {} },
    projectRoot: root,
    sqs: {} as SQSClient,
    port: 0,
    schedules: false,
    functionSpecs: SPECS,
    // The access log line is built and handed to a logger, as with `npm start`, but not printed.
    log: () => {},
  });
  const bare = await bareServer();
  try {
    console.log(
      `\nLocal platform over HTTP (SigV4, small model, ${CONNECTIONS} connections, ${ROUNDS}× ${DURATION_MS / 1000} s each, 127.0.0.1)`,
    );
    for (let round = 1; round <= ROUNDS; round++) {
      const platform = await load(runtime.url, headers, body, DURATION_MS);
      const plain = await load(bare.url, headers, body, DURATION_MS);
      const line = (label: string, r: typeof platform) =>
        `  ${label.padEnd(36)} ${Math.round(r.rps).toLocaleString('en').padStart(7)} req/s  p50 ${fmt(r.latency.medianUs).padStart(9)}  p99 ${fmt(r.latency.p99Us).padStart(9)}${r.failures ? `  (${r.failures} failed)` : ''}`;
      console.log(line(`round ${round}: local platform`, platform));
      console.log(line(`round ${round}: bare node:http + onnxruntime`, plain));
      console.log(
        `  platform / bare: ${((100 * platform.rps) / plain.rps).toFixed(0)}% (target ≥ 60%, moonshot 80%)`,
      );
    }
  } finally {
    await bare.close();
    await runtime.stop();
  }
}
