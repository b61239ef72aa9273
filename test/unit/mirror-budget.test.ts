import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { dispatch } from '../../lambdas/control/control-plane.js';
import { capturesDropped } from '../../lambdas/domain/data-capture/drops.js';
import { EndpointCache } from '../../lambdas/domain/inference/endpoint-cache.js';
import { ModelCache } from '../../lambdas/domain/inference/model-cache.js';
import type { ControlContext } from '../../lambdas/domain/kernel/context.js';
import type { Log } from '../../lambdas/domain/kernel/log.js';
import type { RegistryStore } from '../../lambdas/domain/kernel/store.js';
import type { MirrorMessage, MirrorQueue, MirrorSendOptions } from '../../lambdas/domain/mirroring/mirror.js';
import { sendWithinBudget, untilAborted } from '../../lambdas/domain/mirroring/mirror-delivery.js';
import { RegistryMirrorDropCounter } from '../../lambdas/domain/mirroring/mirror-drops.js';
import { comparisonIdFor, mirrorsDropped } from '../../lambdas/domain/shadow-tests/comparison-recorder.js';
import { createInvokeHandler } from '../../lambdas/invoke/data-plane.js';
import { millisecondsEnv } from '../../lambdas/shared/config.js';
import { onnxModelProbe } from '../../lambdas/shared/model-probe.js';
import { InMemoryRegistryStore } from '../support/in-memory-registry-store.js';
import { expected, fixture, MemoryArtifactSource } from '../support/models.js';
import { signedInvokeEvent } from '../support/signed-event.js';

const KEY = {
  accessKeyId: 'AKUSBUDGET0000000000',
  secretAccessKey: 'budget-secret-budget-secret-budget-secret',
  role: 'admin' as const,
};
const NOW = new Date('2026-11-25T12:00:00Z');
/** Short, so the tests that wait the budget out stay quick; none of them measures time. */
const BUDGET_MS = 40;
const never = () => new Promise<void>(() => undefined);

/** A queue whose attempts behave as scripted, one entry per attempt (the last one repeats). */
function scriptedQueue(...script: ('hang' | 'fail' | 'ok')[]) {
  const signals: (AbortSignal | undefined)[] = [];
  const delivered: MirrorMessage[] = [];
  const queue: MirrorQueue = {
    send: async (message: MirrorMessage, options?: MirrorSendOptions) => {
      signals.push(options?.abortSignal);
      const step = script[Math.min(signals.length, script.length) - 1];
      if (step === 'hang') return never();
      if (step === 'fail') throw new Error('SQS is down');
      delivered.push(message);
    },
  };
  return { queue, signals, delivered };
}

const message = {
  v: 1,
  eventId: 'ev-1',
  inferenceTime: NOW.toISOString(),
  endpointName: 'ep',
  variantName: 'main',
  request: { body: '' },
  response: { contentType: 'application/json', body: '', modelLatencyUs: 1 },
  shadows: [],
} satisfies MirrorMessage;

