import { beforeEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../lambdas/control/control-plane.js';
import type { ControlContext } from '../../lambdas/domain/kernel/context.js';
import type { JobMessage } from '../../lambdas/domain/kernel/ports.js';
import { COLLECTIONS } from '../../lambdas/domain/kernel/records.js';
import type { RegistryStore } from '../../lambdas/domain/kernel/store.js';
import type { DimensionedDatum, MonitoringAlert } from '../../lambdas/domain/model-monitor/ports.js';
import type { ScheduleRecord } from '../../lambdas/domain/model-monitor/records.js';
import {
  DATA_METRICS_NAMESPACE,
  type MonitorDeps,
  runDueSchedules,
  runScheduleNow,
} from '../../lambdas/domain/model-monitor/runner.js';
import {
  parseConstraints,
  parseStatistics,
  parseViolations,
} from '../../lambdas/domain/model-monitor/statistics/index.js';
import { onnxModelProbe } from '../../lambdas/shared/model-probe.js';
import { errorOf } from '../support/api-error.js';
import { InMemoryObjectStore } from '../support/in-memory-object-store.js';
import { InMemoryRegistryStore } from '../support/in-memory-registry-store.js';
import { fixture, MemoryArtifactSource } from '../support/models.js';
import { captureLine, FEATURES, generateDataset, generateRows } from '../support/monitoring-data.js';

let ctx: ControlContext;
let store: InMemoryRegistryStore;
let objects: InMemoryObjectStore;
let clock: Date;
let metrics: { namespace: string; data: DimensionedDatum[] }[];
let alerts: MonitoringAlert[];
let deps: MonitorDeps;
let sent: JobMessage[];

const call = (op: string, input: unknown) => dispatch(ctx, op, input) as Promise<Record<string, unknown>>;
const ROLE = 'arn:aws:iam::123456789012:role/monitor';
const cluster = { InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 20 };

function jobDefinition(
  name: string,
  options: { constraints?: string; environment?: Record<string, string> } = {},
) {
  return {
    JobDefinitionName: name,
    DataQualityBaselineConfig: {
      ConstraintsResource: { S3Uri: options.constraints ?? 's3://b/baseline/constraints.json' },
      StatisticsResource: { S3Uri: 's3://b/baseline/statistics.json' },
    },
    DataQualityAppSpecification: {
      ImageUri: '156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer',
      ...(options.environment ? { Environment: options.environment } : {}),
    },
    DataQualityJobInput: { EndpointInput: { EndpointName: 'ep', LocalPath: '/opt/ml/processing/input' } },
    DataQualityJobOutputConfig: {
      MonitoringOutputs: [{ S3Output: { S3Uri: 's3://b/reports', LocalPath: '/opt/ml/processing/output' } }],
    },
    JobResources: { ClusterConfig: cluster },
    RoleArn: ROLE,
  };
}

function schedule(
  name: string,
  expression: string,
  jobDefinitionName = 'dq',
  extra: Record<string, string> = {},
) {
  return {
    MonitoringScheduleName: name,
    MonitoringScheduleConfig: {
      ScheduleConfig: { ScheduleExpression: expression, ...extra },
      MonitoringJobDefinitionName: jobDefinitionName,
      MonitoringType: 'DataQuality',
    },
  };
}

/** Writes capture files for rows, 20 rows per file, at `at` + i seconds. */
async function writeCaptures(rows: readonly string[], at: Date, variant = 'main') {
  for (let i = 0; i < rows.length; i += 20) {
    const when = new Date(at.getTime() + (i / 20) * 1000);
    const p = (n: number, w = 2) => String(n).padStart(w, '0');
    const key = `captures/ep/${variant}/${when.getUTCFullYear()}/${p(when.getUTCMonth() + 1)}/${p(when.getUTCDate())}/${p(when.getUTCHours())}/${p(when.getUTCMinutes())}-${p(when.getUTCSeconds())}-${p(when.getUTCMilliseconds(), 3)}-${i}.jsonl`;
    const lines = rows.slice(i, i + 20).map((row, j) => captureLine(`${row}\n`, when, `e${i + j}`));
    await objects.putText(`s3://b/${key}`, `${lines.join('\n')}\n`, 'application/jsonlines');
  }
}

/**
 * The test's store, but the first conditional write of a monitoring schedule lets `meanwhile`
 * change that schedule first (another writer between the read and the write), so the write
 * conflicts. `writes` counts the conditional schedule writes tried.
 */
function racingStore(meanwhile: () => Promise<unknown>): { store: RegistryStore; writes: () => number } {
  let writes = 0;
  const racing: RegistryStore = Object.assign(Object.create(store), {
    replace: async (collection: string, id: string, data: unknown, expectedVersion?: number) => {
      if (collection === COLLECTIONS.monitoringSchedule && expectedVersion !== undefined) {
        if (writes++ === 0) await meanwhile();
      }
      return store.replace(collection, id, data, expectedVersion);
    },
  });
  return { store: racing, writes: () => writes };
}

async function storedSchedule(name: string): Promise<ScheduleRecord> {
  const stored = await store.get<ScheduleRecord>(COLLECTIONS.monitoringSchedule, name);
  if (!stored) throw new Error(`no schedule ${name}`);
  return stored.data;
}

beforeEach(async () => {
  const artifacts = new MemoryArtifactSource();
  artifacts.put('s3://m/row-sum.onnx', fixture('row-sum.onnx'));
  store = new InMemoryRegistryStore();
  objects = new InMemoryObjectStore();
  clock = new Date('2026-11-25T12:00:00Z');
  sent = [];
  ctx = {
    store,
    artifacts,
    objects,
    jobs: { send: async (m) => void sent.push(m) },
    models: onnxModelProbe,
    region: 'us-east-1',
    accountId: '123456789012',
    caller: { accessKeyId: 'AKUSTEST', role: 'admin' },
    now: () => clock,
  };
  metrics = [];
  alerts = [];
  deps = {
    store,
    objects,
    metrics: { put: async (namespace, data) => void metrics.push({ namespace, data: [...data] }) },
    alerts: { publish: async (alert) => void alerts.push(alert) },
    now: () => clock,
  };
  await call('CreateModel', { ModelName: 'm', PrimaryContainer: { ModelDataUrl: 's3://m/row-sum.onnx' } });
  await call('CreateEndpointConfig', {
    EndpointConfigName: 'captured',
    ProductionVariants: [{ VariantName: 'main', ModelName: 'm' }],
    DataCaptureConfig: {
      InitialSamplingPercentage: 100,
      DestinationS3Uri: 's3://b/captures',
      CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
    },
  });
  await call('CreateEndpointConfig', {
    EndpointConfigName: 'plain',
    ProductionVariants: [{ VariantName: 'main', ModelName: 'm' }],
  });
  await call('CreateEndpoint', { EndpointName: 'ep', EndpointConfigName: 'captured' });
  await call('CreateEndpoint', { EndpointName: 'uncaptured', EndpointConfigName: 'plain' });
  await objects.putText('s3://b/data/train.csv', generateDataset(1, 2000), 'text/csv');
});

async function suggest(dataset = 's3://b/data/train.csv') {
  return call('Understudy.SuggestBaseline', {
    DatasetS3Uri: dataset,
    DatasetFormat: { Csv: { Header: true } },
    OutputS3Uri: 's3://b/baseline',
  });
}

describe('Understudy.SuggestBaseline', () => {
  it("writes statistics.json and constraints.json in Model Monitor's schema", async () => {
    const answer = await suggest();
    expect(answer).toMatchObject({
      StatisticsS3Uri: 's3://b/baseline/statistics.json',
      ConstraintsS3Uri: 's3://b/baseline/constraints.json',
      Rows: 2000,
      Features: 6,
      UnparseableRecords: 0,
    });
    const statistics = parseStatistics(await objects.getText('s3://b/baseline/statistics.json'));
    expect(statistics.features.map((f) => f.name)).toEqual([...FEATURES]);
    expect(statistics.features.find((f) => f.name === 'income')?.inferred_type).toBe('Fractional');
    expect(statistics.features.find((f) => f.name === 'segment')?.inferred_type).toBe('Integral');
    const constraints = parseConstraints(await objects.getText('s3://b/baseline/constraints.json'));
    expect(constraints.monitoring_config?.distribution_constraints?.comparison_threshold).toBe(0.1);
    expect(constraints.features.every((f) => f.completeness === 1)).toBe(true);
  });

  it('reads JSON Lines datasets and every object under a prefix', async () => {
    await objects.putText('s3://b/jsonl/part-1.jsonl', '{"a": 1, "b": "x"}\n{"a": 2, "b": "y"}\n', 'x');
    await objects.putText('s3://b/jsonl/part-2.jsonl', '{"a": 3, "b": "x"}\n', 'x');
    const answer = await call('Understudy.SuggestBaseline', {
      DatasetS3Uri: 's3://b/jsonl',
      DatasetFormat: { Json: { Line: true } },
      OutputS3Uri: 's3://b/jsonl-baseline/',
    });
    expect(answer).toMatchObject({
      Rows: 3,
      Features: 2,
      StatisticsS3Uri: 's3://b/jsonl-baseline/statistics.json',
    });
  });

  it('refuses a dataset without a header, an empty one, a header without rows, a missing one', async () => {
    await objects.putText('s3://b/data/no-header.csv', generateRows(2, 10).join('\n'), 'text/csv');
    await objects.putText('s3://b/data/empty.csv', '', 'text/csv');
    await objects.putText('s3://b/data/header-only.csv', `${FEATURES.join(',')}\n`, 'text/csv');
    const cases: [string, RegExp][] = [
      ['s3://b/data/no-header.csv', /first line .* is data, not a header/],
      ['s3://b/data/empty.csv', /is empty/],
      ['s3://b/data/header-only.csv', /has a header .* but no rows/],
      ['s3://b/data/nothing-here.csv', /no object or prefix/],
    ];
    for (const [uri, message] of cases) {
      const error = await errorOf(suggest(uri));
      expect(error.type).toBe('ValidationException');
      expect(error.statusCode).toBe(400);
      expect(error.message).toMatch(message);
    }
    const bad = await errorOf(
      call('Understudy.SuggestBaseline', {
        DatasetS3Uri: 'http://x',
        DatasetFormat: {},
        OutputS3Uri: 's3://b',
      }),
    );
    expect(bad.type).toBe('ValidationException');
  });
});

describe('data-quality job definitions', () => {
  it('are created, described, listed and deleted with SageMaker shapes', async () => {
    const { JobDefinitionArn } = await call('CreateDataQualityJobDefinition', jobDefinition('dq'));
    expect(JobDefinitionArn).toBe('arn:aws:sagemaker:us-east-1:123456789012:data-quality-job-definition/dq');
    const described = await call('DescribeDataQualityJobDefinition', { JobDefinitionName: 'dq' });
    expect(described).toMatchObject({
      JobDefinitionName: 'dq',
      RoleArn: ROLE,
      CreationTime: clock.getTime() / 1000,
    });
    expect(described).not.toHaveProperty('internal');
    const listed = await call('ListDataQualityJobDefinitions', { EndpointName: 'ep' });
    expect(listed.JobDefinitionSummaries).toEqual([
      {
        MonitoringJobDefinitionName: 'dq',
        MonitoringJobDefinitionArn: JobDefinitionArn,
        CreationTime: clock.getTime() / 1000,
        EndpointName: 'ep',
      },
    ]);
    expect((await errorOf(call('CreateDataQualityJobDefinition', jobDefinition('dq')))).type).toBe(
      'ResourceInUse',
    );
    await call('DeleteDataQualityJobDefinition', { JobDefinitionName: 'dq' });
    expect((await errorOf(call('DescribeDataQualityJobDefinition', { JobDefinitionName: 'dq' }))).type).toBe(
      'ResourceNotFound',
    );
  });

  it('refuses what Understudy cannot run, and a definition a schedule uses', async () => {
    const noBaseline = { ...jobDefinition('x'), DataQualityBaselineConfig: undefined };
    expect((await errorOf(call('CreateDataQualityJobDefinition', noBaseline))).message).toMatch(
      /needs a baseline/,
    );
    const batch = {
      ...jobDefinition('x'),
      DataQualityJobInput: {
        BatchTransformInput: {
          DataCapturedDestinationS3Uri: 's3://b/x',
          DatasetFormat: { Csv: { Header: true } },
          LocalPath: '/x',
        },
      },
    };
    expect((await errorOf(call('CreateDataQualityJobDefinition', batch))).message).toMatch(
      /BatchTransformInput/,
    );
    const badEnv = jobDefinition('x', { environment: { drift_violation_rule: 'sometimes' } });
    expect((await errorOf(call('CreateDataQualityJobDefinition', badEnv))).message).toMatch(
      /drift_violation_rule/,
    );
    const badPath = jobDefinition('x', { environment: { features_json_path: 'features' } });
    expect((await errorOf(call('CreateDataQualityJobDefinition', badPath))).message).toMatch(
      /must start with/,
    );
    // The service model's own constraints (RoleArn pattern) are checked before anything else.
    const badRole = { ...jobDefinition('x'), RoleArn: 'not-a-role' };
    expect((await errorOf(call('CreateDataQualityJobDefinition', badRole))).type).toBe('ValidationException');

    await call('CreateDataQualityJobDefinition', jobDefinition('dq'));
    await call('CreateMonitoringSchedule', schedule('s', 'cron(0 * ? * * *)'));
    expect((await errorOf(call('DeleteDataQualityJobDefinition', { JobDefinitionName: 'dq' }))).type).toBe(
      'ResourceInUse',
    );
  });
});

describe('monitoring schedules', () => {
  beforeEach(async () => {
    await call('CreateDataQualityJobDefinition', jobDefinition('dq'));
  });

  it('refuse a cron SageMaker would reject, naming it, and other bad timing', async () => {
    for (const expression of ['cron(0/5 * * * ? *)', 'cron(15 * ? * * *)', 'rate(1 minute)', 'hourly']) {
      const error = await errorOf(call('CreateMonitoringSchedule', schedule('s', expression)));
      expect(error.type).toBe('ValidationException');
      expect(error.message).toContain(`'${expression}'`);
    }
    expect((await errorOf(call('CreateMonitoringSchedule', schedule('s', 'NOW')))).message).toMatch(
      /NOW needs/,
    );
    const window = { DataAnalysisStartTime: '-PT30H', DataAnalysisEndTime: '-PT0H' };
    expect(
      (await errorOf(call('CreateMonitoringSchedule', schedule('s', 'NOW', 'dq', window)))).message,
    ).toMatch(/24 hours/);
    expect(await call('ListMonitoringSchedules', {})).toEqual({ MonitoringScheduleSummaries: [] });
  });

  it('refuse an endpoint without data capture, a missing endpoint or job definition, other types', async () => {
    await call('CreateDataQualityJobDefinition', {
      ...jobDefinition('dq-uncaptured'),
      DataQualityJobInput: { EndpointInput: { EndpointName: 'uncaptured', LocalPath: '/x' } },
    });
    const uncaptured = await errorOf(
      call('CreateMonitoringSchedule', schedule('s', 'rate(5 minutes)', 'dq-uncaptured')),
    );
    expect(uncaptured.type).toBe('ValidationException');
    expect(uncaptured.message).toMatch(/Endpoint uncaptured does not capture data/);
    await call('CreateDataQualityJobDefinition', {
      ...jobDefinition('dq-ghost'),
      DataQualityJobInput: { EndpointInput: { EndpointName: 'ghost', LocalPath: '/x' } },
    });
    expect(
      (await errorOf(call('CreateMonitoringSchedule', schedule('s', 'rate(5 minutes)', 'dq-ghost')))).message,
    ).toMatch(/Could not find endpoint/);
    expect(
      (await errorOf(call('CreateMonitoringSchedule', schedule('s', 'rate(5 minutes)', 'nope')))).message,
    ).toMatch(/job definition nope does not exist/);
    const bias = schedule('s', 'rate(5 minutes)');
    bias.MonitoringScheduleConfig.MonitoringType = 'ModelBias';
    expect((await errorOf(call('CreateMonitoringSchedule', bias))).message).toMatch(
      /ModelBias is not supported/,
    );
  });

  it('are created by job definition name or inline, described, listed, updated, stopped, started, deleted', async () => {
    const { MonitoringScheduleArn } = await call(
      'CreateMonitoringSchedule',
      schedule('by-name', 'rate(5 minutes)'),
    );
    expect(MonitoringScheduleArn).toBe(
      'arn:aws:sagemaker:us-east-1:123456789012:monitoring-schedule/by-name',
    );
    const def = jobDefinition('unused');
    await call('CreateMonitoringSchedule', {
      MonitoringScheduleName: 'inline',
      MonitoringScheduleConfig: {
        ScheduleConfig: { ScheduleExpression: 'cron(0 * ? * * *)' },
        MonitoringJobDefinition: {
          BaselineConfig: def.DataQualityBaselineConfig,
          MonitoringInputs: [def.DataQualityJobInput],
          MonitoringOutputConfig: def.DataQualityJobOutputConfig,
          MonitoringResources: def.JobResources,
          MonitoringAppSpecification: { ImageUri: def.DataQualityAppSpecification.ImageUri },
          RoleArn: ROLE,
        },
      },
    });
    const described = await call('DescribeMonitoringSchedule', { MonitoringScheduleName: 'by-name' });
    expect(described).toMatchObject({
      MonitoringScheduleName: 'by-name',
      MonitoringScheduleStatus: 'Scheduled',
      MonitoringType: 'DataQuality',
      EndpointName: 'ep',
      MonitoringScheduleConfig: { MonitoringJobDefinitionName: 'dq', MonitoringType: 'DataQuality' },
    });
    expect(described).not.toHaveProperty('LastMonitoringExecutionSummary');
    expect(described).not.toHaveProperty('internal');
    const names = async (input: Record<string, unknown>) =>
      (
        (await call('ListMonitoringSchedules', input)).MonitoringScheduleSummaries as {
          MonitoringScheduleName: string;
        }[]
      ).map((s) => s.MonitoringScheduleName);
    expect(await names({ SortBy: 'Name', SortOrder: 'Ascending' })).toEqual(['by-name', 'inline']);
    expect(await names({ MonitoringJobDefinitionName: 'dq' })).toEqual(['by-name']);
    expect(await names({ EndpointName: 'other' })).toEqual([]);

    await call('StopMonitoringSchedule', { MonitoringScheduleName: 'by-name' });
    expect(await names({ StatusEquals: 'Stopped' })).toEqual(['by-name']);
    expect(await names({ SortBy: 'Status', SortOrder: 'Ascending' })).toEqual(['inline', 'by-name']);
    await call('StartMonitoringSchedule', { MonitoringScheduleName: 'by-name' });
    await call('UpdateMonitoringSchedule', schedule('by-name', 'cron(0 */6 ? * * *)'));
    expect(
      (await call('DescribeMonitoringSchedule', { MonitoringScheduleName: 'by-name' }))
        .MonitoringScheduleConfig,
    ).toMatchObject({ ScheduleConfig: { ScheduleExpression: 'cron(0 */6 ? * * *)' } });
    expect(
      (await errorOf(call('UpdateMonitoringSchedule', schedule('by-name', 'cron(0 0 1 * ? *)')))).type,
    ).toBe('ValidationException');
    expect(
      (await errorOf(call('CreateMonitoringSchedule', schedule('by-name', 'rate(5 minutes)')))).type,
    ).toBe('ResourceInUse');
    await call('DeleteMonitoringSchedule', { MonitoringScheduleName: 'by-name' });
    expect(
      (await errorOf(call('DescribeMonitoringSchedule', { MonitoringScheduleName: 'by-name' }))).type,
    ).toBe('ResourceNotFound');
    expect((await errorOf(call('StartMonitoringSchedule', { MonitoringScheduleName: 'by-name' }))).type).toBe(
      'ResourceNotFound',
    );
  });

  it('retry an update, a stop and a start over a concurrent write, keeping both', async () => {
    await call('CreateMonitoringSchedule', schedule('s', 'rate(5 minutes)'));
    // The monitor records a fire between the call's read of the schedule and its write.
    let fires = 0;
    const recordFire = async () => {
      const stored = await store.get<ScheduleRecord>(COLLECTIONS.monitoringSchedule, 's');
      if (!stored) throw new Error('no schedule');
      const internal = { ...stored.data.internal, lastScheduledTime: 1_000 + fires++ };
      await store.replace(COLLECTIONS.monitoringSchedule, 's', { ...stored.data, internal }, stored.version);
    };
    const calls: [string, Record<string, unknown>][] = [
      ['UpdateMonitoringSchedule', schedule('s', 'cron(0 */6 ? * * *)')],
      ['StopMonitoringSchedule', { MonitoringScheduleName: 's' }],
      ['StartMonitoringSchedule', { MonitoringScheduleName: 's' }],
    ];
    const plain = ctx;
    for (const [operation, input] of calls) {
      const racing = racingStore(recordFire);
      ctx = { ...plain, store: racing.store };
      await call(operation, input);
      expect(racing.writes(), operation).toBe(2);
    }
    ctx = plain;
    const stored = await storedSchedule('s');
    expect(stored.internal.lastScheduledTime).toBe(1_002);
    expect(stored.MonitoringScheduleStatus).toBe('Scheduled');
    expect(stored.MonitoringScheduleConfig.ScheduleConfig?.ScheduleExpression).toBe('cron(0 */6 ? * * *)');
  });
});

describe('monitoring executions', () => {
  const T0 = new Date('2026-11-25T12:00:00Z');
  const tick = new Date(T0.getTime() + 5 * 60_000 + 30_000);

  beforeEach(async () => {
    await suggest();
    await call('CreateDataQualityJobDefinition', jobDefinition('dq'));
  });

  it('flag exactly the drifted and the missing feature, write the files, emit metrics and an alert', async () => {
    await call('CreateMonitoringSchedule', schedule('five', 'rate(5 minutes)'));
    // 600 rows: income shifted by one standard deviation, segment missing from a third of the rows.
    await writeCaptures(
      generateRows(7, 600, { shift: { income: 1 }, missingLastShare: 1 / 3 }),
      new Date(T0.getTime() + 10_000),
    );
    // One line that is no capture record: counted, not fatal.
    await objects.putText('s3://b/captures/ep/main/2026/11/25/12/02-00-000-bad.jsonl', 'not json\n', 'x');
    // A file of the next window is left for the next execution.
    await writeCaptures(generateRows(8, 20), new Date(T0.getTime() + 6 * 60_000));

    const result = await runDueSchedules(deps, tick);
    expect(result.executions).toEqual([
      { schedule: 'five', scheduledTime: '2026-11-25T12:05:00.000Z', status: 'CompletedWithViolations' },
    ]);
    const { MonitoringExecutionSummaries: [execution] = [] } = (await call('ListMonitoringExecutions', {
      MonitoringScheduleName: 'five',
    })) as { MonitoringExecutionSummaries: Record<string, unknown>[] };
    const folder = 's3://b/reports/ep/five/2026/11/25/12/05';
    expect(execution).toMatchObject({
      MonitoringScheduleName: 'five',
      ScheduledTime: Date.parse('2026-11-25T12:05:00Z') / 1000,
      MonitoringExecutionStatus: 'CompletedWithViolations',
      EndpointName: 'ep',
      MonitoringJobDefinitionName: 'dq',
      MonitoringType: 'DataQuality',
      ProcessingJobArn: expect.stringMatching(
        /^arn:aws:sagemaker:us-east-1:123456789012:processing-job\/model-monitoring-202611251205-[0-9a-f]{16}$/,
      ),
      ConstraintViolationsS3Uri: `${folder}/constraint_violations.json`,
      StatisticsS3Uri: `${folder}/statistics.json`,
      ReportS3Uri: `${folder}/report.html`,
      DataAnalysisStartTime: T0.getTime() / 1000,
      DataAnalysisEndTime: T0.getTime() / 1000 + 300,
      ExitMessage:
        'CompletedWithViolations: Job completed successfully with 2 violations. 1 unparseable records were skipped.',
    });

    const violations = parseViolations(
      await objects.getText(`${folder}/constraint_violations.json`),
    ).violations;
    expect(violations.map((v) => [v.feature_name, v.constraint_check_type]).sort()).toEqual([
      ['income', 'baseline_drift_check'],
      ['segment', 'completeness_check'],
    ]);
    const current = parseStatistics(await objects.getText(`${folder}/statistics.json`));
    expect(current.dataset.item_count).toBe(600);
    expect(await objects.getText(`${folder}/report.html`)).toMatch(/^<!DOCTYPE html>/i);

    const [batch] = metrics;
    expect(batch?.namespace).toBe(DATA_METRICS_NAMESPACE);
    expect(batch?.data.map((d) => d.MetricName)).toEqual(
      expect.arrayContaining([
        'feature_baseline_drift_income',
        'feature_non_null_segment',
        'feature_data_age',
      ]),
    );
    expect(batch?.data[0]?.Dimensions).toEqual([
      { Name: 'Endpoint', Value: 'ep' },
      { Name: 'MonitoringSchedule', Value: 'five' },
    ]);
    const nonNull = batch?.data.find((d) => d.MetricName === 'feature_non_null_segment')?.Value ?? 1;
    expect(nonNull).toBeGreaterThan(0.55);
    expect(nonNull).toBeLessThan(0.8);

    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      endpointName: 'ep',
      monitoringScheduleName: 'five',
      status: 'CompletedWithViolations',
      violationCount: 2,
      reports: { report: `${folder}/report.html` },
    });
    expect(alerts[0]?.features.map((f) => f.feature).sort()).toEqual(['income', 'segment']);
    expect(alerts[0]?.features.find((f) => f.feature === 'income')?.flaggedBy).toContain('l_infinity');

    // The processing job, the SageMaker way to the reports.
    const jobName = String(execution?.ProcessingJobArn).split('/')[1];
    const job = await call('DescribeProcessingJob', { ProcessingJobName: jobName });
    expect(job).toMatchObject({
      ProcessingJobName: jobName,
      ProcessingJobStatus: 'Completed',
      ExitMessage: expect.stringMatching(/^CompletedWithViolations: /),
      ProcessingOutputConfig: { Outputs: [{ OutputName: 'result', S3Output: { S3Uri: folder } }] },
      ProcessingInputs: expect.arrayContaining([
        expect.objectContaining({
          InputName: 'endpoint_input',
          S3Input: expect.objectContaining({ S3Uri: 's3://b/captures/ep' }),
        }),
      ]),
      Environment: expect.objectContaining({
        sagemaker_monitoring_schedule_name: 'five',
        start_time: '2026-11-25T12:00:00Z',
        end_time: '2026-11-25T12:05:00Z',
      }),
      MonitoringScheduleArn: 'arn:aws:sagemaker:us-east-1:123456789012:monitoring-schedule/five',
    });
    expect((await errorOf(call('DescribeProcessingJob', { ProcessingJobName: 'nope' }))).type).toBe(
      'ResourceNotFound',
    );
    const described = await call('DescribeMonitoringSchedule', { MonitoringScheduleName: 'five' });
    expect(described.LastMonitoringExecutionSummary).toMatchObject({
      MonitoringExecutionStatus: 'CompletedWithViolations',
    });

    // The same tick again runs nothing; the next window holds the later file.
    expect((await runDueSchedules(deps, tick)).executions).toEqual([]);
    const next = await runDueSchedules(deps, new Date(T0.getTime() + 10 * 60_000 + 1));
    expect(next.executions).toEqual([
      { schedule: 'five', scheduledTime: '2026-11-25T12:10:00.000Z', status: 'Completed' },
    ]);
    const later = (await call('ListMonitoringExecutions', { EndpointName: 'ep', SortOrder: 'Ascending' }))
      .MonitoringExecutionSummaries as Record<string, unknown>[];
    expect(later.map((e) => e.MonitoringExecutionStatus)).toEqual(['CompletedWithViolations', 'Completed']);
    expect(later[1]?.ExitMessage).toBe('Completed: Job completed successfully with no violations.');
  });

  it('fails an execution whose constraints file is not valid JSON, with the reason', async () => {
    await objects.putText('s3://b/baseline/broken.json', '{"features": [', 'application/json');
    await call(
      'CreateDataQualityJobDefinition',
      jobDefinition('dq-broken', { constraints: 's3://b/baseline/broken.json' }),
    );
    await call('CreateMonitoringSchedule', schedule('broken', 'rate(5 minutes)', 'dq-broken'));
    await writeCaptures(generateRows(3, 40), new Date(T0.getTime() + 10_000));
    const { executions } = await runDueSchedules(deps, tick);
    expect(executions).toHaveLength(1);
    expect(executions[0]?.status).toBe('Failed');
    expect(executions[0]?.failureReason).toMatch(
      /^The baseline constraints at s3:\/\/b\/baseline\/broken.json cannot be used: constraints.json is not valid JSON/,
    );
    const [summary] = (await call('ListMonitoringExecutions', { StatusEquals: 'Failed' }))
      .MonitoringExecutionSummaries as Record<string, unknown>[];
    expect(summary?.FailureReason).toBe(executions[0]?.failureReason);
    const job = await call('DescribeProcessingJob', {
      ProcessingJobName: String(summary?.ProcessingJobArn).split('/')[1],
    });
    expect(job).toMatchObject({ ProcessingJobStatus: 'Failed', FailureReason: executions[0]?.failureReason });
    expect(alerts).toEqual([]);
  });

  it("fails an empty window with SageMaker's 'Job inputs had no data' and the window", async () => {
    await call('CreateMonitoringSchedule', schedule('idle', 'rate(5 minutes)'));
    const { executions } = await runDueSchedules(deps, tick);
    expect(executions[0]).toMatchObject({
      status: 'Failed',
      failureReason: expect.stringMatching(
        /^Job inputs had no data: no capture records of endpoint ep between 2026-11-25T12:00:00.000Z to 2026-11-25T12:05:00.000Z/,
      ),
    });
    expect(metrics).toEqual([]);
  });

  it('counts unparseable records, never fatal; a window of nothing parseable fails with the reasons', async () => {
    await call('CreateMonitoringSchedule', schedule('junk', 'rate(5 minutes)'));
    await objects.putText(
      's3://b/captures/ep/main/2026/11/25/12/01-00-000-x.jsonl',
      `${captureLine('1,2,"unclosed\n', T0, 'a')}\n{"no": "capture"}\n`,
      'x',
    );
    const { executions } = await runDueSchedules(deps, tick);
    expect(executions[0]?.status).toBe('Failed');
    expect(executions[0]?.failureReason).toMatch(
      /could be parsed: 2 unparseable \(.*CSV.*not a capture record/,
    );
  });

  it('runs a NOW schedule once over its window; stopped schedules do not run', async () => {
    await writeCaptures(generateRows(4, 200), new Date(T0.getTime() - 30 * 60_000));
    clock = T0;
    await call(
      'CreateMonitoringSchedule',
      schedule('once', 'NOW', 'dq', { DataAnalysisStartTime: '-PT1H', DataAnalysisEndTime: '-PT0H' }),
    );
    await call('CreateMonitoringSchedule', schedule('stopped', 'rate(5 minutes)'));
    await call('StopMonitoringSchedule', { MonitoringScheduleName: 'stopped' });
    const first = await runDueSchedules(deps, new Date(T0.getTime() + 1000));
    expect(first.executions).toEqual([
      { schedule: 'once', scheduledTime: T0.toISOString(), status: 'Completed' },
    ]);
    expect((await runDueSchedules(deps, new Date(T0.getTime() + 3_600_000))).executions).toEqual([]);
  });

  it('starts a NOW schedule at once through the jobs queue; the tick then finds its fire taken', async () => {
    await writeCaptures(generateRows(4, 200), new Date(T0.getTime() - 30 * 60_000));
    clock = T0;
    sent.splice(0);
    const window = { DataAnalysisStartTime: '-PT1H', DataAnalysisEndTime: '-PT0H' };
    await call('CreateMonitoringSchedule', schedule('at-once', 'NOW', 'dq', window));
    await call('CreateMonitoringSchedule', schedule('hourly', 'cron(0 * ? * * *)'));
    expect(sent).toEqual([{ kind: 'MonitoringSchedule', MonitoringScheduleName: 'at-once' }]);

    clock = new Date(T0.getTime() + 2000);
    const now = await runScheduleNow(deps, 'at-once');
    expect(now.executions).toEqual([
      { schedule: 'at-once', scheduledTime: T0.toISOString(), status: 'Completed' },
    ]);
    // A copy of the message, and the tick, run nothing again.
    expect((await runScheduleNow(deps, 'at-once')).executions).toEqual([]);
    const tick = await runDueSchedules(deps, new Date(T0.getTime() + 5 * 60_000));
    expect(tick.executions.filter((e) => e.schedule === 'at-once')).toEqual([]);

    // The execution is a processing job that ListProcessingJobs shows beside CreateProcessingJob's.
    const { MonitoringExecutionSummaries } = (await call('ListMonitoringExecutions', {
      MonitoringScheduleName: 'at-once',
    })) as { MonitoringExecutionSummaries: { ProcessingJobArn: string }[] };
    const jobName = MonitoringExecutionSummaries[0]?.ProcessingJobArn.split('/')[1];
    const listed = (await call('ListProcessingJobs', { StatusEquals: 'Completed' })) as {
      ProcessingJobSummaries: { ProcessingJobName: string; ExitMessage?: string }[];
    };
    expect(listed.ProcessingJobSummaries).toEqual([
      expect.objectContaining({
        ProcessingJobName: jobName,
        ExitMessage: expect.stringMatching(/^Completed/),
      }),
    ]);

    // Started again after a stop, it runs again at once.
    await call('StopMonitoringSchedule', { MonitoringScheduleName: 'at-once' });
    clock = new Date(T0.getTime() + 10 * 60_000);
    sent.splice(0);
    await call('StartMonitoringSchedule', { MonitoringScheduleName: 'at-once' });
    expect(sent).toEqual([{ kind: 'MonitoringSchedule', MonitoringScheduleName: 'at-once' }]);
    expect((await runScheduleNow(deps, 'at-once')).executions).toHaveLength(1);
  });

  it('creates a NOW schedule even when the jobs queue fails; the tick runs it', async () => {
    clock = T0;
    const warnings: string[] = [];
    ctx = {
      ...ctx,
      jobs: { send: async () => Promise.reject(new Error('SQS is down')) },
      log: { info: () => undefined, error: () => undefined, warn: (m) => void warnings.push(m) },
    };
    const window = { DataAnalysisStartTime: '-PT1H', DataAnalysisEndTime: '-PT0H' };
    await call('CreateMonitoringSchedule', schedule('later', 'NOW', 'dq', window));
    expect(warnings).toEqual([expect.stringMatching(/left to the monitor tick/)]);
    const tick = await runDueSchedules(deps, new Date(T0.getTime() + 1000));
    expect(tick.executions.map((e) => e.schedule)).toEqual(['later']);
  });

  it('writes calibrated drift as violations when the job asks for it', async () => {
    await call(
      'CreateDataQualityJobDefinition',
      jobDefinition('dq-cal', { environment: { drift_violation_rule: 'calibrated' } }),
    );
    await call('CreateMonitoringSchedule', schedule('cal', 'rate(5 minutes)', 'dq-cal'));
    await writeCaptures(generateRows(9, 1000, { shift: { score: 0.5 } }), new Date(T0.getTime() + 10_000));
    await runDueSchedules(deps, tick);
    const violations = parseViolations(
      await objects.getText('s3://b/reports/ep/cal/2026/11/25/12/05/constraint_violations.json'),
    ).violations;
    expect(violations.map((v) => [v.feature_name, v.constraint_check_type])).toEqual([
      ['score', 'baseline_drift_check'],
    ]);
    expect(violations[0]?.description).toMatch(/^Calibrated drift \(ks\+effect\)/);
  });

  it('fails an execution a dead monitor left InProgress, once it is 15 minutes old', async () => {
    await call('CreateMonitoringSchedule', schedule('crashed', 'rate(5 minutes)'));
    await writeCaptures(generateRows(3, 40), new Date(T0.getTime() + 10_000));
    // A monitor that dies between recording the execution and finishing it.
    const dying: MonitorDeps = {
      ...deps,
      objects: {
        ...objects,
        getText: () => Promise.reject(new Error('killed')),
      } as unknown as InMemoryObjectStore,
      store: Object.assign(Object.create(store), {
        replace: async (collection: string, id: string, data: { MonitoringExecutionStatus?: string }) => {
          if (data.MonitoringExecutionStatus === 'Failed') throw new Error('the Lambda timed out');
          return store.replace(collection, id, data);
        },
      }),
    };
    await runDueSchedules(dying, tick).catch(() => undefined);
    const status = async () =>
      (
        (await call('ListMonitoringExecutions', { MonitoringScheduleName: 'crashed' }))
          .MonitoringExecutionSummaries as {
          MonitoringExecutionStatus: string;
          FailureReason?: string;
        }[]
      )[0];
    expect((await status())?.MonitoringExecutionStatus).toBe('InProgress');
    clock = new Date(T0.getTime() + 10 * 60_000);
    await runDueSchedules(deps, new Date(T0.getTime() + 9 * 60_000));
    expect((await status())?.MonitoringExecutionStatus).toBe('InProgress');
    clock = new Date(T0.getTime() + 30 * 60_000);
    await runDueSchedules(deps, new Date(T0.getTime() + 9 * 60_000));
    expect(await status()).toMatchObject({
      MonitoringExecutionStatus: 'Failed',
      FailureReason: expect.stringMatching(/stopped while in progress/),
    });
  });

  it('records a fire on a schedule stopped while the tick ran, and runs it once', async () => {
    await call('CreateMonitoringSchedule', schedule('five', 'rate(5 minutes)'));
    await writeCaptures(generateRows(3, 40), new Date(T0.getTime() + 10_000));
    // StopMonitoringSchedule lands between the tick's read of the schedule and its write.
    const racing = racingStore(() => call('StopMonitoringSchedule', { MonitoringScheduleName: 'five' }));
    const { executions } = await runDueSchedules({ ...deps, store: racing.store }, tick);
    expect(executions.map((e) => [e.schedule, e.scheduledTime])).toEqual([
      ['five', new Date(T0.getTime() + 5 * 60_000).toISOString()],
    ]);
    expect(racing.writes()).toBe(2);
    const stored = await storedSchedule('five');
    expect(stored.MonitoringScheduleStatus).toBe('Stopped');
    expect(stored.internal.lastScheduledTime).toBe((T0.getTime() + 5 * 60_000) / 1000);
    await call('StartMonitoringSchedule', { MonitoringScheduleName: 'five' });
    expect((await runDueSchedules(deps, tick)).executions).toEqual([]);
  });

  it('marks a schedule Failed when its job definition is gone', async () => {
    await call('CreateMonitoringSchedule', schedule('orphan', 'rate(5 minutes)'));
    // Deleting a definition in use is refused; a registry edited behind Understudy's back is not.
    await store.delete('DataQualityJobDefinition', 'dq');
    const result = await runDueSchedules(deps, tick);
    expect(result.failedSchedules).toEqual(['orphan']);
    expect(await call('DescribeMonitoringSchedule', { MonitoringScheduleName: 'orphan' })).toMatchObject({
      MonitoringScheduleStatus: 'Failed',
      FailureReason: expect.stringMatching(/job definition dq does not exist/),
    });
  });
});

