/**
 * The request path while SQS is slow. The whole InvokeEndpoint handler with capture and a
 * shadow at 100%, sending through the real mirror adapter (SqsMirrorQueue) and the mirror's
 * own SQS client (one SDK attempt, its timeouts) to a stand-in on 127.0.0.1 that answers
 * SendMessage after 2 s: so the budget's deadline, the SDK's abort, the retry rule and the
 * drop count are all the production code's (drops counted in an in-memory registry).
 * Against the same handler with the mirror off, in the same run and the same way: `LANES`
 * callers side by side, so the run takes seconds rather than one budget per request. Then,
 * one caller at a time, what a healthy mirror (the stand-in answering at once) adds.
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { SqsMirrorQueue } from '../lambdas/adapters/sqs-mirror-queue.js';
import { capturesDropped } from '../lambdas/domain/data-capture/drops.js';
import type { EndpointRecord } from '../lambdas/domain/hosting/endpoints.js';
import type { EndpointInternal } from '../lambdas/domain/kernel/records.js';
import { DEFAULT_MIRROR_BUDGET_MS } from '../lambdas/domain/mirroring/mirror-delivery.js';
import { RegistryMirrorDropCounter } from '../lambdas/domain/mirroring/mirror-drops.js';
import { mirrorsDropped } from '../lambdas/domain/shadow-tests/comparison-recorder.js';
import { mirrorSqsClient } from '../lambdas/shared/clients.js';
import { InMemoryRegistryStore } from '../test/support/in-memory-registry-store.js';
import { MemoryArtifactSource } from '../test/support/models.js';
import { signedInvokeEvent } from '../test/support/signed-event.js';
import { type SqsStandIn, standInClientConfig, startSqsStandIn } from '../test/support/sqs-stand-in.js';
import { fmt, measureConcurrent, row, type Stats } from './harness.js';
import { benchInvokeHandler, KEY, NOW } from './inference.bench.js';

const SLOW_SQS_MS = 2_000;
/** With SQS slow every request waits the budget out: LANES callers keep the run to seconds. */
const REQUESTS = 200;
const LANES = 20;
/** One caller at a time, as a Lambda instance serves them: the request path's own cost. */
const SEQUENTIAL_REQUESTS = 500;
const rules = { csvContentTypes: ['text/csv'], jsonContentTypes: ['application/json'] };

const artifacts = new MemoryArtifactSource();
const artifact = (file: string) => artifacts.register(file, 's3://bench');
const variants = [{ VariantName: 'main', weight: 1, ModelName: 'v1', artifact: artifact('regressor.onnx') }];
const mirrored: EndpointInternal = {
  variants,
  capture: {
    enabled: true,
    samplingPercentage: 100,
    destination: 's3://bench/captures',
    captureInput: true,
    captureOutput: true,
    ...rules,
  },
  shadows: [
    {
      VariantName: 'shadow',
      weight: 0,
      ModelName: 'v2',
      artifact: artifact('regressor-v2.onnx'),
      samplingPercentage: 100,
      sourceVariant: 'main',
      destination: 's3://bench/shadow',
      experimentName: 'bench',
      ...rules,
    },
  ],
};

interface Side {
  readonly requests: number;
  readonly stats: Stats;
  /** Drop log lines (console.error), which the bench keeps off the terminal. */
  readonly dropLogs: number;
  readonly dropsInMetrics: number;
  readonly capturesDropped: number;
  readonly mirrorsDropped: number;
  /** What the stand-in saw of the measured requests. */
  readonly sqs: { received: number; answered: number; abandoned: number };
}

async function silenced(fn: () => Promise<void>): Promise<void> {
  const consoleError = console.error;
  console.error = () => undefined;
  try {
    await fn();
  } finally {
    console.error = consoleError;
  }
}

