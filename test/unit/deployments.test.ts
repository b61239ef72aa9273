import { beforeEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../lambdas/control/control-plane.js';
import { runDeploymentStep, type StepOutcome } from '../../lambdas/domain/deployments/engine.js';
import type { DeploymentRecord } from '../../lambdas/domain/deployments/history.js';
import { deployerContext } from '../../lambdas/domain/deployments/operations.js';
import type { EndpointRecord } from '../../lambdas/domain/hosting/endpoints.js';
import type { ControlContext } from '../../lambdas/domain/kernel/context.js';
import { ApiError } from '../../lambdas/domain/kernel/errors.js';
import type {
  AlarmSource,
  AlarmState,
  StepMessage,
  StepScheduler,
} from '../../lambdas/domain/kernel/ports.js';
import { COLLECTIONS } from '../../lambdas/domain/kernel/records.js';
import { VersionConflictError } from '../../lambdas/domain/kernel/store.js';
import { onnxModelProbe } from '../../lambdas/shared/model-probe.js';
import { ConflictingStore } from '../support/conflicting-store.js';
import { InMemoryRegistryStore } from '../support/in-memory-registry-store.js';
import { fixture, MemoryArtifactSource } from '../support/models.js';

/** Alarm states by name, set by the test (as SetAlarmState does on the emulator). */
class FakeAlarms implements AlarmSource {
  readonly alarms = new Map<string, AlarmState>();
  calls = 0;
  async states(names: readonly string[]) {
    this.calls++;
    return new Map(names.flatMap((n) => (this.alarms.has(n) ? [[n, this.alarms.get(n) as AlarmState]] : [])));
  }
}

/** Keeps scheduled step messages; the test delivers them by hand after moving the clock. */
class FakeScheduler implements StepScheduler {
  readonly sent: { message: StepMessage; delaySeconds: number }[] = [];
  failNext = false;
  async schedule(message: StepMessage, delaySeconds: number) {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('queue unavailable');
    }
    this.sent.push({ message, delaySeconds });
  }
}

let ctx: ControlContext;
let store: InMemoryRegistryStore;
let artifacts: MemoryArtifactSource;
let alarms: FakeAlarms;
let scheduler: FakeScheduler;
let clock: number;
const call = (op: string, input: unknown) => dispatch(ctx, op, input) as Promise<Record<string, unknown>>;

async function expectError(promise: Promise<unknown>, type: string, message: RegExp) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  expect((error as ApiError).type).toBe(type);
  expect((error as ApiError).message).toMatch(message);
}

beforeEach(async () => {
  artifacts = new MemoryArtifactSource();
  artifacts.put('s3://models/v1.onnx', fixture('regressor.onnx'));
  artifacts.put('s3://models/v2.onnx', fixture('regressor-v2.onnx'));
  artifacts.put('s3://models/v3.onnx', fixture('regressor.onnx'));
  store = new InMemoryRegistryStore();
  alarms = new FakeAlarms();
  scheduler = new FakeScheduler();
  clock = Date.parse('2026-11-25T12:00:00Z');
  ctx = {
    store,
    artifacts,
    models: onnxModelProbe,
    region: 'us-east-1',
    accountId: '123456789012',
    caller: { accessKeyId: 'AKUSTEST', role: 'admin' },
    deployments: { alarms, scheduler },
    now: () => new Date(clock),
  };
  for (const [name, uri] of [
    ['m1', 's3://models/v1.onnx'],
    ['m2', 's3://models/v2.onnx'],
    ['m3', 's3://models/v3.onnx'],
  ] as const) {
    await call('CreateModel', { ModelName: name, PrimaryContainer: { Image: 'i', ModelDataUrl: uri } });
  }
  await call('CreateEndpointConfig', {
    EndpointConfigName: 'blue',
    ProductionVariants: [
      { VariantName: 'a', ModelName: 'm1', InitialVariantWeight: 3 },
      { VariantName: 'b', ModelName: 'm3', InitialVariantWeight: 1 },
    ],
  });
  await call('CreateEndpointConfig', {
    EndpointConfigName: 'green',
    ProductionVariants: [{ VariantName: 'a', ModelName: 'm2', InitialVariantWeight: 1 }],
  });
  await call('CreateEndpoint', { EndpointName: 'ep', EndpointConfigName: 'blue' });
  alarms.alarms.set('ep-errors', 'OK');
});

