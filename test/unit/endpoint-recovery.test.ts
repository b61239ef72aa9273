import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../lambdas/control/control-plane.js';
import { runDeploymentStep } from '../../lambdas/domain/deployments/engine.js';
import type { DeploymentRecord } from '../../lambdas/domain/deployments/history.js';
import { deployerContext } from '../../lambdas/domain/deployments/operations.js';
import {
  ABANDONED_GRACE_SECONDS,
  recoverStalledEndpoints,
  STALLED_STEP_GRACE_SECONDS,
} from '../../lambdas/domain/deployments/recovery.js';
import type { EndpointRecord } from '../../lambdas/domain/hosting/endpoints.js';
import type { ControlContext } from '../../lambdas/domain/kernel/context.js';
import type { AlarmSource, StepMessage, StepScheduler } from '../../lambdas/domain/kernel/ports.js';
import { COLLECTIONS } from '../../lambdas/domain/kernel/records.js';
import type { RegistryStore } from '../../lambdas/domain/kernel/store.js';
import { createMonitorHandler } from '../../lambdas/monitor/monitor.js';
import { onnxModelProbe } from '../../lambdas/shared/model-probe.js';
import { CrashingStore, SimulatedCrash } from '../support/crashing-store.js';
import { InMemoryObjectStore } from '../support/in-memory-object-store.js';
import { InMemoryRegistryStore } from '../support/in-memory-registry-store.js';
import { fixture, MemoryArtifactSource } from '../support/models.js';

/**
 * Issue 14, part 5: an endpoint never stays Creating or Updating because the function doing
 * the work died. Each path is run once to count its registry writes, then once per write
 * with the process killed just before that write and once just after it landed; the
 * monitor's recovery then runs past its deadline, and the endpoint must be settled, its
 * history agreeing with what it serves.
 */

const CONTROL_TIMEOUT = 60;
const quietAlarms: AlarmSource = { states: async (names) => new Map(names.map((n) => [n, 'OK' as const])) };

class QueuedSteps implements StepScheduler {
  readonly sent: { message: StepMessage; delaySeconds: number }[] = [];
  async schedule(message: StepMessage, delaySeconds: number) {
    this.sent.push({ message, delaySeconds });
  }
}

interface World {
  store: InMemoryRegistryStore;
  ctx: ControlContext;
  steps: QueuedSteps;
  clock: { now: number };
}

async function world(): Promise<World> {
  const artifacts = new MemoryArtifactSource();
  artifacts.put('s3://models/v1.onnx', fixture('regressor.onnx'));
  artifacts.put('s3://models/v2.onnx', fixture('regressor-v2.onnx'));
  const store = new InMemoryRegistryStore();
  const steps = new QueuedSteps();
  const clock = { now: Date.parse('2026-12-01T12:00:00Z') };
  const ctx: ControlContext = {
    store,
    artifacts,
    models: onnxModelProbe,
    region: 'us-east-1',
    accountId: '123456789012',
    caller: { accessKeyId: 'AKUSTEST', role: 'admin' },
    deployments: { alarms: quietAlarms, scheduler: steps },
    now: () => new Date(clock.now),
  };
  const call = (op: string, input: unknown) => dispatch(ctx, op, input);
  await call('CreateModel', {
    ModelName: 'm1',
    PrimaryContainer: { Image: 'i', ModelDataUrl: 's3://models/v1.onnx' },
  });
  await call('CreateModel', {
    ModelName: 'm2',
    PrimaryContainer: { Image: 'i', ModelDataUrl: 's3://models/v2.onnx' },
  });
  await call('CreateEndpointConfig', {
    EndpointConfigName: 'blue',
    ProductionVariants: [{ VariantName: 'a', ModelName: 'm1', InitialVariantWeight: 1 }],
  });
  await call('CreateEndpointConfig', {
    EndpointConfigName: 'green',
    ProductionVariants: [{ VariantName: 'a', ModelName: 'm2', InitialVariantWeight: 1 }],
  });
  await call('CreateEndpoint', { EndpointName: 'ep', EndpointConfigName: 'blue' });
  return { store, ctx, steps, clock };
}