describe('monitoring reports under a customer KMS key', () => {
  const KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

  it('writes every report file SSE-KMS with MonitoringOutputConfig.KmsKeyId', async () => {
    ctx = { ...ctx, allowedKmsKeys: [KEY] };
    await suggest();
    const definition = jobDefinition('dqk');
    await call('CreateDataQualityJobDefinition', {
      ...definition,
      DataQualityJobOutputConfig: { ...definition.DataQualityJobOutputConfig, KmsKeyId: KEY },
    });
    await call('CreateMonitoringSchedule', schedule('keyed', 'rate(5 minutes)', 'dqk'));
    const T0 = new Date('2026-11-25T12:00:00Z');
    await writeCaptures(generateRows(7, 50), new Date(T0.getTime() + 10_000));
    await runDueSchedules(deps, new Date(T0.getTime() + 5 * 60_000 + 30_000));
    const reports = [...objects.objects.entries()].filter(([uri]) =>
      uri.startsWith('s3://b/reports/ep/keyed/'),
    );
    expect(reports.map(([uri]) => uri.split('/').pop()).sort()).toEqual([
      'constraint_violations.json',
      'report.html',
      'statistics.json',
    ]);
    for (const [uri, object] of reports) expect(object.kmsKeyId, uri).toBe(KEY);
  });
});
