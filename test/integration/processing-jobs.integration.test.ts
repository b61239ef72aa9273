/**
 * Processing jobs and NOW schedules on the local platform, driven with @aws-sdk/client-sagemaker
 * exactly as the SageMaker Python SDK's suggest_baseline sends them (the request captured from
 * the SDK by scripts/fixtures/sagemaker-sdk-requests.py); statistics are checked against
 * numpy's (scripts/fixtures/monitoring-reference.py).
 */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  CreateDataQualityJobDefinitionCommand,
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateMonitoringScheduleCommand,
  CreateProcessingJobCommand,
  type CreateProcessingJobCommandInput,
  DescribeProcessingJobCommand,
  type DescribeProcessingJobCommandOutput,
  ListMonitoringExecutionsCommand,
  ListProcessingJobsCommand,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { describe, expect, it } from 'vitest';
import { generateDataset, generateRows } from '../support/monitoring-data.js';
import { referenceDataset, suggestBaselineRequest } from '../support/processing-requests.js';
import {
  bucket,
  endpointInService,
  errorOf,
  mirrorQueueDrained,
  runtime,
  s3,
  sagemaker,
  unique,
  uploadFixture,
} from './platform.js';

const sdkRequest = (name: string) =>
  suggestBaselineRequest<CreateProcessingJobCommandInput>('csv', name, bucket);

async function put(key: string, body: string): Promise<string> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  return `s3://${bucket}/${key}`;
}

async function read(uri: string): Promise<string> {
  const [, b, key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri) ?? [];
  const object = await s3.send(new GetObjectCommand({ Bucket: b, Key: key }));
  return (await object.Body?.transformToString()) ?? '';
}

