/**
 * Entry bundled by the cold-start benchmark like a Lambda bundle: a fresh process builds
 * the data-plane handler, loads the model on the first request and answers it. It prints
 * the first answer's timing marks (ms since process start) as JSON on stdout.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { EndpointRecord } from '../lambdas/domain/hosting/endpoints.js';
import { EndpointCache } from '../lambdas/domain/inference/endpoint-cache.js';
import { ModelCache } from '../lambdas/domain/inference/model-cache.js';
import { sha256Hex } from '../lambdas/domain/kernel/artifact.js';
import { COLLECTIONS } from '../lambdas/domain/kernel/records.js';
import { createInvokeHandler } from '../lambdas/invoke/data-plane.js';
import type { HttpEvent } from '../lambdas/shared/http.js';
import { InMemoryRegistryStore } from '../test/support/in-memory-registry-store.js';

const imported = performance.now();
const [modelPath, eventPath] = process.argv.slice(2) as [string, string];
const bytes = readFileSync(modelPath);
const artifact = { uri: 's3://bench/model.onnx', sha256: sha256Hex(bytes), sizeBytes: bytes.length };
const store = new InMemoryRegistryStore();
await store.create(COLLECTIONS.endpoint, 'bench', {
  EndpointName: 'bench',
  EndpointStatus: 'InService',
  internal: { variants: [{ VariantName: 'main', weight: 1, ModelName: 'm', artifact }] },
} as unknown as EndpointRecord);
const { event, key, now } = JSON.parse(readFileSync(eventPath, 'utf8')) as {
  event: HttpEvent;
  key: { accessKeyId: string; secretAccessKey: string; role: 'admin' };
  now: string;
};
const handler = createInvokeHandler({
  endpoints: new EndpointCache(store),
  models: new ModelCache({ fetch: async () => bytes }),
  keys: { resolve: async (id) => (id === key.accessKeyId ? key : undefined) },
  now: () => new Date(now),
});
const result = await handler(event, {} as never);
const answered = performance.now();
console.log(JSON.stringify({ status: result.statusCode, importedMs: imported, answeredMs: answered }));
