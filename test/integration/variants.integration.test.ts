import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  PutMetricAlarmCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DeleteEndpointCommand,
  type DeploymentConfig,
  DescribeEndpointCommand,
  type DescribeEndpointCommandOutput,
  UpdateEndpointCommand,
  UpdateEndpointWeightsAndCapacitiesCommand,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  endpointInService,
  env,
  errorOf,
  runtime,
  sagemaker,
  understudy,
  unique,
  uploadFixture,
} from './platform.js';

const region = env.AWS_REGION ?? 'us-east-1';
/** CloudWatch on the emulator: moto never evaluates alarms, so tests set their state. */
const cloudwatch = new CloudWatchClient({
  endpoint: env.AWS_ENDPOINT_URL,
  region,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The data plane caches an endpoint record for up to a second. */
const CACHE_TTL_MS = 1200;
const ROW = new TextEncoder().encode('0.5,-1.5,2.25,0\n');

/** Half-width of the 99.9% normal-approximation interval of a binomial count. */
const halfWidth999 = (n: number, p: number) => 3.2905 * Math.sqrt(n * p * (1 - p));

/** Sends `n` invocations, `concurrency` at a time; counts the variants that answered. */
async function invokeMany(
  EndpointName: string,
  n: number,
  options: { concurrency?: number; target?: string } = {},
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      const answer = await runtime.send(
        new InvokeEndpointCommand({
          EndpointName,
          ContentType: 'text/csv',
          Accept: 'application/json',
          Body: ROW,
          TargetVariant: options.target,
        }),
      );
      const variant = answer.InvokedProductionVariant ?? 'none';
      counts[variant] = (counts[variant] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 20 }, worker));
  return counts;
}

const describeEndpoint = (EndpointName: string) =>
  sagemaker.send(new DescribeEndpointCommand({ EndpointName }));

/** The percentage of traffic on the new config while a rollout runs, from DescribeEndpoint. */
function rolloutPercent(described: DescribeEndpointCommandOutput): number | undefined {
  const message =
    described.PendingDeploymentSummary?.ProductionVariants?.[0]?.VariantStatus?.[0]?.StatusMessage;
  const match = message ? /(\d+)% of traffic/.exec(message) : null;
  return match ? Number(match[1]) : undefined;
}

function canary(percent: number, wait: number, alarm: string): DeploymentConfig {
  return {
    BlueGreenUpdatePolicy: {
      TrafficRoutingConfiguration: {
        Type: 'CANARY',
        CanarySize: { Type: 'CAPACITY_PERCENT', Value: percent },
        WaitIntervalInSeconds: wait,
      },
    },
    AutoRollbackConfiguration: { Alarms: [{ AlarmName: alarm }] },
  };
}