async function stored(): Promise<{ data: EndpointRecord; version: number }> {
  const record = await store.get<EndpointRecord>(COLLECTIONS.endpoint, 'ep');
  if (!record) throw new Error('endpoint vanished');
  return record;
}

/** The changes since the endpoint was created (its creation is the history's first record). */
async function history(): Promise<DeploymentRecord[]> {
  const { Deployments } = await call('Understudy.ListDeploymentHistory', { EndpointName: 'ep' });
  return (Deployments as DeploymentRecord[]).filter((d) => d.DeploymentType !== 'CreateEndpoint');
}

/** Delivers the last scheduled message after its delay has passed. */
async function deliver(extraSeconds = 0): Promise<StepOutcome> {
  const next = scheduler.sent.at(-1);
  if (!next) throw new Error('nothing scheduled');
  clock += (next.delaySeconds + extraSeconds) * 1000;
  return runDeploymentStep(deployerContext(ctx), next.message);
}

function canary(size: number, wait = 5, alarm = 'ep-errors') {
  return {
    BlueGreenUpdatePolicy: {
      TrafficRoutingConfiguration: {
        Type: 'CANARY',
        CanarySize: { Type: 'CAPACITY_PERCENT', Value: size },
        WaitIntervalInSeconds: wait,
      },
    },
    AutoRollbackConfiguration: { Alarms: [{ AlarmName: alarm }] },
  };
}

/** Starts a 10% canary and moves the clock to its first step: the endpoint then, and that step's message. */
async function canaryStepDue(): Promise<{
  before: { data: EndpointRecord; version: number };
  message: StepMessage;
}> {
  await call('UpdateEndpoint', {
    EndpointName: 'ep',
    EndpointConfigName: 'green',
    DeploymentConfig: canary(10, 5),
  });
  const next = scheduler.sent.at(-1) as { message: StepMessage; delaySeconds: number };
  clock += next.delaySeconds * 1000;
  return { before: await stored(), message: next.message };
}

describe('UpdateEndpointWeightsAndCapacities', () => {
  it('changes weights in place and records the change', async () => {
    await call('UpdateEndpointWeightsAndCapacities', {
      EndpointName: 'ep',
      DesiredWeightsAndCapacities: [
        { VariantName: 'a', DesiredWeight: 0.5 },
        { VariantName: 'b', DesiredWeight: 2, ServerlessUpdateConfig: { MaxConcurrency: 7 } },
      ],
    });
    const { data } = await stored();
    expect(data.EndpointStatus).toBe('InService');
    expect(data.ProductionVariants).toMatchObject([
      { VariantName: 'a', CurrentWeight: 0.5, DesiredWeight: 0.5 },
      {
        VariantName: 'b',
        CurrentWeight: 2,
        DesiredWeight: 2,
        CurrentServerlessConfig: { MaxConcurrency: 7 },
      },
    ]);
    expect(data.internal.variants.map((v) => [v.VariantName, v.weight])).toEqual([
      ['a', 0.5],
      ['b', 2],
    ]);
    const [entry] = await history();
    expect(entry).toMatchObject({
      DeploymentType: 'UpdateEndpointWeightsAndCapacities',
      DeploymentStatus: 'Succeeded',
      DesiredWeights: [
        { VariantName: 'a', DesiredWeight: 0.5 },
        { VariantName: 'b', DesiredWeight: 2 },
      ],
    });
  });

  it('lets a variant go dark (weight 0) as long as another keeps traffic', async () => {
    await call('UpdateEndpointWeightsAndCapacities', {
      EndpointName: 'ep',
      DesiredWeightsAndCapacities: [{ VariantName: 'b', DesiredWeight: 0 }],
    });
    expect((await stored()).data.internal.variants.map((v) => v.weight)).toEqual([3, 0]);
  });

  it.each([
    [
      [{ VariantName: 'zz', DesiredWeight: 1 }],
      'ValidationException',
      /variant\(s\) \[zz\] are not present.*a, b/,
    ],
    [[{ VariantName: 'a', DesiredWeight: -1 }], 'ValidationException', /greater than or equal to 0/],
    [
      [{ VariantName: 'a', DesiredWeight: 'heavy' }],
      'ValidationException',
      /desiredWeight.*must be a number/,
    ],
    [[{ VariantName: 'a', DesiredWeight: null }], 'ValidationException', /DesiredWeight/],
    [
      [
        { VariantName: 'a', DesiredWeight: 0 },
        { VariantName: 'b', DesiredWeight: 0 },
      ],
      'ValidationException',
      /must be positive/,
    ],
    [
      [
        { VariantName: 'a', DesiredWeight: 1 },
        { VariantName: 'a', DesiredWeight: 2 },
      ],
      'ValidationException',
      /more than once/,
    ],
    [[], 'ValidationException', /length greater than or equal to 1/],
  ])('refuses %j with the endpoint unchanged', async (desired, type, message) => {
    const before = await stored();
    await expectError(
      call('UpdateEndpointWeightsAndCapacities', {
        EndpointName: 'ep',
        DesiredWeightsAndCapacities: desired,
      }),
      type,
      message,
    );
    expect(await stored()).toEqual(before);
    expect(await history()).toEqual([]);
  });

  it('refuses an unknown endpoint', async () => {
    await expectError(
      call('UpdateEndpointWeightsAndCapacities', {
        EndpointName: 'nope',
        DesiredWeightsAndCapacities: [{ VariantName: 'a', DesiredWeight: 1 }],
      }),
      'ValidationException',
      /Could not find endpoint/,
    );
  });
});