describe('sendWithinBudget', () => {
  it('gives up at the deadline on a send that never settles, and aborts it', async () => {
    const { queue, signals } = scriptedQueue('hang');
    const delivery = await sendWithinBudget(queue, message, BUDGET_MS);
    expect(delivery).toMatchObject({ delivered: false, attempts: 1 });
    expect(delivery.delivered || delivery.reason).toMatch(/within the 40 ms budget/);
    expect(signals).toHaveLength(1);
    expect(signals[0]?.aborted).toBe(true);
  });

  it('retries a failure once, then reports the failure', async () => {
    const { queue, signals } = scriptedQueue('fail');
    const delivery = await sendWithinBudget(queue, message, 5_000);
    expect(delivery).toEqual({
      delivered: false,
      attempts: 2,
      reason: 'the mirror queue failed: SQS is down',
    });
    expect(signals).toHaveLength(2);
  });

  it('delivers on the retry inside the budget', async () => {
    const { queue, delivered } = scriptedQueue('fail', 'ok');
    expect(await sendWithinBudget(queue, message, 5_000)).toEqual({
      delivered: true,
      attempts: 2,
      retriedAfter: 'SQS is down',
    });
    expect(delivered).toHaveLength(1);
  });

  it('does not retry once the deadline has passed', async () => {
    const { queue, signals } = scriptedQueue('hang', 'ok');
    expect(await sendWithinBudget(queue, message, BUDGET_MS)).toMatchObject({
      delivered: false,
      attempts: 1,
    });
    expect(signals).toHaveLength(1);
  });

  it('sends once when the first attempt succeeds', async () => {
    const { queue, signals } = scriptedQueue('ok');
    expect(await sendWithinBudget(queue, message, 5_000)).toEqual({ delivered: true, attempts: 1 });
    expect(signals).toHaveLength(1);
  });
});

describe('untilAborted', () => {
  it('ignores work that settles after the signal fired', async () => {
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const controller = new AbortController();
      let fail: (e: Error) => void = () => undefined;
      const work = new Promise<void>((_, reject) => {
        fail = reject;
      });
      const waiting = untilAborted(work, controller.signal);
      controller.abort(new Error('deadline'));
      await expect(waiting).rejects.toThrow('deadline');
      fail(new Error('late'));
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });
});

describe('the budget setting and the counters’ keys', () => {
  afterEach(() => {
    delete process.env.UNDERSTUDY_TEST_BUDGET_MS;
  });

  it('reads a whole number of milliseconds, falls back when unset, and refuses anything else', () => {
    expect(millisecondsEnv('UNDERSTUDY_TEST_BUDGET_MS', 500)).toBe(500);
    process.env.UNDERSTUDY_TEST_BUDGET_MS = '';
    expect(millisecondsEnv('UNDERSTUDY_TEST_BUDGET_MS', 500)).toBe(500);
    process.env.UNDERSTUDY_TEST_BUDGET_MS = '750';
    expect(millisecondsEnv('UNDERSTUDY_TEST_BUDGET_MS', 500)).toBe(750);
    for (const bad of ['0', '-5', '1.5', '500ms', 'abc']) {
      process.env.UNDERSTUDY_TEST_BUDGET_MS = bad;
      expect(() => millisecondsEnv('UNDERSTUDY_TEST_BUDGET_MS', 500)).toThrow(/positive whole number/);
    }
  });

  it('keys a shadow’s drops by the comparison its copies feed in the shadow Lambda', async () => {
    const store = new InMemoryRegistryStore();
    const shadow = (VariantName: string, experimentName?: string) => ({
      VariantName,
      ModelName: 'm',
      artifact: { uri: 's3://b/m.onnx', sha256: 'x', sizeBytes: 1 },
      experimentName,
      csvContentTypes: [],
      jsonContentTypes: [],
    });
    await new RegistryMirrorDropCounter(store).count({
      ...message,
      endpointName: 'ep9',
      shadows: [shadow('challenger', 'exp'), shadow('twin')],
    });
    expect(await mirrorsDropped(store, comparisonIdFor('ep9', 'exp'), 'challenger')).toBe(1);
    expect(await mirrorsDropped(store, comparisonIdFor('ep9', undefined), 'twin')).toBe(1);
    expect(await mirrorsDropped(store, comparisonIdFor('ep9', undefined), 'challenger')).toBe(0);
  });
});

/** A registry store whose counter writes never answer (a throttled or unreachable table). */
class StuckCounterStore extends InMemoryRegistryStore {
  readonly signals: (AbortSignal | undefined)[] = [];
  override increment(_c: string, _id: string, options?: { abortSignal?: AbortSignal }): Promise<number> {
    this.signals.push(options?.abortSignal);
    return new Promise<number>(() => undefined);
  }
}