describe('production variants and safe rollout', () => {
  const p = unique('var');
  const names = {
    weighted: `${p}-weighted`,
    rollback: `${p}-rollback`,
    complete: `${p}-complete`,
    linear: `${p}-linear`,
  };
  const alarms = { rollback: `${p}-rollback-errors`, ok: `${p}-ok-errors` };
  const endpoints = Object.values(names);

  beforeAll(async () => {
    const v1 = await uploadFixture('regressor.onnx', `models/${p}/v1.onnx`);
    const v2 = await uploadFixture('regressor-v2.onnx', `models/${p}/v2.onnx`);
    for (const [ModelName, ModelDataUrl] of [
      [`${p}-v1`, v1],
      [`${p}-v2`, v2],
    ] as const) {
      await sagemaker.send(
        new CreateModelCommand({ ModelName, PrimaryContainer: { Image: 'onnx', ModelDataUrl } }),
      );
    }
    await sagemaker.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: `${p}-three`,
        ProductionVariants: [
          { VariantName: 'a', ModelName: `${p}-v1`, InitialVariantWeight: 70 },
          { VariantName: 'b', ModelName: `${p}-v1`, InitialVariantWeight: 20 },
          { VariantName: 'c', ModelName: `${p}-v1`, InitialVariantWeight: 10 },
        ],
      }),
    );
    for (const [color, model] of [
      ['blue', `${p}-v1`],
      ['green', `${p}-v2`],
    ] as const) {
      await sagemaker.send(
        new CreateEndpointConfigCommand({
          EndpointConfigName: `${p}-${color}`,
          ProductionVariants: [
            {
              VariantName: color,
              ModelName: model,
              ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 20 },
            },
          ],
        }),
      );
    }
    await sagemaker.send(
      new CreateEndpointCommand({ EndpointName: names.weighted, EndpointConfigName: `${p}-three` }),
    );
    for (const name of [names.rollback, names.complete, names.linear]) {
      await sagemaker.send(
        new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: `${p}-blue` }),
      );
    }
    for (const name of endpoints) await endpointInService(name);
    for (const [key, AlarmName] of Object.entries(alarms)) {
      await cloudwatch.send(
        new PutMetricAlarmCommand({
          AlarmName,
          Namespace: 'Understudy',
          MetricName: 'Invocation5XXErrors',
          Dimensions: [
            { Name: 'EndpointName', Value: key === 'rollback' ? names.rollback : names.complete },
            { Name: 'VariantName', Value: 'green' },
          ],
          Statistic: 'Sum',
          Period: 60,
          EvaluationPeriods: 1,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        }),
      );
      await cloudwatch.send(
        new SetAlarmStateCommand({ AlarmName, StateValue: 'OK', StateReason: 'test start' }),
      );
    }
  });

  afterAll(async () => {
    for (const EndpointName of endpoints) {
      await sagemaker.send(new DeleteEndpointCommand({ EndpointName })).catch(() => undefined);
    }
    await cloudwatch
      .send(new DeleteAlarmsCommand({ AlarmNames: Object.values(alarms) }))
      .catch(() => undefined);
  });

  it('spreads 10,000 invocations 70/20/10, each share inside its 99.9% binomial interval', async () => {
    const n = 10_000;
    const started = Date.now();
    const counts = await invokeMany(names.weighted, n, { concurrency: 20 });
    console.log(
      `10,000 invocations at concurrency 20 in ${Date.now() - started} ms: ${JSON.stringify(counts)}`,
    );
    for (const [variant, share] of [
      ['a', 0.7],
      ['b', 0.2],
      ['c', 0.1],
    ] as const) {
      const observed = counts[variant] ?? 0;
      expect(Math.abs(observed - n * share), `${variant}: ${observed}`).toBeLessThan(halfWidth999(n, share));
    }
  });

  it('lets TargetVariant win every time', async () => {
    expect(await invokeMany(names.weighted, 200, { target: 'c' })).toEqual({ c: 200 });
    const refused = await errorOf(invokeMany(names.weighted, 1, { target: 'nope', concurrency: 1 }));
    expect(refused).toMatchObject({ name: 'ValidationError', status: 400 });
  });

  it('changes weights in place with UpdateEndpointWeightsAndCapacities; the next requests follow', async () => {
    await sagemaker.send(
      new UpdateEndpointWeightsAndCapacitiesCommand({
        EndpointName: names.weighted,
        DesiredWeightsAndCapacities: [
          { VariantName: 'a', DesiredWeight: 0 },
          { VariantName: 'b', DesiredWeight: 1 },
          { VariantName: 'c', DesiredWeight: 0 },
        ],
      }),
    );
    const described = await endpointInService(names.weighted);
    expect(
      described.ProductionVariants?.map((v) => [v.VariantName, v.CurrentWeight, v.DesiredWeight]),
    ).toEqual([
      ['a', 0, 0],
      ['b', 1, 1],
      ['c', 0, 0],
    ]);
    await sleep(CACHE_TTL_MS);
    expect(await invokeMany(names.weighted, 200)).toEqual({ b: 200 });
  });

  it('refuses bad weight updates with a typed 400, endpoint unchanged', async () => {
    const before = await describeEndpoint(names.weighted);
    for (const [desired, message] of [
      [[{ VariantName: 'a', DesiredWeight: -1 }], /greater than or equal to 0/],
      [[{ VariantName: 'zz', DesiredWeight: 1 }], /\[zz\] are not present/],
      [[{ VariantName: 'b', DesiredWeight: 0 }], /must be positive/],
    ] as const) {
      const error = await errorOf(
        sagemaker.send(
          new UpdateEndpointWeightsAndCapacitiesCommand({
            EndpointName: names.weighted,
            DesiredWeightsAndCapacities: [...desired],
          }),
        ),
      );
      expect(error).toMatchObject({ name: 'ValidationException', status: 400 });
      expect(error.message).toMatch(message);
    }
    const after = await describeEndpoint(names.weighted);
    expect(after.ProductionVariants).toEqual(before.ProductionVariants);
    expect(after.LastModifiedTime).toEqual(before.LastModifiedTime);
  });

  it('rolls a canary back when its alarm goes into ALARM during the bake, leaving all traffic on the old config', async () => {
    const config = canary(50, 5, alarms.rollback);
    await sagemaker.send(
      new UpdateEndpointCommand({
        EndpointName: names.rollback,
        EndpointConfigName: `${p}-green`,
        DeploymentConfig: config,
      }),
    );
    const updating = await describeEndpoint(names.rollback);
    expect(updating.EndpointStatus).toBe('Updating');
    expect(updating.EndpointConfigName).toBe(`${p}-blue`);
    expect(updating.PendingDeploymentSummary?.EndpointConfigName).toBe(`${p}-green`);
    expect(rolloutPercent(updating)).toBe(50);
    await sleep(CACHE_TTL_MS);
    const during = await invokeMany(names.rollback, 200);
    expect(during.green ?? 0).toBeGreaterThan(0);
    expect(during.blue ?? 0).toBeGreaterThan(0);

    await cloudwatch.send(
      new SetAlarmStateCommand({
        AlarmName: alarms.rollback,
        StateValue: 'ALARM',
        StateReason: 'errors on green',
      }),
    );
    const settled = await endpointInService(names.rollback);
    expect(settled.EndpointConfigName).toBe(`${p}-blue`);
    expect(settled.FailureReason).toMatch(new RegExp(`${alarms.rollback} in ALARM state`));
    expect(settled.LastDeploymentConfig).toEqual(config);
    expect(settled.PendingDeploymentSummary).toBeUndefined();
    await sleep(CACHE_TTL_MS);
    expect(await invokeMany(names.rollback, 200)).toEqual({ blue: 200 });
    const history = await understudy('ListDeploymentHistory', { EndpointName: names.rollback });
    expect(history.Deployments).toMatchObject([
      { DeploymentType: 'UpdateEndpoint', DeploymentStatus: 'RolledBack', TrafficRoutingType: 'CANARY' },
      // The history starts with the endpoint's creation.
      {
        DeploymentType: 'CreateEndpoint',
        DeploymentStatus: 'Succeeded',
        TargetEndpointConfigName: `${p}-blue`,
      },
    ]);
  });

  it('completes a canary whose alarm stays OK', async () => {
    await sagemaker.send(
      new UpdateEndpointCommand({
        EndpointName: names.complete,
        EndpointConfigName: `${p}-green`,
        DeploymentConfig: canary(20, 3, alarms.ok),
      }),
    );
    expect((await describeEndpoint(names.complete)).EndpointStatus).toBe('Updating');
    const settled = await endpointInService(names.complete);
    expect(settled.EndpointConfigName).toBe(`${p}-green`);
    expect(settled.FailureReason).toBeUndefined();
    expect(settled.ProductionVariants?.map((v) => v.VariantName)).toEqual(['green']);
    await sleep(CACHE_TTL_MS);
    expect(await invokeMany(names.complete, 100)).toEqual({ green: 100 });
    const history = await understudy('ListDeploymentHistory', { EndpointName: names.complete });
    expect(history.Deployments).toMatchObject([
      {
        DeploymentStatus: 'Succeeded',
        SourceEndpointConfigName: `${p}-blue`,
        TargetEndpointConfigName: `${p}-green`,
        Steps: [{ TrafficPercentage: 20 }, { TrafficPercentage: 100 }],
      },
      {
        DeploymentType: 'CreateEndpoint',
        DeploymentStatus: 'Succeeded',
        TargetEndpointConfigName: `${p}-blue`,
      },
    ]);
  });

  it('passes a LINEAR rollout through its steps, the observed shares following them', async () => {
    await sagemaker.send(
      new UpdateEndpointCommand({
        EndpointName: names.linear,
        EndpointConfigName: `${p}-green`,
        DeploymentConfig: {
          BlueGreenUpdatePolicy: {
            TrafficRoutingConfiguration: {
              Type: 'LINEAR',
              LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 30 },
              // Each step must outlast the cache refresh plus 300 invocations: 5 s was too short
              // on a two-core machine shared with other test runs (a step was skipped once).
              WaitIntervalInSeconds: 10,
            },
          },
        },
      }),
    );
    const n = 300;
    const observed: { percent: number; green: number }[] = [];
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      const described = await describeEndpoint(names.linear);
      if (described.EndpointStatus === 'InService') break;
      const percent = rolloutPercent(described);
      if (percent === undefined || observed.some((o) => o.percent === percent)) {
        await sleep(200);
        continue;
      }
      await sleep(CACHE_TTL_MS);
      const counts = await invokeMany(names.linear, n);
      // Keep the batch only if the step did not move on while it ran.
      if (rolloutPercent(await describeEndpoint(names.linear)) === percent) {
        observed.push({ percent, green: counts.green ?? 0 });
      }
    }
    console.log(`LINEAR 30%: observed ${JSON.stringify(observed)} (green out of ${n} per step)`);
    expect(observed.map((o) => o.percent)).toEqual([30, 60, 90, 100]);
    for (const { percent, green } of observed) {
      const share = percent / 100;
      if (share === 1) expect(green).toBe(n);
      else expect(Math.abs(green - n * share), `${percent}%: ${green}`).toBeLessThan(halfWidth999(n, share));
    }
    const settled = await endpointInService(names.linear);
    expect(settled.EndpointConfigName).toBe(`${p}-green`);
  });

  it('refuses bad rollouts with a typed 400, endpoint unchanged', async () => {
    const before = await describeEndpoint(names.complete);
    const linear = (Value: number, Type: 'CAPACITY_PERCENT' | 'INSTANCE_COUNT' = 'CAPACITY_PERCENT') => ({
      BlueGreenUpdatePolicy: {
        TrafficRoutingConfiguration: {
          Type: 'LINEAR' as const,
          LinearStepSize: { Type, Value },
          WaitIntervalInSeconds: 1,
        },
      },
    });
    for (const [config, message] of [
      [canary(60, 5, alarms.ok), /CanarySize.Value must be a whole percentage from 1 to 50, got 60/],
      [linear(5), /LinearStepSize.Value must be a whole percentage from 10 to 50, got 5/],
      [linear(1, 'INSTANCE_COUNT'), /INSTANCE_COUNT has no meaning on a serverless endpoint/],
      [canary(10, 5, `${p}-no-such-alarm`), /alarm\(s\) that do not exist/],
    ] as const) {
      const error = await errorOf(
        sagemaker.send(
          new UpdateEndpointCommand({
            EndpointName: names.complete,
            EndpointConfigName: `${p}-blue`,
            DeploymentConfig: config,
          }),
        ),
      );
      expect(error).toMatchObject({ name: 'ValidationException', status: 400 });
      expect(error.message).toMatch(message);
    }
    expect(await describeEndpoint(names.complete)).toMatchObject({
      EndpointStatus: 'InService',
      EndpointConfigName: before.EndpointConfigName,
      LastModifiedTime: before.LastModifiedTime,
    });

    // An update while another is in progress.
    await sagemaker.send(
      new UpdateEndpointCommand({
        EndpointName: names.complete,
        EndpointConfigName: `${p}-blue`,
        DeploymentConfig: canary(10, 600, alarms.ok),
      }),
    );
    const busy = await describeEndpoint(names.complete);
    expect(busy.EndpointStatus).toBe('Updating');
    for (const call of [
      () =>
        sagemaker.send(
          new UpdateEndpointCommand({ EndpointName: names.complete, EndpointConfigName: `${p}-green` }),
        ),
      () =>
        sagemaker.send(
          new UpdateEndpointWeightsAndCapacitiesCommand({
            EndpointName: names.complete,
            DesiredWeightsAndCapacities: [{ VariantName: 'green', DesiredWeight: 2 }],
          }),
        ),
    ]) {
      const error = await errorOf(call());
      expect(error).toMatchObject({ name: 'ValidationException', status: 400 });
      expect(error.message).toMatch(/Cannot update in-progress endpoint/);
    }
    expect((await describeEndpoint(names.complete)).PendingDeploymentSummary).toEqual(
      busy.PendingDeploymentSummary,
    );

    // Stopping it by hand puts all traffic back on the config it served.
    await understudy('RollbackEndpoint', { EndpointName: names.complete });
    const stopped = await describeEndpoint(names.complete);
    expect(stopped).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: `${p}-green` });
    expect(stopped.FailureReason).toMatch(/by hand/);
  });

  it('returns an endpoint to its previous config in one call, recorded in the history', async () => {
    const answer = await understudy('RollbackEndpoint', { EndpointName: names.complete });
    expect(answer.EndpointConfigName).toBe(`${p}-blue`);
    const described = await describeEndpoint(names.complete);
    expect(described).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: `${p}-blue` });
    await sleep(CACHE_TTL_MS);
    expect(await invokeMany(names.complete, 100)).toEqual({ blue: 100 });
    const history = (await understudy('ListDeploymentHistory', { EndpointName: names.complete }))
      .Deployments as {
      DeploymentType: string;
      DeploymentStatus: string;
      TargetEndpointConfigName: string;
    }[];
    expect(history.map((h) => [h.DeploymentType, h.DeploymentStatus, h.TargetEndpointConfigName])).toEqual([
      ['RollbackEndpoint', 'Succeeded', `${p}-blue`],
      ['UpdateEndpoint', 'RolledBack', `${p}-blue`],
      ['UpdateEndpoint', 'Succeeded', `${p}-green`],
      ['CreateEndpoint', 'Succeeded', `${p}-blue`],
    ]);
    const refused = await errorOf(understudy('RollbackEndpoint', { EndpointName: `${p}-missing` }));
    expect(refused.name).toBe('ValidationException');
  });
});
