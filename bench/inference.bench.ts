/**
 * The data plane's own cost: the whole InvokeEndpoint handler (SigV4 check, endpoint
 * lookup, routing, payload parsing, input checks, ONNX run, serialization) against a bare
 * `session.run` of the same model on the same row, measured alternately in one run.
 * Registry and artifact reads are in-memory here: this isolates the handler's CPU cost.
 */
import { createRequire } from 'node:module';
import type { Context } from 'aws-lambda';
import type * as Ort from 'onnxruntime-node';
import type { EndpointRecord } from '../lambdas/domain/hosting/endpoints.js';
import { chooseVariant } from '../lambdas/domain/hosting/routing.js';
import { EndpointCache } from '../lambdas/domain/inference/endpoint-cache.js';
import { ModelCache } from '../lambdas/domain/inference/model-cache.js';
import { COLLECTIONS } from '../lambdas/domain/kernel/records.js';
import type { MirrorQueue } from '../lambdas/domain/mirroring/mirror.js';
import type { MirrorDropCounter } from '../lambdas/domain/mirroring/mirror-drops.js';
import { createInvokeHandler } from '../lambdas/invoke/data-plane.js';
import type { MetricsSink } from '../lambdas/invoke/invocation-metrics.js';
import type { HttpEvent } from '../lambdas/shared/http.js';
import { InMemoryRegistryStore } from '../test/support/in-memory-registry-store.js';
import { fixture, MemoryArtifactSource } from '../test/support/models.js';
import { signedInvokeEvent } from '../test/support/signed-event.js';
import { compare, fmt, measure, row } from './harness.js';

const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof Ort;
export const KEY = {
  accessKeyId: 'AKUSBENCH0000000000',
  secretAccessKey: 'bench-secret-bench-secret-bench-secret-00',
  role: 'admin' as const,
};
export const NOW = new Date('2026-11-25T12:00:00Z');
/** Keeps the benchmark's output readable: one EMF line per request would flood it. */
export const DISCARD_METRICS = { write: (_line: string) => {} };
const ROW = '0.5,-1.5,2.25,0\n';

export function signedEvent(): Promise<HttpEvent> {
  return signedInvokeEvent({ key: KEY, now: NOW, endpoint: 'bench', body: ROW });
}

/** What a benchmark may change in the handler it drives. */
export interface BenchHandlerOptions {
  /** The registry the endpoint record goes into (and drops are counted in, with `drops`). */
  readonly store?: InMemoryRegistryStore;
  readonly mirrorBudgetMs?: number;
  readonly drops?: MirrorDropCounter;
  readonly metrics?: MetricsSink;
}

/**
 * The InvokeEndpoint handler over one in-memory endpoint record, as every benchmark drives it:
 * artifacts from memory, the bench key, a fixed clock, and EMF lines built but not written.
 */
export async function benchInvokeHandler(
  artifacts: MemoryArtifactSource,
  record: EndpointRecord,
  mirror?: MirrorQueue,
  options: BenchHandlerOptions = {},
): Promise<ReturnType<typeof createInvokeHandler>> {
  const store = options.store ?? new InMemoryRegistryStore();
  await store.create(COLLECTIONS.endpoint, 'bench', record);
  return createInvokeHandler({
    endpoints: new EndpointCache(store, 60_000),
    models: new ModelCache(artifacts),
    keys: { resolve: async (id) => (id === KEY.accessKeyId ? KEY : undefined) },
    mirror,
    mirrorBudgetMs: options.mirrorBudgetMs,
    drops: options.drops,
    metrics: options.metrics ?? DISCARD_METRICS,
    now: () => NOW,
  });
}

export async function benchInference(): Promise<void> {
  const artifacts = new MemoryArtifactSource();
  const artifact = artifacts.register('regressor.onnx', 's3://bench');
  const handler = await benchInvokeHandler(artifacts, {
    EndpointName: 'bench',
    EndpointStatus: 'InService',
    internal: { variants: [{ VariantName: 'main', weight: 1, ModelName: 'm', artifact }] },
  } as unknown as EndpointRecord);
  const event = await signedEvent();
  const context = {} as Context;
  const first = await handler(event, context);
  if (first.statusCode !== 200) throw new Error(`bench request failed: ${JSON.stringify(first)}`);

  const session = await ort.InferenceSession.create(fixture('regressor.onnx'));
  const tensor = new ort.Tensor('float32', Float32Array.from([0.5, -1.5, 2.25, 0]), [1, 4]);
  const [bare, full] = await compare(
    () => session.run({ features: tensor }),
    () => handler(event, context),
    20_000,
  );
  console.log('\nInference handler overhead (small tabular model, 1 CSV row, in-process)');
  console.log(row('bare session.run', bare));
  console.log(row('InvokeEndpoint handler (all of it)', full));
  const added = full.medianUs - bare.medianUs;
  console.log(
    `  added by the handler at the median: ${fmt(added)}  (target ≤ 100 µs; ratio ${(full.medianUs / bare.medianUs).toFixed(2)}×)`,
  );

  const variants = [
    { VariantName: 'a', weight: 70 },
    { VariantName: 'b', weight: 20 },
    { VariantName: 'c', weight: 10 },
  ];
  const routing = await measure(() => {
    for (let i = 0; i < 1000; i++) chooseVariant(variants, undefined);
  }, 2000);
  // One sample is 1,000 decisions, so its microseconds are nanoseconds per decision.
  console.log(`  routing decision (3 weighted variants): ${routing.medianUs.toFixed(1)} ns per request`);
}