describe('UpdateEndpoint', () => {
  it('without a DeploymentConfig, moves all traffic at once and remembers the old config', async () => {
    await call('UpdateEndpoint', { EndpointName: 'ep', EndpointConfigName: 'green' });
    const { data } = await stored();
    expect(data).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: 'green' });
    expect(data.ProductionVariants).toEqual([
      expect.objectContaining({ VariantName: 'a', CurrentWeight: 1, DesiredWeight: 1 }),
    ]);
    expect(data.internal.variants.map((v) => v.ModelName)).toEqual(['m2']);
    expect(data.internal.previous?.EndpointConfigName).toBe('blue');
    expect(data).not.toHaveProperty('PendingDeploymentSummary');
    expect(scheduler.sent).toEqual([]);
    expect(await history()).toMatchObject([
      {
        DeploymentType: 'UpdateEndpoint',
        DeploymentStatus: 'Succeeded',
        SourceEndpointConfigName: 'blue',
        TargetEndpointConfigName: 'green',
        TrafficRoutingType: 'ALL_AT_ONCE',
      },
    ]);
  });

  it('runs a canary whose alarm stays OK to completion', async () => {
    const config = canary(10, 5);
    await call('UpdateEndpoint', {
      EndpointName: 'ep',
      EndpointConfigName: 'green',
      DeploymentConfig: config,
    });
    let { data } = await stored();
    expect(data.EndpointStatus).toBe('Updating');
    expect(data.EndpointConfigName).toBe('blue');
    expect(data.internal.rollout).toMatchObject({ share: 0.1, step: 0, EndpointConfigName: 'green' });
    expect(data.PendingDeploymentSummary).toMatchObject({
      EndpointConfigName: 'green',
      ProductionVariants: [{ VariantName: 'a', VariantStatus: [{ Status: 'Baking' }] }],
    });
    expect(data.LastDeploymentConfig).toEqual(config);
    expect(scheduler.sent).toEqual([
      { message: { EndpointName: 'ep', DeploymentId: expect.any(String), Tick: 0 }, delaySeconds: 5 },
    ]);

    expect(await deliver()).toBe('advanced');
    ({ data } = await stored());
    expect(data.internal.rollout).toMatchObject({ share: 1, step: 1 });
    expect(data.EndpointStatus).toBe('Updating');

    expect(await deliver()).toBe('completed');
    ({ data } = await stored());
    expect(data).toMatchObject({
      EndpointStatus: 'InService',
      EndpointConfigName: 'green',
      LastDeploymentConfig: config,
    });
    expect(data).not.toHaveProperty('FailureReason');
    expect(data).not.toHaveProperty('PendingDeploymentSummary');
    expect(data.internal.rollout).toBeUndefined();
    expect(data.internal.variants.map((v) => v.ModelName)).toEqual(['m2']);
    const [entry] = await history();
    expect(entry).toMatchObject({
      DeploymentStatus: 'Succeeded',
      TrafficRoutingType: 'CANARY',
      Steps: [{ TrafficPercentage: 10 }, { TrafficPercentage: 100 }],
    });
    expect(entry?.EndTime).toBe(entry ? entry.StartTime + 10 : 0);
  });

  it('rolls a canary back when its alarm goes into ALARM during the bake', async () => {
    await call('UpdateEndpoint', {
      EndpointName: 'ep',
      EndpointConfigName: 'green',
      DeploymentConfig: canary(25, 30),
    });
    // The alarm is watched every 10 s of the 30 s bake.
    expect(scheduler.sent.at(-1)?.delaySeconds).toBe(10);
    expect(await deliver()).toBe('baking');
    alarms.alarms.set('ep-errors', 'ALARM');
    expect(await deliver()).toBe('rolled-back');
    const { data } = await stored();
    expect(data).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: 'blue' });
    expect(data.FailureReason).toMatch(
      /green was rolled back to blue: CloudWatch alarm\(s\) ep-errors in ALARM state \(step 1 of 2, 25% of traffic/,
    );
    expect(data.internal.rollout).toBeUndefined();
    expect(data.internal.variants.map((v) => v.ModelName)).toEqual(['m1', 'm3']);
    expect(data).not.toHaveProperty('PendingDeploymentSummary');
    expect(data.LastDeploymentConfig).toEqual(canary(25, 30));
    expect(await history()).toMatchObject([
      { DeploymentStatus: 'RolledBack', FailureReason: data.FailureReason },
    ]);
    // Nothing more happens: the chain of messages ends.
    expect(await deliver()).toBe('gone');
  });

  it('rolls back during the final bake, with all traffic already on the new config', async () => {
    await call('UpdateEndpoint', {
      EndpointName: 'ep',
      EndpointConfigName: 'green',
      DeploymentConfig: canary(10, 5),
    });
    expect(await deliver()).toBe('advanced');
    alarms.alarms.set('ep-errors', 'ALARM');
    expect(await deliver()).toBe('rolled-back');
    expect((await stored()).data.EndpointConfigName).toBe('blue');
  });

  it('passes a LINEAR rollout through its steps', async () => {
    await call('UpdateEndpoint', {
      EndpointName: 'ep',
      EndpointConfigName: 'green',
      DeploymentConfig: {
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: {
            Type: 'LINEAR',
            LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 30 },
            WaitIntervalInSeconds: 2,
          },
        },
      },
    });
    const shares = [(await stored()).data.internal.rollout?.share];
    for (;;) {
      const outcome = await deliver();
      if (outcome === 'completed') break;
      expect(outcome).toBe('advanced');
      shares.push((await stored()).data.internal.rollout?.share);
    }
    expect(shares).toEqual([0.3, 0.6, 0.9, 1]);
    expect((await history())[0]?.Steps?.map((s) => s.TrafficPercentage)).toEqual([30, 60, 90, 100]);
    expect((await stored()).data.EndpointConfigName).toBe('green');
  });

  it('splits a long bake into messages of at most 900 s when no alarm is watched', async () => {
    await call('UpdateEndpoint', {
      EndpointName: 'ep',
      EndpointConfigName: 'green',
      DeploymentConfig: {
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 2000 },
        },
      },
    });
    expect((await stored()).data.internal.rollout?.share).toBe(1);
    expect(scheduler.sent.map((s) => s.delaySeconds)).toEqual([900]);
    expect(await deliver()).toBe('baking');
    expect(await deliver()).toBe('baking');
    expect(scheduler.sent.map((s) => s.delaySeconds)).toEqual([900, 900, 200]);
    expect(await deliver()).toBe('completed');
  });

  it('drops duplicate and stale step messages', async () => {
    await call('UpdateEndpoint', {
      EndpointName: 'ep',
      EndpointConfigName: 'green',
      DeploymentConfig: canary(10, 5),
    });
    const first = scheduler.sent[0]?.message as StepMessage;
    expect(await deliver()).toBe('advanced');
    expect(await runDeploymentStep(deployerContext(ctx), first)).toBe('stale');
    expect(
      await runDeploymentStep(deployerContext(ctx), { ...first, DeploymentId: 'another deployment' }),
    ).toBe('gone');
    expect((await stored()).data.internal.rollout?.step).toBe(1);
  });

  it('looks again when another writer changed the endpoint in between, and the step lands once', async () => {
    const { before, message } = await canaryStepDue();
    const racing = new ConflictingStore(store, COLLECTIONS.endpoint, 2);
    expect(await runDeploymentStep(deployerContext({ ...ctx, store: racing }), message)).toBe('advanced');
    expect([racing.refused, racing.landed]).toEqual([2, 1]);
    const after = await stored();
    expect(after.version).toBe(before.version + 1);
    expect(after.data.internal.rollout).toMatchObject({ share: 1, step: 1, tick: 1 });
    expect((await history())[0]?.Steps).toEqual([
      { TrafficPercentage: 10, StartTime: expect.any(Number) },
      { TrafficPercentage: 100, StartTime: expect.any(Number) },
    ]);
  });

  it('gives up on a step with the conflict after six tries, the rollout unchanged', async () => {
    const { before, message } = await canaryStepDue();
    const racing = new ConflictingStore(store, COLLECTIONS.endpoint, 6);
    await expect(
      runDeploymentStep(deployerContext({ ...ctx, store: racing }), message),
    ).rejects.toBeInstanceOf(VersionConflictError);
    expect([racing.refused, racing.landed]).toEqual([6, 0]);
    expect(await stored()).toEqual(before);
  });

  it('rolls back a deployment that outlives MaximumExecutionTimeoutInSeconds', async () => {
    const config = canary(10, 5);
    await call('UpdateEndpoint', {
      EndpointName: 'ep',
      EndpointConfigName: 'green',
      DeploymentConfig: {
        ...config,
        BlueGreenUpdatePolicy: { ...config.BlueGreenUpdatePolicy, MaximumExecutionTimeoutInSeconds: 600 },
      },
    });
    expect(await deliver(700)).toBe('rolled-back');
    expect((await stored()).data.FailureReason).toMatch(
      /exceeded MaximumExecutionTimeoutInSeconds \(600 s\)/,
    );
  });

  it('refuses any update while one is in progress, endpoint unchanged', async () => {
    await call('UpdateEndpoint', {
      EndpointName: 'ep',
      EndpointConfigName: 'green',
      DeploymentConfig: canary(10, 5),
    });
    const before = await stored();
    await expectError(
      call('UpdateEndpoint', { EndpointName: 'ep', EndpointConfigName: 'blue' }),
      'ValidationException',
      /Cannot update in-progress endpoint "arn:aws:sagemaker:us-east-1:123456789012:endpoint\/ep"/,
    );
    await expectError(
      call('UpdateEndpointWeightsAndCapacities', {
        EndpointName: 'ep',
        DesiredWeightsAndCapacities: [{ VariantName: 'a', DesiredWeight: 1 }],
      }),
      'ValidationException',
      /Cannot update in-progress endpoint/,
    );
    expect(await stored()).toEqual(before);
  });

  it.each([
    ['a canary over 50%', canary(60), /CanarySize.Value must be a whole percentage from 1 to 50, got 60/],
    [
      'a linear step out of range',
      {
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: {
            Type: 'LINEAR',
            LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 5 },
            WaitIntervalInSeconds: 1,
          },
        },
      },
      /LinearStepSize.Value must be a whole percentage from 10 to 50, got 5/,
    ],
    [
      'instance counts',
      {
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: {
            Type: 'CANARY',
            CanarySize: { Type: 'INSTANCE_COUNT', Value: 1 },
            WaitIntervalInSeconds: 1,
          },
        },
      },
      /INSTANCE_COUNT has no meaning on a serverless endpoint/,
    ],
    [
      'a canary without its size',
      {
        BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'CANARY', WaitIntervalInSeconds: 1 } },
      },
      /CanarySize is required/,
    ],
    [
      'a size for another type',
      {
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: {
            Type: 'LINEAR',
            CanarySize: { Type: 'CAPACITY_PERCENT', Value: 10 },
            LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 10 },
            WaitIntervalInSeconds: 1,
          },
        },
      },
      /CanarySize applies only to Type CANARY/,
    ],
    [
      'an alarm that does not exist',
      canary(10, 5, 'no-such-alarm'),
      /alarm\(s\) that do not exist: no-such-alarm/,
    ],
    [
      'a rolling update',
      {
        RollingUpdatePolicy: {
          MaximumBatchSize: { Type: 'CAPACITY_PERCENT', Value: 10 },
          WaitIntervalInSeconds: 1,
        },
      },
      /RollingUpdatePolicy .* does not apply to serverless endpoints/,
    ],
    [
      'a timeout shorter than the bakes',
      {
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: {
            Type: 'LINEAR',
            LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 10 },
            WaitIntervalInSeconds: 60,
          },
          MaximumExecutionTimeoutInSeconds: 600,
        },
      },
      /must be larger than the total waiting time.*10 step\(s\) × WaitIntervalInSeconds 60/,
    ],
    [
      'a wait over the model limit',
      {
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 4000 },
        },
      },
      /waitIntervalInSeconds.*less than or equal to 3600/,
    ],
  ])('refuses %s, endpoint unchanged', async (_what, config, message) => {
    const before = await stored();
    await expectError(
      call('UpdateEndpoint', { EndpointName: 'ep', EndpointConfigName: 'green', DeploymentConfig: config }),
      'ValidationException',
      message,
    );
    expect(await stored()).toEqual(before);
    expect(scheduler.sent).toEqual([]);
    expect(await history()).toEqual([]);
  });

  it('refuses a config that does not exist', async () => {
    await expectError(
      call('UpdateEndpoint', { EndpointName: 'ep', EndpointConfigName: 'nope' }),
      'ValidationException',
      /Could not find endpoint configuration/,
    );
  });

  it('ends the update InService on the old config when a new model does not load', async () => {
    artifacts.put('s3://models/v2.onnx', fixture('regressor.onnx')); // the digest no longer matches
    await call('UpdateEndpoint', {
      EndpointName: 'ep',
      EndpointConfigName: 'green',
      DeploymentConfig: canary(10),
    });
    const { data } = await stored();
    expect(data).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: 'blue' });
    expect(data.FailureReason).toMatch(/Update to endpoint config green failed.*Variant a \(model m2/);
    expect(scheduler.sent).toEqual([]);
    expect(await history()).toMatchObject([{ DeploymentStatus: 'Failed' }]);
  });

  it('keeps the current weights with RetainAllVariantProperties, unless DesiredWeight is excluded', async () => {
    await call('CreateEndpointConfig', {
      EndpointConfigName: 'blue2',
      ProductionVariants: [
        { VariantName: 'a', ModelName: 'm2', InitialVariantWeight: 1 },
        { VariantName: 'c', ModelName: 'm1', InitialVariantWeight: 5 },
      ],
    });
    await call('UpdateEndpoint', {
      EndpointName: 'ep',
      EndpointConfigName: 'blue2',
      RetainAllVariantProperties: true,
    });
    expect((await stored()).data.internal.variants.map((v) => [v.VariantName, v.weight])).toEqual([
      ['a', 3],
      ['c', 5],
    ]);
    await call('UpdateEndpoint', {
      EndpointName: 'ep',
      EndpointConfigName: 'blue',
      RetainAllVariantProperties: true,
      ExcludeRetainedVariantProperties: [{ VariantPropertyType: 'DesiredWeight' }],
    });
    expect((await stored()).data.internal.variants.map((v) => [v.VariantName, v.weight])).toEqual([
      ['a', 3],
      ['b', 1],
    ]);
  });

  it('reuses the last deployment config with RetainDeploymentConfig', async () => {
    await call('UpdateEndpoint', {
      EndpointName: 'ep',
      EndpointConfigName: 'green',
      DeploymentConfig: canary(20),
    });
    await deliver();
    await deliver();
    await call('UpdateEndpoint', {
      EndpointName: 'ep',
      EndpointConfigName: 'blue',
      RetainDeploymentConfig: true,
    });
    expect((await stored()).data.internal.rollout).toMatchObject({ share: 0.2, EndpointConfigName: 'blue' });
  });

  it('puts traffic back when the first step cannot be scheduled', async () => {
    scheduler.failNext = true;
    await expect(
      call('UpdateEndpoint', {
        EndpointName: 'ep',
        EndpointConfigName: 'green',
        DeploymentConfig: canary(10),
      }),
    ).rejects.toThrow('queue unavailable');
    const { data } = await stored();
    expect(data).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: 'blue' });
    expect(data.internal.rollout).toBeUndefined();
    expect(await history()).toMatchObject([{ DeploymentStatus: 'Failed' }]);
  });
});