/** Polls DescribeProcessingJob every 500 ms (the SDK's waiter polls every 60 s) until it ends. */
async function processingJobEnded(
  name: string,
  timeoutMs: number,
): Promise<DescribeProcessingJobCommandOutput> {
  const started = Date.now();
  for (;;) {
    const job = await sagemaker.send(new DescribeProcessingJobCommand({ ProcessingJobName: name }));
    if (job.ProcessingJobStatus !== 'InProgress' && job.ProcessingJobStatus !== 'Stopping') return job;
    if (Date.now() - started > timeoutMs) throw new Error(`${name} still ${job.ProcessingJobStatus}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe('processing jobs and NOW schedules with the AWS SDK on the local platform', () => {
  it("runs suggest_baseline's CreateProcessingJob asynchronously to Completed, with numpy's statistics", async () => {
    const name = unique('baseline');
    const { csv, columns: cases } = referenceDataset();
    await put(`datasets/${name}/train.csv`, csv);

    const sentAt = Date.now();
    const created = await sagemaker.send(new CreateProcessingJobCommand(sdkRequest(name)));
    const answeredMs = Date.now() - sentAt;
    expect(created.ProcessingJobArn).toMatch(new RegExp(`:processing-job/${name}$`));
    const job = await processingJobEnded(name, 60_000);
    const completedMs = Date.now() - sentAt;
    console.log(`CreateProcessingJob answered in ${answeredMs} ms; Completed after ${completedMs} ms`);
    expect(job).toMatchObject({
      ProcessingJobStatus: 'Completed',
      AppSpecification: { ImageUri: expect.stringMatching(/sagemaker-model-monitor-analyzer$/) },
    });
    expect(job.ExitMessage).toMatch(/^Completed: .*2000 rows, 2 features/);
    expect(job.ProcessingStartTime).toBeInstanceOf(Date);
    expect(job.ProcessingEndTime).toBeInstanceOf(Date);

    // Where the SDK reads them: statistics.json and constraints.json under the output's S3Uri.
    const output = job.ProcessingOutputConfig?.Outputs?.[0]?.S3Output?.S3Uri;
    expect(output).toBe(`s3://${bucket}/baselines/${name}`);
    const statistics = JSON.parse(await read(`${output}/statistics.json`));
    expect(statistics.dataset.item_count).toBe(2000);
    for (const c of cases) {
      const stats = statistics.features.find((f: { name: string }) => f.name === c.name).numerical_statistics;
      expect(stats.common.num_present).toBe(c.summary.count);
      for (const key of ['mean', 'sum', 'std_dev', 'min', 'max'] as const) {
        expect(Math.abs(stats[key] - c.summary[key]), `${c.name} ${key}`).toBeLessThanOrEqual(
          1e-9 * Math.max(1, Math.abs(c.summary[key])),
        );
      }
    }
    const constraints = JSON.parse(await read(`${output}/constraints.json`));
    expect(constraints.features.map((f: { name: string }) => f.name)).toEqual(cases.map((c) => c.name));

    // Bad input: typed 4xx, nothing created.
    await put(`datasets/${name}-bad/train.csv`, 'a\n1\n');
    const bad = (
      suffix: string,
      change: (r: CreateProcessingJobCommandInput) => CreateProcessingJobCommandInput,
    ) => {
      const request = sdkRequest(`${name}-bad`);
      return {
        name: `${name}-${suffix}`,
        request: { ...change(request), ProcessingJobName: `${name}-${suffix}` },
      };
    };
    const withOutput = (r: CreateProcessingJobCommandInput, S3Uri: string) => ({
      ...r,
      ProcessingOutputConfig: {
        Outputs: (r.ProcessingOutputConfig?.Outputs ?? []).map((o) => ({
          ...o,
          S3Output: { ...(o.S3Output as { S3Uri: string; S3UploadMode: 'EndOfJob' }), S3Uri },
        })),
      },
    });
    const badCases = [
      [
        bad('image', (r) => ({ ...r, AppSpecification: { ImageUri: 'python:3.11' } })),
        /is not an image Understudy runs/,
      ],
      [bad('noinput', (r) => ({ ...r, ProcessingInputs: [] })), /dataset input is missing/],
      [bad('https', (r) => withOutput(r, 'https://example.com/out')), /is not an s3:\/\/bucket\/key URI/],
      [
        bad('nobucket', (r) => withOutput(r, `s3://${name}-missing/out`)),
        /names bucket .*-missing, which this platform does not use/,
      ],
      [
        bad('mq', (r) => ({ ...r, Environment: { ...r.Environment, analysis_type: 'MODEL_QUALITY' } })),
        /problem_type is required for the model-quality analyzer/,
      ],
    ] as const;
    for (const [{ name: jobName, request }, message] of badCases) {
      const error = await errorOf(sagemaker.send(new CreateProcessingJobCommand(request)));
      expect(error, jobName).toMatchObject({ name: 'ValidationException', status: 400 });
      expect(error.message, jobName).toMatch(message);
      const missing = await errorOf(
        sagemaker.send(new DescribeProcessingJobCommand({ ProcessingJobName: jobName })),
      );
      expect(missing, jobName).toMatchObject({ name: 'ResourceNotFound', status: 400 });
    }
    const duplicate = await errorOf(sagemaker.send(new CreateProcessingJobCommand(sdkRequest(name))));
    expect(duplicate).toMatchObject({ name: 'ResourceInUse', status: 400 });
    const listed = await sagemaker.send(
      new ListProcessingJobsCommand({ NameContains: name, MaxResults: 100 }),
    );
    expect(listed.ProcessingJobSummaries?.map((s) => s.ProcessingJobName)).toEqual([name]);
  });

  it('runs a NOW schedule within seconds of its creation, not at the next tick', async () => {
    const name = unique('now');
    const url = await uploadFixture('row-sum.onnx', `models/${name}/row-sum.onnx`);
    await sagemaker.send(
      new CreateModelCommand({ ModelName: name, PrimaryContainer: { Image: 'onnx', ModelDataUrl: url } }),
    );
    await sagemaker.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: name,
        ProductionVariants: [{ VariantName: 'main', ModelName: name }],
        DataCaptureConfig: {
          EnableCapture: true,
          InitialSamplingPercentage: 100,
          DestinationS3Uri: `s3://${bucket}/captures/${name}`,
          CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
        },
      }),
    );
    await sagemaker.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: name }));
    await endpointInService(name, 60);

    // The baseline, made by a processing job as suggest_baseline makes it.
    await put(`datasets/${name}/train.csv`, generateDataset(21, 500));
    await sagemaker.send(new CreateProcessingJobCommand(sdkRequest(name)));
    expect((await processingJobEnded(name, 60_000)).ProcessingJobStatus).toBe('Completed');

    for (const row of generateRows(22, 40)) {
      await runtime.send(
        new InvokeEndpointCommand({
          EndpointName: name,
          ContentType: 'text/csv',
          Body: new TextEncoder().encode(row),
        }),
      );
    }
    await mirrorQueueDrained(60_000);

    await sagemaker.send(
      new CreateDataQualityJobDefinitionCommand({
        JobDefinitionName: name,
        DataQualityBaselineConfig: {
          StatisticsResource: { S3Uri: `s3://${bucket}/baselines/${name}/statistics.json` },
          ConstraintsResource: { S3Uri: `s3://${bucket}/baselines/${name}/constraints.json` },
        },
        DataQualityAppSpecification: {
          ImageUri: '156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer',
        },
        DataQualityJobInput: { EndpointInput: { EndpointName: name, LocalPath: '/opt/ml/processing/input' } },
        DataQualityJobOutputConfig: {
          MonitoringOutputs: [
            {
              S3Output: {
                S3Uri: `s3://${bucket}/monitoring/${name}`,
                LocalPath: '/opt/ml/processing/output',
              },
            },
          ],
        },
        JobResources: {
          ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 20 },
        },
        RoleArn: 'arn:aws:iam::123456789012:role/understudy-monitor',
      }),
    );
    const createdAt = Date.now();
    await sagemaker.send(
      new CreateMonitoringScheduleCommand({
        MonitoringScheduleName: name,
        MonitoringScheduleConfig: {
          ScheduleConfig: {
            ScheduleExpression: 'NOW',
            DataAnalysisStartTime: '-PT1H',
            DataAnalysisEndTime: '-PT0H',
          },
          MonitoringJobDefinitionName: name,
          MonitoringType: 'DataQuality',
        },
      }),
    );
    let status: string | undefined;
    while (Date.now() - createdAt < 60_000) {
      const { MonitoringExecutionSummaries = [] } = await sagemaker.send(
        new ListMonitoringExecutionsCommand({ MonitoringScheduleName: name }),
      );
      status = MonitoringExecutionSummaries[0]?.MonitoringExecutionStatus;
      if (status && status !== 'Pending' && status !== 'InProgress') break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const seconds = (Date.now() - createdAt) / 1000;
    console.log(`NOW schedule: execution ${status} ${seconds.toFixed(1)} s after CreateMonitoringSchedule`);
    expect(status).toMatch(/^Completed/);
    // The monitor's tick is 5 minutes; "within seconds" leaves room for a loaded machine.
    expect(seconds).toBeLessThan(30);
  });
});