const canary = {
  BlueGreenUpdatePolicy: {
    TrafficRoutingConfiguration: {
      Type: 'CANARY',
      CanarySize: { Type: 'CAPACITY_PERCENT', Value: 10 },
      WaitIntervalInSeconds: 5,
    },
  },
};

/** The paths that move an endpoint through Creating/Updating, each run on `store`. */
const PATHS: Record<string, (w: World, store: RegistryStore) => Promise<unknown>> = {
  CreateEndpoint: (w, store) =>
    dispatch({ ...w.ctx, store }, 'CreateEndpoint', { EndpointName: 'fresh', EndpointConfigName: 'green' }),
  'UpdateEndpoint (all at once)': (w, store) =>
    dispatch({ ...w.ctx, store }, 'UpdateEndpoint', { EndpointName: 'ep', EndpointConfigName: 'green' }),
  'UpdateEndpoint (canary, the control part)': (w, store) =>
    dispatch({ ...w.ctx, store }, 'UpdateEndpoint', {
      EndpointName: 'ep',
      EndpointConfigName: 'green',
      DeploymentConfig: canary,
    }),
  UpdateEndpointWeightsAndCapacities: (w, store) =>
    dispatch({ ...w.ctx, store }, 'UpdateEndpointWeightsAndCapacities', {
      EndpointName: 'ep',
      DesiredWeightsAndCapacities: [{ VariantName: 'a', DesiredWeight: 4 }],
    }),
  'a rollout step (deployer)': async (w, store) => {
    await dispatch(w.ctx, 'UpdateEndpoint', {
      EndpointName: 'ep',
      EndpointConfigName: 'green',
      DeploymentConfig: canary,
    });
    for (;;) {
      // Taken off the queue only once handled: a step whose handler died is delivered again.
      const next = w.steps.sent[0];
      if (!next) return;
      w.clock.now += next.delaySeconds * 1000;
      await runDeploymentStep(deployerContext({ ...w.ctx, store }), next.message);
      w.steps.sent.shift();
    }
  },
};

/** Delivers the step messages that got sent (the deployer keeps going after the crash). */
async function drainSteps(w: World): Promise<void> {
  for (let guard = 0; guard < 20; guard++) {
    const next = w.steps.sent[0];
    if (!next) return;
    w.clock.now += next.delaySeconds * 1000;
    await runDeploymentStep(deployerContext(w.ctx), next.message);
    w.steps.sent.shift();
  }
}

async function countWrites(path: string): Promise<number> {
  const w = await world();
  const counting = new CrashingStore(w.store);
  await PATHS[path]?.(w, counting);
  return counting.writes;
}

async function settledState(w: World) {
  const endpoints = await w.store.list<EndpointRecord>(COLLECTIONS.endpoint);
  const history = await w.store.list<DeploymentRecord>(COLLECTIONS.deploymentHistory);
  return { endpoints, history };
}

/** What must hold once recovery has run, whatever write the crash hit. */
function expectSettled({ endpoints, history }: Awaited<ReturnType<typeof settledState>>) {
  for (const endpoint of endpoints) {
    expect(endpoint.EndpointStatus, endpoint.EndpointName).toMatch(/^(InService|Failed)$/);
    if (endpoint.EndpointStatus === 'Failed') expect(endpoint.FailureReason).toBeTruthy();
    expect(endpoint.PendingDeploymentSummary).toBeUndefined();
    expect(endpoint.internal.rollout).toBeUndefined();
    // What serves is the config the endpoint names (not half of another).
    const model = endpoint.EndpointConfigName === 'blue' ? 'm1' : 'm2';
    expect(endpoint.internal.variants.map((v) => v.ModelName)).toEqual([model]);
    const own = history.filter((h) => h.EndpointName === endpoint.EndpointName);
    expect(own.filter((h) => h.DeploymentType === 'CreateEndpoint')).toHaveLength(1);
    const last = own.at(-1) as DeploymentRecord;
    if (last.DeploymentType === 'UpdateEndpoint') {
      // The history says which config won: Succeeded ⇔ the endpoint serves the target.
      expect(last.DeploymentStatus === 'Succeeded').toBe(
        endpoint.EndpointConfigName === last.TargetEndpointConfigName,
      );
    }
    if (last.DeploymentType === 'CreateEndpoint') {
      expect(last.DeploymentStatus).toBe(endpoint.EndpointStatus === 'Failed' ? 'Failed' : 'Succeeded');
    }
  }
  expect(history.filter((h) => h.DeploymentStatus === 'InProgress')).toEqual([]);
}

