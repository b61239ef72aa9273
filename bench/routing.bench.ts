/**
 * What weighted routing and per-variant metrics cost a request: the routing decision (steady
 * and during a rollout, when a request first picks a fleet), the EMF line, and the whole
 * InvokeEndpoint handler for scale, measured in one run. Routing must stay in the noise of
 * the handler's own overhead.
 */
import type { Context } from 'aws-lambda';
import { routeRequest } from '../lambdas/domain/deployments/routing.js';
import type { EndpointRecord } from '../lambdas/domain/hosting/endpoints.js';
import { chooseVariant } from '../lambdas/domain/hosting/routing.js';
import { emfLine } from '../lambdas/domain/inference/emf.js';
import type { RuntimeVariant } from '../lambdas/domain/kernel/records.js';
import { MemoryArtifactSource } from '../test/support/models.js';
import { compare, fmt, measure, row } from './harness.js';
import { benchInvokeHandler, signedEvent } from './inference.bench.js';

const PER_SAMPLE = 1000;

/** Nanoseconds per call of `fn`, from samples of 1,000 calls (their microseconds are ns per call). */
async function nsPerCall(fn: () => unknown): Promise<number> {
  const stats = await measure(() => {
    for (let i = 0; i < PER_SAMPLE; i++) fn();
  }, 2000);
  return stats.medianUs;
}

export async function benchRouting(): Promise<void> {
  const artifacts = new MemoryArtifactSource();
  const artifact = artifacts.register('regressor.onnx', 's3://bench');
  const variant = (VariantName: string, weight: number): RuntimeVariant => ({
    VariantName,
    weight,
    ModelName: 'm',
    artifact,
  });
  const current = [variant('a', 70), variant('b', 20), variant('c', 10)];
  const steady = {
    EndpointName: 'bench',
    EndpointConfigName: 'blue',
    EndpointStatus: 'InService',
    internal: { variants: current },
  } as unknown as EndpointRecord;
  const rolling = {
    ...steady,
    EndpointStatus: 'Updating',
    internal: {
      variants: current,
      rollout: {
        share: 0.3,
        EndpointConfigName: 'green',
        runtime: { variants: [variant('x', 1), variant('y', 1)] },
      },
    },
  } as unknown as EndpointRecord;

  let sink = 0;
  const choose = await nsPerCall(() => {
    sink += chooseVariant(current, undefined).weight;
  });
  const routeSteady = await nsPerCall(() => {
    sink += routeRequest(steady, undefined, Math.random).variant.weight;
  });
  const routeRolling = await nsPerCall(() => {
    sink += routeRequest(rolling, undefined, Math.random).variant.weight;
  });
  const metrics = await nsPerCall(() => {
    sink += emfLine({
      EndpointName: 'bench',
      EndpointConfigName: 'blue',
      VariantName: 'a',
      statusCode: 200,
      modelError: false,
      modelLatencyUs: 21.7,
      totalUs: 93.2,
      timestampMs: 1_764_000_000_000,
    }).length;
  });

  const handlerFor = (record: EndpointRecord) => benchInvokeHandler(artifacts, record);
  const event = await signedEvent();
  const context = {} as Context;
  const steadyHandler = await handlerFor(steady);
  const rollingHandler = await handlerFor(rolling);
  for (const handler of [steadyHandler, rollingHandler]) {
    const first = await handler(event, context);
    if (first.statusCode !== 200) throw new Error(`bench request failed: ${JSON.stringify(first)}`);
  }
  const [steadyStats, rollingStats] = await compare(
    () => steadyHandler(event, context),
    () => rollingHandler(event, context),
    20_000,
  );

  const perRequestNs = routeSteady + metrics;
  console.log('\nRouting and per-variant metrics, per request (in-process)');
  console.log(`  chooseVariant, 3 weighted variants              ${choose.toFixed(0).padStart(6)} ns`);
  console.log(`  routeRequest, steady endpoint                   ${routeSteady.toFixed(0).padStart(6)} ns`);
  console.log(`  routeRequest, mid-rollout (30% to a new fleet)  ${routeRolling.toFixed(0).padStart(6)} ns`);
  console.log(`  EMF metrics line (build)                        ${metrics.toFixed(0).padStart(6)} ns`);
  console.log(row('InvokeEndpoint handler, steady endpoint', steadyStats));
  console.log(row('InvokeEndpoint handler, mid-rollout', rollingStats));
  console.log(
    `  routing + metrics: ${fmt(perRequestNs / 1000)} per request = ${((perRequestNs / 1000 / steadyStats.medianUs) * 100).toFixed(2)}% of the handler's median ${fmt(steadyStats.medianUs)}; mid-rollout − steady at the median: ${fmt(rollingStats.medianUs - steadyStats.medianUs)}`,
  );
  if (sink === -1) console.log(sink); // keeps the measured work observable
}
