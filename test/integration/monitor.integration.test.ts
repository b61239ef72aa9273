import { execFileSync } from 'node:child_process';
import { CloudWatchClient, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  CreateDataQualityJobDefinitionCommand,
  type CreateDataQualityJobDefinitionCommandInput,
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateMonitoringScheduleCommand,
  DeleteMonitoringScheduleCommand,
  DescribeMonitoringScheduleCommand,
  DescribeProcessingJobCommand,
  ListMonitoringExecutionsCommand,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { FEATURES, generateDataset, generateRows } from '../support/monitoring-data.js';
import {
  bucket,
  endpointInService,
  env,
  errorOf,
  fireMonitor,
  mirrorQueueDrained,
  runtime,
  s3,
  sagemaker,
  understudy,
  unique,
  uploadFixture,
} from './platform.js';

const emulator = {
  endpoint: env.AWS_ENDPOINT_URL,
  region: env.AWS_REGION,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
};
const sqs = new SQSClient(emulator);
const events = new EventBridgeClient(emulator);
const sns = new SNSClient(emulator);
const cloudwatch = new CloudWatchClient(emulator);
const ROLE = 'arn:aws:iam::123456789012:role/understudy-monitor';

async function deploy(name: string, capture: boolean) {
  const url = await uploadFixture('row-sum.onnx', `models/${name}/row-sum.onnx`);
  await sagemaker.send(
    new CreateModelCommand({ ModelName: name, PrimaryContainer: { Image: 'onnx', ModelDataUrl: url } }),
  );
  await sagemaker.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: name,
      ProductionVariants: [{ VariantName: 'main', ModelName: name }],
      ...(capture
        ? {
            DataCaptureConfig: {
              EnableCapture: true,
              InitialSamplingPercentage: 100,
              DestinationS3Uri: `s3://${bucket}/captures/${name}`,
              CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
            },
          }
        : {}),
    }),
  );
  await sagemaker.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: name }));
  await endpointInService(name, 60);
}

function jobDefinition(
  name: string,
  endpoint: string,
  baseline: { StatisticsS3Uri: string; ConstraintsS3Uri: string },
): CreateDataQualityJobDefinitionCommandInput {
  return {
    JobDefinitionName: name,
    DataQualityBaselineConfig: {
      StatisticsResource: { S3Uri: baseline.StatisticsS3Uri },
      ConstraintsResource: { S3Uri: baseline.ConstraintsS3Uri },
    },
    DataQualityAppSpecification: { ImageUri: 'sagemaker-model-monitor-analyzer' },
    DataQualityJobInput: { EndpointInput: { EndpointName: endpoint, LocalPath: '/opt/ml/processing/input' } },
    DataQualityJobOutputConfig: {
      MonitoringOutputs: [
        {
          S3Output: {
            S3Uri: `s3://${bucket}/monitoring/${endpoint}`,
            LocalPath: '/opt/ml/processing/output',
          },
        },
      ],
    },
    JobResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 20 } },
    RoleArn: ROLE,
  };
}

function schedule(name: string, jobDefinitionName: string, expression: string) {
  return new CreateMonitoringScheduleCommand({
    MonitoringScheduleName: name,
    MonitoringScheduleConfig: {
      ScheduleConfig: { ScheduleExpression: expression },
      MonitoringJobDefinitionName: jobDefinitionName,
      MonitoringType: 'DataQuality',
    },
  });
}

async function put(key: string, body: string) {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  return `s3://${bucket}/${key}`;
}

async function read(uri: string): Promise<string> {
  const [, b, key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri) ?? [];
  const object = await s3.send(new GetObjectCommand({ Bucket: b, Key: key }));
  return (await object.Body?.transformToString()) ?? '';
}

/** A queue that receives what an EventBridge rule or an SNS subscription sends it. */
async function queue(name: string) {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  return { url: QueueUrl as string, arn: Attributes?.QueueArn as string };
}

async function receive(url: string, count: number, timeoutMs = 10_000): Promise<string[]> {
  const bodies: string[] = [];
  const started = Date.now();
  while (bodies.length < count && Date.now() - started < timeoutMs) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    bodies.push(...Messages.map((m) => m.Body ?? ''));
  }
  return bodies;
}