describe('a function killed between any two registry writes', () => {
  for (const path of Object.keys(PATHS)) {
    it(`${path}: settled by recovery, history agreeing, for a crash before or after every write`, async () => {
      const total = await countWrites(path);
      expect(total).toBeGreaterThan(1);
      const outcomes = new Set<string>();
      for (let n = 0; n < total; n++) {
        for (const when of ['before', 'after'] as const) {
          const w = await world();
          const crashing = new CrashingStore(w.store, n, when);
          await expect(PATHS[path]?.(w, crashing)).rejects.toBeInstanceOf(SimulatedCrash);
          await drainSteps(w);
          // Past every deadline: the control function's and a rollout's next step's.
          w.clock.now +=
            (CONTROL_TIMEOUT + ABANDONED_GRACE_SECONDS + STALLED_STEP_GRACE_SECONDS + 901) * 1000;
          await recoverStalledEndpoints(w.ctx, { controlTimeoutSeconds: CONTROL_TIMEOUT });
          const state = await settledState(w);
          expectSettled(state);
          const last = state.history.at(-1);
          for (const e of state.endpoints) {
            const weights = e.internal.variants.map((v) => v.weight).join(',');
            outcomes.add(
              `${e.EndpointName} ${e.EndpointStatus} ${e.EndpointConfigName} w=${weights} last=${last?.DeploymentType}:${last?.DeploymentStatus}`,
            );
          }
        }
      }
      if (path === 'a rollout step (deployer)') {
        // SQS delivers the step again after the crash: the rollout is resumed and completes.
        expect([...outcomes]).toEqual(['ep InService green w=1 last=UpdateEndpoint:Succeeded']);
      } else {
        // The crashes did land on both sides of the change (not every run failing the same way).
        expect(outcomes.size).toBeGreaterThan(1);
      }
    });
  }
});

