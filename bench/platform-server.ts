/**
 * One server of the platform bench, in a process of its own (platform.bench.ts forks this
 * file), so that the load generator and the other server share neither its event loop nor its
 * heap, and `--cpu-prof` profiles this server alone:
 *  - `platform`: the local runtime (scripts/local/runtime.ts: HTTP → API Gateway event → the
 *    invoke handler, SigV4 on) over in-memory ports, with its access log on and the handler's
 *    EMF metrics lines, written to this process's stdout as `npm start` writes them;
 *  - `bare`: `node:http` + onnxruntime, the same model and row, no auth, no logging.
 * Sends `{ url }` to the parent when listening, `{ cpuUs }` (its CPU time so far) when asked
 * with `{ cpu: true }`; exits when the parent disconnects.
 */
import { createServer, type IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type * as Ort from 'onnxruntime-node';
import type { FunctionSpec } from '../lambdas/functions.js';
import { bufferWrites } from '../scripts/local/line-writer.js';
import { LocalRuntime } from '../scripts/local/runtime.js';
import type { CfnTemplate } from '../scripts/local/template.js';
import { fixture } from '../test/support/models.js';

const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof Ort;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

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

interface Running {
  readonly url: string;
  close(): Promise<void>;
}

async function platformServer(): Promise<Running> {
  // As `npm start` does once it runs (scripts/local/start.ts).
  const output = bufferWrites(process.stdout);
  const runtime = await LocalRuntime.start({
    template: TEMPLATE,
    ctx: { accountId: '123456789012', region: 'us-east-1', stackName: 'bench', physicalIds: {} },
    projectRoot: root,
    sqs: {} as SQSClient,
    port: 0,
    schedules: false,
    functionSpecs: SPECS,
  });
  return { url: runtime.url, close: () => runtime.stop().finally(() => output.restore()) };
}

/** A bare server: read the CSV row, one session.run, a JSON answer. No auth, no logging. */
async function bareServer(): Promise<Running> {
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
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const kind = process.argv[2];
if (!process.send) throw new Error('platform-server.ts runs as a child of platform.bench.ts (IPC)');
const running =
  kind === 'platform' ? await platformServer() : kind === 'bare' ? await bareServer() : undefined;
if (!running) throw new Error(`unknown server kind ${kind}; platform or bare`);
process.send({ url: running.url });
// CPU time of this process (all its threads: onnxruntime's too), for CPU per request.
process.on('message', (message: { cpu?: boolean }) => {
  if (message.cpu) {
    const { user, system } = process.cpuUsage();
    process.send?.({ cpuUs: user + system });
  }
});
// A normal exit, so that --cpu-prof writes its profile.
process.once('disconnect', () => {
  running.close().finally(() => process.exit(0));
});
