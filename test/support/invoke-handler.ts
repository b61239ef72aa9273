import type { EndpointRecord } from '../../lambdas/domain/hosting/endpoints.js';
import { EndpointCache } from '../../lambdas/domain/inference/endpoint-cache.js';
import { ModelCache } from '../../lambdas/domain/inference/model-cache.js';
import type { ArtifactSource } from '../../lambdas/domain/kernel/artifact.js';
import { COLLECTIONS, type EndpointInternal } from '../../lambdas/domain/kernel/records.js';
import type { MirrorMessage } from '../../lambdas/domain/mirroring/mirror.js';
import { createInvokeHandler } from '../../lambdas/invoke/data-plane.js';
import { InMemoryRegistryStore } from './in-memory-registry-store.js';
import { seeded } from './seeded-random.js';

export const INVOKER_KEY = {
  accessKeyId: 'AKUSMIRROR0000000000',
  secretAccessKey: 'mirror-secret-mirror-secret-mirror-secret',
  role: 'invoker' as const,
};

/**
 * The InvokeEndpoint handler over in-memory ports, serving endpoint `ep` (InService) with
 * `internal`, answering INVOKER_KEY; mirror messages are kept in `messages` unless `send` is given.
 */
export async function invokeHandlerFor(
  internal: EndpointInternal,
  artifacts: ArtifactSource,
  options: {
    now: Date;
    seed: number;
    send?: (message: MirrorMessage) => Promise<void>;
    redactionKey?: () => Promise<Uint8Array>;
    maxRows?: number;
  },
) {
  const store = new InMemoryRegistryStore();
  await store.create(COLLECTIONS.endpoint, 'ep', {
    EndpointName: 'ep',
    EndpointConfigName: 'cfg',
    EndpointStatus: 'InService',
    internal,
  } as unknown as EndpointRecord);
  const models = new ModelCache(artifacts);
  const messages: MirrorMessage[] = [];
  const handler = createInvokeHandler({
    endpoints: new EndpointCache(store),
    models,
    keys: { resolve: async (id) => (id === INVOKER_KEY.accessKeyId ? INVOKER_KEY : undefined) },
    mirror: { send: options.send ?? (async (message) => void messages.push(message)) },
    metrics: { write: () => undefined },
    random: seeded(options.seed),
    ...(options.maxRows === undefined ? {} : { maxRows: options.maxRows }),
    now: () => options.now,
    redactionKey: options.redactionKey,
  });
  return { handler, messages, models, store };
}