describe('recoverStalledEndpoints', () => {
  async function stalledCreate() {
    const w = await world();
    const crashing = new CrashingStore(w.store, 2, 'before'); // after the Creating record, before settling
    await expect(PATHS.CreateEndpoint?.(w, crashing)).rejects.toBeInstanceOf(SimulatedCrash);
    return w;
  }
  const fresh = async (w: World) => (await w.store.get<EndpointRecord>(COLLECTIONS.endpoint, 'fresh'))?.data;

  it('leaves work alone until the control function’s timeout and a grace have passed', async () => {
    const w = await stalledCreate();
    w.clock.now += (CONTROL_TIMEOUT + ABANDONED_GRACE_SECONDS) * 1000;
    expect(await recoverStalledEndpoints(w.ctx, { controlTimeoutSeconds: CONTROL_TIMEOUT })).toEqual([]);
    expect((await fresh(w))?.EndpointStatus).toBe('Creating');
    w.clock.now += 2000;
    const [recovered] = await recoverStalledEndpoints(w.ctx, { controlTimeoutSeconds: CONTROL_TIMEOUT });
    expect(recovered).toMatchObject({ EndpointName: 'fresh', from: 'Creating', EndpointStatus: 'Failed' });
    expect((await fresh(w))?.FailureReason).toMatch(/CreateEndpoint did not finish.*Delete the endpoint/);
  });

  it('does not touch an InService endpoint or a rollout whose next step is not yet overdue', async () => {
    const w = await world();
    await dispatch(w.ctx, 'UpdateEndpoint', {
      EndpointName: 'ep',
      EndpointConfigName: 'green',
      DeploymentConfig: canary,
    });
    w.clock.now += (CONTROL_TIMEOUT + ABANDONED_GRACE_SECONDS + 600) * 1000;
    expect(await recoverStalledEndpoints(w.ctx, { controlTimeoutSeconds: CONTROL_TIMEOUT })).toEqual([]);
    expect(
      (await w.store.get<EndpointRecord>(COLLECTIONS.endpoint, 'ep'))?.data.internal.rollout,
    ).toBeDefined();
  });

  it('rolls back a rollout whose step message was lost, and ends its history', async () => {
    const w = await world();
    await dispatch(w.ctx, 'UpdateEndpoint', {
      EndpointName: 'ep',
      EndpointConfigName: 'green',
      DeploymentConfig: canary,
    });
    w.steps.sent.length = 0; // the message went to the dead-letter queue
    w.clock.now += (5 + STALLED_STEP_GRACE_SECONDS + 1) * 1000;
    const [recovered] = await recoverStalledEndpoints(w.ctx, { controlTimeoutSeconds: CONTROL_TIMEOUT });
    expect(recovered).toMatchObject({ EndpointName: 'ep', from: 'Updating', EndpointStatus: 'InService' });
    const { endpoints, history } = await settledState(w);
    expect(endpoints[0]).toMatchObject({ EndpointConfigName: 'blue', EndpointStatus: 'InService' });
    expect(endpoints[0]?.FailureReason).toMatch(/rolled back to blue: its next step was due/);
    expect(history.at(-1)).toMatchObject({ DeploymentType: 'UpdateEndpoint', DeploymentStatus: 'Failed' });
  });

  it('a create that outlives its recovery keeps the Failed answer; a deleted endpoint is not brought back', async () => {
    for (const interloper of ['recovery', 'delete'] as const) {
      const w = await world();
      // The model check is where a slow create spends its time: the other writer acts then.
      const slowCtx: ControlContext = {
        ...w.ctx,
        models: {
          check: async (bytes) => {
            if (interloper === 'delete') {
              await dispatch(w.ctx, 'DeleteEndpoint', { EndpointName: 'fresh' });
            } else {
              w.clock.now += (CONTROL_TIMEOUT + ABANDONED_GRACE_SECONDS + 1) * 1000;
              await recoverStalledEndpoints(w.ctx, { controlTimeoutSeconds: CONTROL_TIMEOUT });
            }
            return onnxModelProbe.check(bytes);
          },
        },
      };
      await dispatch(slowCtx, 'CreateEndpoint', { EndpointName: 'fresh', EndpointConfigName: 'green' });
      const endpoint = await fresh(w);
      if (interloper === 'delete') expect(endpoint).toBeUndefined();
      else expect(endpoint).toMatchObject({ EndpointStatus: 'Failed' });
      const records = (await w.store.list<DeploymentRecord>(COLLECTIONS.deploymentHistory, 'fresh#')).map(
        (h) => `${h.DeploymentType}:${h.DeploymentStatus}`,
      );
      expect(records).toEqual(
        interloper === 'delete' ? ['DeleteEndpoint:Succeeded'] : ['CreateEndpoint:Failed'],
      );
    }
  });
});

describe('the monitor’s tick', () => {
  it('settles a stalled endpoint before running the schedules', async () => {
    const w = await world();
    const crashing = new CrashingStore(w.store, 2, 'before');
    await expect(PATHS.CreateEndpoint?.(w, crashing)).rejects.toBeInstanceOf(SimulatedCrash);
    w.clock.now += (CONTROL_TIMEOUT + ABANDONED_GRACE_SECONDS + 1) * 1000;
    const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
    const handler = createMonitorHandler({
      store: w.store,
      objects: new InMemoryObjectStore(),
      now: () => new Date(w.clock.now),
      endpointRecovery: { controlTimeoutSeconds: CONTROL_TIMEOUT },
      logging: { logger: new Logger({ logLevel: 'SILENT' }), log: silent },
    });
    await handler({ time: new Date(w.clock.now).toISOString() } as never, {} as never);
    const endpoint = await w.store.get<EndpointRecord>(COLLECTIONS.endpoint, 'fresh');
    expect(endpoint?.data).toMatchObject({ EndpointStatus: 'Failed' });
  });
});
