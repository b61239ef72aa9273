/**
 * The invoke function as the platform bench runs it: the real data-plane handler over an
 * in-memory registry and artifact source (no emulator), with the bench key and clock.
 */
import type { EndpointRecord } from '../lambdas/domain/hosting/endpoints.js';
import { stdoutMetricsSink } from '../lambdas/invoke/invocation-metrics.js';
import { MemoryArtifactSource } from '../test/support/models.js';
import { benchInvokeHandler } from './inference.bench.js';

const artifacts = new MemoryArtifactSource();
const artifact = artifacts.register('regressor.onnx', 's3://bench');
const record = {
  EndpointName: 'bench',
  EndpointStatus: 'InService',
  EndpointConfigName: 'bench-config',
  internal: { variants: [{ VariantName: 'main', weight: 1, ModelName: 'm', artifact }] },
} as unknown as EndpointRecord;

export const handler = await benchInvokeHandler(artifacts, record, undefined, { metrics: stdoutMetricsSink });