describe('the InvokeEndpoint handler when the mirror is slow or failing', () => {
  let store: InMemoryRegistryStore;
  let ctx: ControlContext;
  let artifacts: MemoryArtifactSource;
  let lines: Record<string, unknown>[];
  let errors: Record<string, unknown>[];
  let warnings: Record<string, unknown>[];
  /** The handler's log, as entries of the message (`msg`) and its fields. */
  const log: Log = {
    info: () => undefined,
    warn: (msg, fields) => void warnings.push({ msg, ...fields }),
    error: (msg, fields) => void errors.push({ msg, ...fields }),
  };
  const call = (op: string, input: unknown) => dispatch(ctx, op, input) as Promise<Record<string, unknown>>;

  beforeEach(async () => {
    artifacts = new MemoryArtifactSource();
    artifacts.put('s3://m/v1.onnx', fixture('regressor.onnx'));
    artifacts.put('s3://m/v2.onnx', fixture('regressor-v2.onnx'));
    store = new InMemoryRegistryStore();
    ctx = {
      store,
      artifacts,
      models: onnxModelProbe,
      region: 'us-east-1',
      accountId: '123456789012',
      caller: { accessKeyId: KEY.accessKeyId, role: 'admin' },
      now: () => NOW,
    };
    lines = [];
    errors = [];
    warnings = [];
    await call('CreateModel', {
      ModelName: 'champion',
      PrimaryContainer: { ModelDataUrl: 's3://m/v1.onnx' },
    });
    await call('CreateModel', {
      ModelName: 'challenger',
      PrimaryContainer: { ModelDataUrl: 's3://m/v2.onnx' },
    });
    await call('CreateEndpointConfig', {
      EndpointConfigName: 'cfg',
      ProductionVariants: [{ VariantName: 'main', ModelName: 'champion' }],
      DataCaptureConfig: {
        InitialSamplingPercentage: 100,
        DestinationS3Uri: 's3://captures/prod',
        CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
      },
    });
    await call('CreateEndpoint', { EndpointName: 'ep', EndpointConfigName: 'cfg' });
    const infra = {
      InfrastructureType: 'RealTimeInference',
      RealTimeInferenceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
    };
    await call('CreateInferenceExperiment', {
      Name: 'exp',
      Type: 'ShadowMode',
      RoleArn: 'arn:aws:iam::123456789012:role/x',
      EndpointName: 'ep',
      ModelVariants: [
        { ModelName: 'champion', VariantName: 'main', InfrastructureConfig: infra },
        { ModelName: 'challenger', VariantName: 'shadow', InfrastructureConfig: infra },
      ],
      ShadowModeConfig: {
        SourceModelVariantName: 'main',
        ShadowModelVariants: [{ ShadowModelVariantName: 'shadow', SamplingPercentage: 100 }],
      },
      DataStorageConfig: { Destination: 's3://captures/experiments/' },
    });
    await call('StartInferenceExperiment', { Name: 'exp' });
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  function handlerWith(
    queue: MirrorQueue,
    options: { budgetMs?: number; counterStore?: RegistryStore } = {},
  ) {
    return createInvokeHandler({
      endpoints: new EndpointCache(store),
      models: new ModelCache(artifacts),
      keys: { resolve: async (id) => (id === KEY.accessKeyId ? KEY : undefined) },
      mirror: queue,
      mirrorBudgetMs: options.budgetMs ?? BUDGET_MS,
      drops: new RegistryMirrorDropCounter(options.counterStore ?? store, BUDGET_MS),
      metrics: { write: (line) => void lines.push(JSON.parse(line)) },
      now: () => NOW,
      logging: { logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }), log },
    });
  }

  async function invoke(handler: ReturnType<typeof createInvokeHandler>, endpoint = 'ep') {
    const event = await signedInvokeEvent({ key: KEY, now: NOW, endpoint, body: '1,2,3,4\n' });
    const result = await handler(event, {} as Context);
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(String(result.body)).predictions[0]).toBeCloseTo(
      expected.models['regressor.onnx'].score[0] as number,
      4,
    );
    return result;
  }

  it('answers 200 when the send never settles, and counts the drop in the metric line and the registry', async () => {
    const { queue, signals } = scriptedQueue('hang');
    const handler = handlerWith(queue);
    for (let i = 0; i < 3; i++) await invoke(handler);
    expect(signals).toHaveLength(3);
    expect(signals.every((s) => s?.aborted)).toBe(true);
    expect(lines).toHaveLength(3);
    expect(lines.map((l) => [l.MirrorsDropped, l.CapturesDropped])).toEqual([
      [1, 1],
      [1, 1],
      [1, 1],
    ]);
    expect(lines[0]).toMatchObject({ EndpointName: 'ep', VariantName: 'main', Invocation5XXErrors: 0 });
    expect(lines[0]).toMatchObject({
      _aws: {
        CloudWatchMetrics: [
          {
            Metrics: expect.arrayContaining([
              { Name: 'MirrorsDropped', Unit: 'Count' },
              { Name: 'CapturesDropped', Unit: 'Count' },
            ]),
          },
        ],
      },
    });
    expect(await capturesDropped(store, 'ep')).toBe(3);
    expect(await mirrorsDropped(store, 'exp', 'shadow')).toBe(3);
    const dropped = errors.filter((e) => String(e.msg).startsWith('mirror message dropped'));
    expect(dropped).toHaveLength(3);
    expect(new Set(dropped.map((e) => e.eventId)).size).toBe(3);
    expect(dropped[0]).toMatchObject({ endpoint: 'ep', capture: true, shadows: ['shadow'], attempts: 1 });
  });

  it('shows the drops in DescribeEndpoint and DescribeShadowReport', async () => {
    const handler = handlerWith(scriptedQueue('hang').queue);
    for (let i = 0; i < 2; i++) await invoke(handler);
    expect((await call('DescribeEndpoint', { EndpointName: 'ep' })).CapturesDropped).toBe(2);
    const report = await call('Understudy.DescribeShadowReport', { InferenceExperimentName: 'exp' });
    expect(report).toMatchObject({
      InferenceExperimentName: 'exp',
      ShadowVariantName: 'shadow',
      MirrorsDropped: 2,
      RequestsMirrored: 0,
      ShadowVariants: [{ ShadowVariantName: 'shadow', MirrorsDropped: 2 }],
    });
  });

  it('shows zero drops when every copy was delivered, and forgets an endpoint’s count with the endpoint', async () => {
    await invoke(handlerWith(scriptedQueue('ok').queue));
    expect((await call('DescribeEndpoint', { EndpointName: 'ep' })).CapturesDropped).toBe(0);
    expect(
      (await call('Understudy.DescribeShadowReport', { InferenceExperimentName: 'exp' })).MirrorsDropped,
    ).toBe(0);
    await invoke(handlerWith(scriptedQueue('fail').queue));
    expect((await call('DescribeEndpoint', { EndpointName: 'ep' })).CapturesDropped).toBe(1);
    await call('StopInferenceExperiment', {
      Name: 'exp',
      ModelVariantActions: { main: 'Retain', shadow: 'Remove' },
    });
    await call('DeleteEndpoint', { EndpointName: 'ep' });
    await call('CreateEndpoint', { EndpointName: 'ep', EndpointConfigName: 'cfg' });
    expect((await call('DescribeEndpoint', { EndpointName: 'ep' })).CapturesDropped).toBe(0);
  });

  it('answers 200 when the send fails twice, and counts the drop', async () => {
    const { queue, signals } = scriptedQueue('fail');
    await invoke(handlerWith(queue, { budgetMs: 5_000 }));
    expect(signals).toHaveLength(2);
    expect(lines[0]).toMatchObject({ MirrorsDropped: 1, CapturesDropped: 1 });
    expect(await capturesDropped(store, 'ep')).toBe(1);
    expect(await mirrorsDropped(store, 'exp', 'shadow')).toBe(1);
    expect(errors).toMatchObject([
      { eventId: expect.any(String), error: 'the mirror queue failed: SQS is down' },
    ]);
  });

  it('does not count a copy delivered on the retry inside the budget, and says it was retried', async () => {
    const { queue, signals, delivered } = scriptedQueue('fail', 'ok');
    await invoke(handlerWith(queue, { budgetMs: 5_000 }));
    expect(warnings).toMatchObject([
      {
        msg: 'mirror message sent on the retry',
        eventId: delivered[0]?.eventId,
        firstAttempt: 'SQS is down',
      },
    ]);
    expect(signals).toHaveLength(2);
    expect(delivered).toHaveLength(1);
    expect(lines[0]).toMatchObject({ MirrorsDropped: 0, CapturesDropped: 0 });
    expect(await capturesDropped(store, 'ep')).toBe(0);
    expect(await mirrorsDropped(store, 'exp', 'shadow')).toBe(0);
    expect(errors).toEqual([]);
  });

  it('still answers when the registry counter does not answer either, and logs that the count was not written', async () => {
    const { queue } = scriptedQueue('hang');
    const stuck = new StuckCounterStore();
    await invoke(handlerWith(queue, { counterStore: stuck }));
    expect(stuck.signals).toHaveLength(2); // the endpoint's captures and the one shadow
    expect(stuck.signals.every((s) => s?.aborted)).toBe(true);
    expect(lines[0]).toMatchObject({ MirrorsDropped: 1, CapturesDropped: 1 });
    expect(errors.map((e) => e.msg)).toEqual([
      expect.stringMatching(/^mirror message dropped/),
      expect.stringMatching(/^mirror drop not counted in the registry/),
    ]);
    expect(errors[1]?.eventId).toBe(errors[0]?.eventId);
  });

  it('counts a dropped copy without a capture as a mirror only', async () => {
    await call('CreateEndpointConfig', {
      EndpointConfigName: 'cfg-shadow',
      ProductionVariants: [{ VariantName: 'main', ModelName: 'champion' }],
      ShadowProductionVariants: [{ VariantName: 'shadow', ModelName: 'challenger' }],
    });
    await call('CreateEndpoint', { EndpointName: 'ep2', EndpointConfigName: 'cfg-shadow' });
    const { queue } = scriptedQueue('hang');
    await invoke(handlerWith(queue), 'ep2');
    expect(lines[0]).toMatchObject({ EndpointName: 'ep2', MirrorsDropped: 1, CapturesDropped: 0 });
    expect(await capturesDropped(store, 'ep2')).toBe(0);
    expect(await mirrorsDropped(store, 'endpoint/ep2', 'shadow')).toBe(1);
    const report = await call('Understudy.DescribeShadowReport', { EndpointName: 'ep2' });
    expect(report).toMatchObject({ EndpointName: 'ep2', ShadowVariantName: 'shadow', MirrorsDropped: 1 });
    expect((await call('DescribeEndpoint', { EndpointName: 'ep2' })).CapturesDropped).toBe(0);
  });

  it('writes no mirror metrics for a request that was not sampled', async () => {
    await call('CreateEndpointConfig', {
      EndpointConfigName: 'plain',
      ProductionVariants: [{ VariantName: 'main', ModelName: 'champion' }],
    });
    await call('CreateEndpoint', { EndpointName: 'ep3', EndpointConfigName: 'plain' });
    const { queue, signals } = scriptedQueue('hang');
    await invoke(handlerWith(queue), 'ep3');
    expect(signals).toHaveLength(0);
    expect(lines[0]).not.toHaveProperty('MirrorsDropped');
    expect(lines[0]).not.toHaveProperty('CapturesDropped');
  });
});