describe('Understudy.RollbackEndpoint', () => {
  it('returns an endpoint to its previous config and records it', async () => {
    await call('UpdateEndpoint', { EndpointName: 'ep', EndpointConfigName: 'green' });
    const answer = await call('Understudy.RollbackEndpoint', { EndpointName: 'ep' });
    expect(answer).toEqual({
      EndpointArn: expect.stringContaining(':endpoint/ep'),
      EndpointConfigName: 'blue',
    });
    const { data } = await stored();
    expect(data).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: 'blue' });
    expect(data.internal.variants.map((v) => [v.ModelName, v.weight])).toEqual([
      ['m1', 3],
      ['m3', 1],
    ]);
    expect(data.internal.previous?.EndpointConfigName).toBe('green');
    expect((await history()).map((h) => [h.DeploymentType, h.TargetEndpointConfigName])).toEqual([
      ['RollbackEndpoint', 'blue'],
      ['UpdateEndpoint', 'green'],
    ]);
  });

  it('stops a rollout in progress', async () => {
    await call('UpdateEndpoint', {
      EndpointName: 'ep',
      EndpointConfigName: 'green',
      DeploymentConfig: canary(10),
    });
    await call('Understudy.RollbackEndpoint', { EndpointName: 'ep' });
    const { data } = await stored();
    expect(data).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: 'blue' });
    expect(data.FailureReason).toMatch(/rolled back to blue by hand/);
    expect(await deliver()).toBe('gone');
    expect(await history()).toMatchObject([{ DeploymentStatus: 'RolledBack' }]);
  });

  it('refuses an endpoint with nothing to return to, and bad input', async () => {
    await expectError(
      call('Understudy.RollbackEndpoint', { EndpointName: 'ep' }),
      'ValidationException',
      /no previous endpoint config/,
    );
    await expectError(
      call('Understudy.RollbackEndpoint', { EndpointName: 'ep', Force: true }),
      'ValidationException',
      /Force/,
    );
    await expectError(
      call('Understudy.ListDeploymentHistory', { EndpointName: 'ep', MaxResults: 0 }),
      'ValidationException',
      /MaxResults/,
    );
  });

  it('pages the history', async () => {
    for (const weight of [1, 2, 3]) {
      clock += 1000;
      await call('UpdateEndpointWeightsAndCapacities', {
        EndpointName: 'ep',
        DesiredWeightsAndCapacities: [{ VariantName: 'a', DesiredWeight: weight }],
      });
    }
    const first = await call('Understudy.ListDeploymentHistory', { EndpointName: 'ep', MaxResults: 2 });
    const weights = (r: Record<string, unknown>) =>
      (r.Deployments as DeploymentRecord[]).map((d) => d.DesiredWeights?.[0]?.DesiredWeight);
    expect(weights(first)).toEqual([3, 2]);
    const second = await call('Understudy.ListDeploymentHistory', {
      EndpointName: 'ep',
      MaxResults: 2,
      NextToken: first.NextToken,
    });
    expect(weights(second)).toEqual([1, undefined]); // the creation has no DesiredWeights
    expect(second.NextToken).toBeUndefined();
    const ascending = await call('Understudy.ListDeploymentHistory', {
      EndpointName: 'ep',
      SortOrder: 'Ascending',
    });
    expect(weights(ascending)).toEqual([undefined, 1, 2, 3]);
  });
});