describe('Model Monitor with the AWS SDK on the local platform', () => {
  it('baselines a dataset, runs a 5-minute schedule over captured traffic, flags exactly the drifted and the missing feature, alerts, reports', async () => {
    const started = Date.now();
    const name = unique('monitor');
    await deploy(name, true);
    await deploy(`${name}-plain`, false);

    // Baseline: 2,000 rows, five numeric features and a category code, from a seeded generator.
    const dataset = await put(`datasets/${name}/train.csv`, generateDataset(11, 2000));
    const baseline = (await understudy('SuggestBaseline', {
      DatasetS3Uri: dataset,
      DatasetFormat: { Csv: { Header: true } },
      OutputS3Uri: `s3://${bucket}/baselines/${name}`,
    })) as { StatisticsS3Uri: string; ConstraintsS3Uri: string; Rows: number };
    expect(baseline).toMatchObject({
      StatisticsS3Uri: `s3://${bucket}/baselines/${name}/statistics.json`,
      ConstraintsS3Uri: `s3://${bucket}/baselines/${name}/constraints.json`,
      Rows: 2000,
    });
    const statistics = JSON.parse(await read(baseline.StatisticsS3Uri));
    expect(statistics.features.map((f: { name: string }) => f.name)).toEqual([...FEATURES]);

    // Bad baselines: a dataset without a header, an empty dataset.
    const headless = await put(`datasets/${name}/headless.csv`, generateRows(12, 20).join('\n'));
    const empty = await put(`datasets/${name}/empty.csv`, '');
    for (const [uri, message] of [
      [headless, /is data, not a header/],
      [empty, /is empty/],
    ] as const) {
      const error = await errorOf(
        understudy('SuggestBaseline', {
          DatasetS3Uri: uri,
          DatasetFormat: { Csv: { Header: true } },
          OutputS3Uri: `s3://${bucket}/baselines/${name}-bad`,
        }),
      );
      expect(error).toMatchObject({ name: 'ValidationException', status: 400 });
      expect(error.message).toMatch(message);
    }

    // The CLI suggests the same baseline.
    const cli = execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'cli/understudy.ts',
        'baseline',
        'suggest',
        '--dataset',
        dataset,
        '--output',
        `s3://${bucket}/baselines/${name}-cli`,
      ],
      {
        encoding: 'utf8',
        env: { ...process.env, ...env, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' },
      },
    );
    expect(cli).toContain('2000 rows, 6 features');
    expect(JSON.parse(await read(`s3://${bucket}/baselines/${name}-cli/constraints.json`))).toEqual(
      JSON.parse(await read(baseline.ConstraintsS3Uri)),
    );

    // Alerts: an EventBridge rule and an SNS subscription, both into SQS queues.
    const eventQueue = await queue(`${name}-events`);
    await events.send(
      new PutRuleCommand({
        Name: `${name}-violations`,
        EventPattern: JSON.stringify({
          source: ['understudy.monitoring'],
          'detail-type': ['Model Monitor Violations'],
        }),
      }),
    );
    await events.send(
      new PutTargetsCommand({ Rule: `${name}-violations`, Targets: [{ Id: 'queue', Arn: eventQueue.arn }] }),
    );
    const topicQueue = await queue(`${name}-sns`);
    expect(env.UNDERSTUDY_ALERTS_TOPIC_ARN).toMatch(/^arn:aws:sns:/);
    await sns.send(
      new SubscribeCommand({
        TopicArn: env.UNDERSTUDY_ALERTS_TOPIC_ARN,
        Protocol: 'sqs',
        Endpoint: topicQueue.arn,
        Attributes: { RawMessageDelivery: 'true' },
      }),
    );

    // A job definition and a 5-minute schedule; one more whose constraints file is not JSON.
    await sagemaker.send(
      new CreateDataQualityJobDefinitionCommand(jobDefinition(`${name}-dq`, name, baseline)),
    );
    const broken = await put(`baselines/${name}/broken-constraints.json`, '{"features": [{"name": ');
    await sagemaker.send(
      new CreateDataQualityJobDefinitionCommand(
        jobDefinition(`${name}-broken`, name, { ...baseline, ConstraintsS3Uri: broken }),
      ),
    );
    await sagemaker.send(schedule(name, `${name}-dq`, 'rate(5 minutes)'));
    await sagemaker.send(schedule(`${name}-broken`, `${name}-broken`, 'rate(5 minutes)'));

    // Bad schedules: a cron SageMaker would reject, an endpoint without capture.
    const badCron = await errorOf(
      sagemaker.send(schedule(`${name}-cron`, `${name}-dq`, 'cron(0/5 * * * ? *)')),
    );
    expect(badCron).toMatchObject({ name: 'ValidationException', status: 400 });
    expect(badCron.message).toContain("'cron(0/5 * * * ? *)'");
    await sagemaker.send(
      new CreateDataQualityJobDefinitionCommand(jobDefinition(`${name}-plain`, `${name}-plain`, baseline)),
    );
    const uncaptured = await errorOf(
      sagemaker.send(schedule(`${name}-plain`, `${name}-plain`, 'rate(5 minutes)')),
    );
    expect(uncaptured).toMatchObject({ name: 'ValidationException', status: 400 });
    expect(uncaptured.message).toMatch(/does not capture data/);

    // Traffic: 600 rows in requests of 10; income shifted by one standard deviation, and a
    // third of the rows lack the last column (segment).
    const full = generateRows(13, 400, { shift: { income: 1 } });
    const short = generateRows(14, 200, { shift: { income: 1 }, missingLastShare: 1 });
    const bodies: string[] = [];
    for (let i = 0; i < full.length; i += 10) bodies.push(`${full.slice(i, i + 10).join('\n')}\n`);
    for (let i = 0; i < short.length; i += 10) bodies.push(`${short.slice(i, i + 10).join('\n')}\n`);
    await Promise.all(
      Array.from({ length: 8 }, async (_, worker) => {
        for (let i = worker; i < bodies.length; i += 8) {
          await runtime.send(
            new InvokeEndpointCommand({
              EndpointName: name,
              ContentType: 'text/csv',
              Body: new TextEncoder().encode(bodies[i]),
            }),
          );
        }
      }),
    );
    await mirrorQueueDrained(180_000);

    // The monitor's tick, as EventBridge fires it once the schedules' first 5 minutes are over.
    const created = [name, `${name}-broken`].map(
      async (s) =>
        (await sagemaker.send(new DescribeMonitoringScheduleCommand({ MonitoringScheduleName: s })))
          .CreationTime,
    );
    const latest = Math.max(...(await Promise.all(created)).map((d) => d?.getTime() ?? 0));
    const tick = await fireMonitor(new Date(latest + 5 * 60_000 + 2_000));
    expect(tick.executions.map((e) => [e.schedule, e.status]).sort()).toEqual([
      [name, 'CompletedWithViolations'],
      [`${name}-broken`, 'Failed'],
    ]);

    const [execution] =
      (await sagemaker.send(new ListMonitoringExecutionsCommand({ MonitoringScheduleName: name })))
        .MonitoringExecutionSummaries ?? [];
    expect(execution).toMatchObject({
      MonitoringExecutionStatus: 'CompletedWithViolations',
      EndpointName: name,
    });
    const jobName = execution?.ProcessingJobArn?.split('/')[1];
    const job = await sagemaker.send(new DescribeProcessingJobCommand({ ProcessingJobName: jobName }));
    expect(job.ProcessingJobStatus).toBe('Completed');
    expect(job.ExitMessage).toMatch(/^CompletedWithViolations: Job completed successfully with 2 violations/);
    const folder = job.ProcessingOutputConfig?.Outputs?.[0]?.S3Output?.S3Uri ?? '';
    expect(folder).toMatch(
      new RegExp(`^s3://${bucket}/monitoring/${name}/${name}/${name}/\\d{4}/\\d{2}/\\d{2}/\\d{2}/\\d{2}$`),
    );

    const { violations } = JSON.parse(await read(`${folder}/constraint_violations.json`)) as {
      violations: { feature_name: string; constraint_check_type: string }[];
    };
    expect(violations.map((v) => [v.feature_name, v.constraint_check_type]).sort()).toEqual([
      ['income', 'baseline_drift_check'],
      ['segment', 'completeness_check'],
    ]);
    const current = JSON.parse(await read(`${folder}/statistics.json`));
    expect(current.dataset.item_count).toBe(600);
    const report = await read(`${folder}/report.html`);
    expect(report).toMatch(/^<!DOCTYPE html>/i);
    expect(report).toContain('income');

    const failed = (
      await sagemaker.send(new ListMonitoringExecutionsCommand({ MonitoringScheduleName: `${name}-broken` }))
    ).MonitoringExecutionSummaries?.[0];
    expect(failed?.MonitoringExecutionStatus).toBe('Failed');
    expect(failed?.FailureReason).toMatch(/constraints.json is not valid JSON/);

    // The event, through EventBridge's rule, and the SNS message.
    const [event] = (await receive(eventQueue.url, 1)).map((b) => JSON.parse(b));
    expect(event).toMatchObject({
      source: 'understudy.monitoring',
      'detail-type': 'Model Monitor Violations',
      detail: {
        endpointName: name,
        monitoringScheduleName: name,
        violationCount: 2,
        reports: {
          report: `${folder}/report.html`,
          constraintViolations: `${folder}/constraint_violations.json`,
        },
      },
    });
    expect(event.detail.features.map((f: { feature: string }) => f.feature).sort()).toEqual([
      'income',
      'segment',
    ]);
    const [message] = await receive(topicQueue.url, 1);
    expect(message).toContain(`found 2 violation(s) on endpoint ${name}`);

    // Model Monitor's metrics, under its namespace and dimensions.
    const { Metrics = [] } = await cloudwatch.send(
      new ListMetricsCommand({
        Namespace: 'aws/sagemaker/Endpoints/data-metrics',
        Dimensions: [
          { Name: 'Endpoint', Value: name },
          { Name: 'MonitoringSchedule', Value: name },
        ],
      }),
    );
    expect(Metrics.map((m) => m.MetricName)).toEqual(
      expect.arrayContaining([
        'feature_baseline_drift_income',
        'feature_non_null_segment',
        'feature_data_age',
      ]),
    );

    for (const s of [name, `${name}-broken`]) {
      await sagemaker.send(new DeleteMonitoringScheduleCommand({ MonitoringScheduleName: s }));
    }
    console.log(`monitor end to end in ${Date.now() - started} ms`);
  }, 300_000);
});