/** Lets the stand-in see the connections the client just closed before it is read. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

async function side(
  internal: EndpointInternal,
  standIn: SqsStandIn | undefined,
  requests: number,
  lanes: number,
): Promise<Side> {
  const store = new InMemoryRegistryStore();
  let dropsInMetrics = 0;
  const record = {
    EndpointName: 'bench',
    EndpointConfigName: 'bench',
    EndpointStatus: 'InService',
    internal,
  };
  const config = standIn && standInClientConfig(standIn);
  const mirror =
    standIn &&
    config &&
    new SqsMirrorQueue(
      mirrorSqsClient(DEFAULT_MIRROR_BUDGET_MS, config),
      standIn.queueUrl,
      new S3Client({ ...config, forcePathStyle: true }),
      'bench',
    );
  const handler = await benchInvokeHandler(artifacts, record as unknown as EndpointRecord, mirror, {
    store,
    drops: new RegistryMirrorDropCounter(store),
    metrics: {
      write: (line) => {
        if (line.includes('"MirrorsDropped":1')) dropsInMetrics++;
      },
    },
  });
  const event = await signedInvokeEvent({ key: KEY, now: NOW, endpoint: 'bench', body: '0.5,-1.5,2.25,0\n' });
  const context = {} as Context;
  const call = async () => {
    // One event object per call, as Lambda gives: the metrics middleware keys its state by it.
    const result = await handler({ ...event }, context);
    if (result.statusCode !== 200) throw new Error(`bench request failed: ${JSON.stringify(result)}`);
  };
  await silenced(call); // loads the model; not measured, nor counted below
  await settle();
  const before = {
    metrics: dropsInMetrics,
    captures: await capturesDropped(store, 'bench'),
    mirrors: await mirrorsDropped(store, 'bench', 'shadow'),
    sqs: { ...(standIn?.counts ?? { received: 0, answered: 0, abandoned: 0 }) },
  };
  let dropLogs = 0;
  const consoleError = console.error;
  console.error = (line: unknown) => {
    if (String(line).includes('mirror message dropped')) dropLogs++;
    else consoleError(line);
  };
  let stats: Stats;
  try {
    stats = await measureConcurrent(call, requests, lanes, lanes > 1 ? DEFAULT_MIRROR_BUDGET_MS : 0);
  } finally {
    console.error = consoleError;
  }
  await settle();
  const after = standIn?.counts ?? before.sqs;
  return {
    requests,
    stats,
    dropLogs,
    dropsInMetrics: dropsInMetrics - before.metrics,
    capturesDropped: (await capturesDropped(store, 'bench')) - before.captures,
    mirrorsDropped: (await mirrorsDropped(store, 'bench', 'shadow')) - before.mirrors,
    sqs: {
      received: after.received - before.sqs.received,
      answered: after.answered - before.sqs.answered,
      abandoned: after.abandoned - before.sqs.abandoned,
    },
  };
}

export async function benchMirrorBudget(): Promise<void> {
  const slow = await startSqsStandIn({ delayMs: SLOW_SQS_MS });
  const quick = await startSqsStandIn({ delayMs: 0 });
  try {
    const budget = DEFAULT_MIRROR_BUDGET_MS;
    const off = await side({ variants }, undefined, REQUESTS, LANES);
    const slowOn = await side(mirrored, slow, REQUESTS, LANES);
    const offAlone = await side({ variants }, undefined, SEQUENTIAL_REQUESTS, 1);
    const quickAlone = await side(mirrored, quick, SEQUENTIAL_REQUESTS, 1);
    console.log(
      `\nRequest path while SQS is slow (budget ${budget} ms incl. one retry; the real SqsMirrorQueue and mirror SQS` +
        ` client against a stand-in on 127.0.0.1, in this process; capture + shadow at 100%)`,
    );
    console.log(`  ${LANES} callers side by side:`);
    console.log(row('mirror off (no capture, no shadow)', off.stats));
    console.log(row(`mirror on, SQS answering after ${SLOW_SQS_MS / 1000} s`, slowOn.stats));
    const p99 = slowOn.stats.p99Us / 1000;
    console.log(
      `  client-visible p99 with SQS slow: ${p99.toFixed(1)} ms, the ${budget} ms budget + ${(p99 - budget).toFixed(1)} ms;` +
        ` ratio to mirror off: p50 ${(slowOn.stats.medianUs / off.stats.medianUs).toFixed(0)}×,` +
        ` p99 ${(slowOn.stats.p99Us / off.stats.p99Us).toFixed(0)}×`,
    );
    console.log(
      `  ${slowOn.requests} requests, all answered 200: ${slowOn.dropsInMetrics} dropped in the EMF MirrorsDropped,` +
        ` ${slowOn.dropLogs} drop log lines, registry CapturesDropped ${slowOn.capturesDropped} and MirrorsDropped` +
        ` ${slowOn.mirrorsDropped}; SendMessage attempts ${slowOn.sqs.received} (no retry once the deadline has passed),` +
        ` ${slowOn.sqs.abandoned} connections closed by the client at the deadline, ${slowOn.sqs.answered} answered`,
    );
    console.log('  one caller at a time (as a Lambda instance serves them):');
    console.log(row('mirror off (no capture, no shadow)', offAlone.stats));
    console.log(row('mirror on, SQS answering at once', quickAlone.stats));
    console.log(
      `  a healthy mirror adds ${fmt(quickAlone.stats.medianUs - offAlone.stats.medianUs)} at the median (SDK, HTTP and the` +
        ` stand-in's own CPU in this process); ${quickAlone.dropsInMetrics} dropped, ${quickAlone.sqs.answered} of` +
        ` ${quickAlone.requests} delivered`,
    );
  } finally {
    await slow.close();
    await quick.close();
  }
}