describe('Understudy.DescribeEndpointAt', () => {
  /** [config, variant, model, share] of what served at `seconds` after the endpoint was created. */
  async function servingAt(at: number | string) {
    const answer = await call('Understudy.DescribeEndpointAt', { EndpointName: 'ep', At: at });
    return (
      answer.ProductionVariants as {
        EndpointConfigName: string;
        VariantName: string;
        ModelName: string;
        TrafficShare: number;
      }[]
    ).map((v) => [v.EndpointConfigName, v.VariantName, v.ModelName, Number(v.TrafficShare.toFixed(6))]);
  }

  it('answers which models served, with what shares, across creation, a canary, a rollback and deletion', async () => {
    const created = clock / 1000;
    clock += 100_000;
    const updated = clock / 1000;
    await call('UpdateEndpoint', {
      EndpointName: 'ep',
      EndpointConfigName: 'green',
      DeploymentConfig: canary(10, 5),
    });
    expect(await deliver()).toBe('advanced');
    const full = clock / 1000;
    expect(await deliver()).toBe('completed');
    clock += 20_000;
    const rolledBack = clock / 1000;
    await call('Understudy.RollbackEndpoint', { EndpointName: 'ep' });
    clock += 10_000;
    const deleted = clock / 1000;
    await call('DeleteEndpoint', { EndpointName: 'ep' });

    // blue serves a (weight 3) and b (weight 1); green serves a alone; the canary is 10 %.
    expect(await servingAt(created - 1)).toEqual([]);
    expect(await servingAt(created)).toEqual([
      ['blue', 'a', 'm1', 0.75],
      ['blue', 'b', 'm3', 0.25],
    ]);
    expect(await servingAt(new Date((updated + 1) * 1000).toISOString())).toEqual([
      ['blue', 'a', 'm1', 0.675],
      ['blue', 'b', 'm3', 0.225],
      ['green', 'a', 'm2', 0.1],
    ]);
    expect(await servingAt(full)).toEqual([['green', 'a', 'm2', 1]]);
    expect(await servingAt(rolledBack)).toEqual([
      ['blue', 'a', 'm1', 0.75],
      ['blue', 'b', 'm3', 0.25],
    ]);
    expect(await servingAt(deleted)).toEqual([]);
    const types = (
      await call('Understudy.ListDeploymentHistory', { EndpointName: 'ep', SortOrder: 'Ascending' })
    ).Deployments as DeploymentRecord[];
    expect(types.map((d) => [d.DeploymentType, d.CreatedBy.UserProfileName])).toEqual([
      ['CreateEndpoint', 'AKUSTEST'],
      ['UpdateEndpoint', 'AKUSTEST'],
      ['RollbackEndpoint', 'AKUSTEST'],
      ['DeleteEndpoint', 'AKUSTEST'],
    ]);
  });

  it('keeps the old fleet for a canary that was rolled back, and refuses a time that is not one', async () => {
    await call('UpdateEndpoint', {
      EndpointName: 'ep',
      EndpointConfigName: 'green',
      DeploymentConfig: canary(20, 5),
    });
    alarms.alarms.set('ep-errors', 'ALARM');
    expect(await deliver()).toBe('rolled-back');
    expect(await servingAt(clock / 1000)).toEqual([
      ['blue', 'a', 'm1', 0.75],
      ['blue', 'b', 'm3', 0.25],
    ]);
    await expectError(
      call('Understudy.DescribeEndpointAt', { EndpointName: 'ep', At: 'yesterday' }),
      'ValidationException',
      /At/,
    );
  });
});
