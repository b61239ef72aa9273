import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { createDeployerHandler } from '../../lambdas/deployer/deployer.js';
import type { DeployerContext } from '../../lambdas/domain/deployments/engine.js';
import type { RegistryStore } from '../../lambdas/domain/kernel/store.js';
import { InMemoryRegistryStore } from '../support/in-memory-registry-store.js';

const record = (messageId: string, body: string) => ({ messageId, body }) as SQSRecord;
const event = (...records: SQSRecord[]): SQSEvent => ({ Records: records });

function context(store: RegistryStore): DeployerContext {
  return {
    store,
    alarms: { states: async () => new Map() },
    scheduler: { schedule: async () => undefined },
    now: () => new Date('2026-11-25T12:00:00Z'),
  };
}

describe('deployer handler', () => {
  it('drops messages that are not steps, and steps of deployments that are gone', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const handler = createDeployerHandler(context(new InMemoryRegistryStore()));
    const result = await handler(
      event(
        record('1', 'not json'),
        record('2', JSON.stringify({ EndpointName: 'ep' })),
        record('3', JSON.stringify({ EndpointName: 'ep', DeploymentId: 'd', Tick: 0 })),
      ),
      {} as Context,
    );
    expect(result).toEqual({ batchItemFailures: [] });
  });

  it('reports only the messages whose step failed, so SQS delivers them again', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const store = new InMemoryRegistryStore();
    const failing: RegistryStore = Object.assign(Object.create(store), {
      get: async (collection: string, id: string) => {
        if (id === 'broken') throw new Error('DynamoDB is throttling');
        return store.get(collection, id);
      },
    });
    const handler = createDeployerHandler(context(failing));
    const step = (EndpointName: string) => JSON.stringify({ EndpointName, DeploymentId: 'd', Tick: 0 });
    const result = await handler(event(record('a', step('ok')), record('b', step('broken'))), {} as Context);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'b' }] });
  });
});
