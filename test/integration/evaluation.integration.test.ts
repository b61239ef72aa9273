import { readFileSync } from 'node:fs';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  CreateModelQualityJobDefinitionCommand,
  CreateMonitoringScheduleCommand,
  DescribeModelPackageCommand,
  DescribeModelQualityJobDefinitionCommand,
  DescribeMonitoringScheduleCommand,
  UpdateModelPackageCommand,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { describe, expect, it } from 'vitest';
import {
  bucket,
  endpointInService,
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

/** scikit-learn's metrics on the dataset (scripts/fixtures/offline-evaluation-reference.py). */
const reference = JSON.parse(
  readFileSync(new URL('../fixtures/evaluation/offline-evaluation.json', import.meta.url), 'utf8'),
) as { binary: { model: string; dataset: string; rows: number; metrics: Record<string, number> } };

describe('offline evaluation at registration, with the AWS SDK', () => {
  const group = unique('evaluated');
  let packageArn = '';

  const register = (modelDataUrl: string, dataset: string, problemType: string) =>
    sagemaker.send(
      new CreateModelPackageCommand({
        ModelPackageGroupName: group,
        InferenceSpecification: {
          Containers: [{ Image: 'onnx', ModelDataUrl: modelDataUrl }],
          SupportedContentTypes: ['text/csv'],
          SupportedResponseMIMETypes: ['application/json'],
        },
        ValidationSpecification: {
          ValidationRole: 'arn:aws:iam::123456789012:role/understudy',
          ValidationProfiles: [
            {
              ProfileName: 'holdout',
              TransformJobDefinition: {
                Environment: { problem_type: problemType },
                TransformInput: {
                  DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: dataset } },
                  ContentType: 'text/csv',
                },
                TransformOutput: { S3OutputPath: `s3://${bucket}/evaluations` },
                TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
              },
            },
          ],
        },
      }),
    );

  it('records the metrics in ModelMetrics and DescribeModelEvaluation shows them; a mismatched problem type registers nothing', async () => {
    const modelDataUrl = await uploadFixture(reference.binary.model, `models/${group}/model.onnx`);
    const key = `datasets/${group}/holdout.csv`;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: reference.binary.dataset }));
    await sagemaker.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: group }));

    const refused = await errorOf(register(modelDataUrl, `s3://${bucket}/${key}`, 'Regression'));
    expect(refused.name).toBe('ValidationException');
    expect(refused.message).toMatch(/ProblemType Regression does not match the model's output/);

    const { ModelPackageArn = '' } = await register(
      modelDataUrl,
      `s3://${bucket}/${key}`,
      'BinaryClassification',
    );
    packageArn = ModelPackageArn;
    // The refused registration took no version.
    expect(ModelPackageArn).toMatch(/\/1$/);
    const described = await sagemaker.send(
      new DescribeModelPackageCommand({ ModelPackageName: ModelPackageArn }),
    );
    expect(described.ModelPackageStatusDetails?.ValidationStatuses).toEqual([
      { Name: 'onnx-load', Status: 'Completed' },
      { Name: 'holdout', Status: 'Completed' },
    ]);
    const uri = described.ModelMetrics?.ModelQuality?.Statistics?.S3Uri ?? '';
    const object = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: uri.slice(`s3://${bucket}/`.length) }),
    );
    const statistics = JSON.parse(await (object.Body?.transformToString() ?? Promise.resolve('{}')));
    expect(statistics.dataset.item_count).toBe(reference.binary.rows);
    expect(statistics.binary_classification_metrics.accuracy.value).toBeCloseTo(
      reference.binary.metrics.accuracy as number,
      12,
    );

    const evaluation = (await understudy('DescribeModelEvaluation', { ModelPackageArn })) as {
      ModelPackages: { Offline: { LabelledEvents: number; Metrics: Record<string, { Value: number }> } }[];
    };
    const offline = evaluation.ModelPackages[0]?.Offline;
    expect(offline?.LabelledEvents).toBe(reference.binary.rows);
    expect(offline?.Metrics.f1?.Value).toBeCloseTo(reference.binary.metrics.f1 as number, 12);
  });

  it('serves it, and its model-quality execution shows beside the offline metrics, flagged worse', async () => {
    const name = group;
    await sagemaker.send(
      new UpdateModelPackageCommand({ ModelPackageArn: packageArn, ModelApprovalStatus: 'Approved' }),
    );
    await sagemaker.send(
      new CreateModelCommand({ ModelName: name, PrimaryContainer: { ModelPackageName: packageArn } }),
    );
    // A shadow beside it: another model on the same requests, captured under its own variant.
    await sagemaker.send(
      new CreateModelCommand({
        ModelName: `${name}-candidate`,
        PrimaryContainer: {
          ModelDataUrl: await uploadFixture('classifier-lightgbm.onnx', `models/${group}/candidate.onnx`),
        },
      }),
    );
    await sagemaker.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: name,
        ProductionVariants: [{ VariantName: 'main', ModelName: name }],
        ShadowProductionVariants: [{ VariantName: 'candidate', ModelName: `${name}-candidate` }],
        DataCaptureConfig: {
          InitialSamplingPercentage: 100,
          DestinationS3Uri: `s3://${bucket}/captures`,
          CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
        },
      }),
    );
    await sagemaker.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: name }));
    await endpointInService(name);

    // No baseline: the package's offline constraints are the definition's.
    await sagemaker.send(
      new CreateModelQualityJobDefinitionCommand({
        JobDefinitionName: name,
        ModelQualityAppSpecification: {
          ImageUri: '156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer',
          ProblemType: 'BinaryClassification',
        },
        ModelQualityJobInput: {
          EndpointInput: {
            EndpointName: name,
            LocalPath: '/opt/ml/processing/input',
            InferenceAttribute: 'predictions',
            StartTimeOffset: '-PT1H',
            EndTimeOffset: '-PT0H',
          },
          GroundTruthS3Input: { S3Uri: `s3://${bucket}/ground-truth` },
        },
        ModelQualityJobOutputConfig: {
          MonitoringOutputs: [
            { S3Output: { S3Uri: `s3://${bucket}/monitoring`, LocalPath: '/opt/ml/processing/output' } },
          ],
        },
        JobResources: {
          ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 20 },
        },
        RoleArn: 'arn:aws:iam::123456789012:role/monitor',
      }),
    );
    const pkg = await sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: packageArn }));
    const definition = await sagemaker.send(
      new DescribeModelQualityJobDefinitionCommand({ JobDefinitionName: name }),
    );
    expect(definition.ModelQualityBaselineConfig?.ConstraintsResource?.S3Uri).toBe(
      pkg.ModelMetrics?.ModelQuality?.Constraints?.S3Uri,
    );
    await sagemaker.send(
      new CreateMonitoringScheduleCommand({
        MonitoringScheduleName: name,
        MonitoringScheduleConfig: {
          ScheduleConfig: { ScheduleExpression: 'rate(5 minutes)' },
          MonitoringJobDefinitionName: name,
          MonitoringType: 'ModelQuality',
        },
      }),
    );

    // 60 one-row requests with inference ids; labels say production is right on half of them.
    const rows = reference.binary.dataset.trim().split('\n').slice(0, 60);
    const predicted = await Promise.all(
      rows.map(async (line, i) => {
        const answer = await runtime.send(
          new InvokeEndpointCommand({
            EndpointName: name,
            ContentType: 'text/csv',
            InferenceId: `${name}-${i}`,
            Body: new TextEncoder().encode(`${line.split(',').slice(1).join(',')}\n`),
          }),
        );
        return (JSON.parse(new TextDecoder().decode(answer.Body)) as { predictions: number[] })
          .predictions[0];
      }),
    );
    await understudy('PutGroundTruth', {
      EndpointName: name,
      Records: predicted.map((p, i) => ({
        InferenceId: `${name}-${i}`,
        Label: i % 2 === 0 ? p : 1 - (p as number),
      })),
    });
    await mirrorQueueDrained(60_000);
    const { CreationTime } = await sagemaker.send(
      new DescribeMonitoringScheduleCommand({ MonitoringScheduleName: name }),
    );
    const tick = await fireMonitor(new Date((CreationTime?.getTime() ?? 0) + 5 * 60_000 + 2_000));
    expect(tick.executions.filter((e) => e.schedule === name).map((e) => e.status)).toEqual([
      'CompletedWithViolations',
    ]);

    const evaluation = (await understudy('DescribeModelEvaluation', { EndpointName: name })) as {
      ModelPackages: {
        Endpoints: {
          Windows: {
            LabelledEvents: number;
            Metrics: Record<string, { Value: number }>;
            SignificantlyWorseThanOffline: boolean;
          }[];
          Shadows: Record<string, unknown>[];
        }[];
      }[];
    };
    const [window] = evaluation.ModelPackages[0]?.Endpoints[0]?.Windows ?? [];
    expect(window).toMatchObject({ LabelledEvents: 60, SignificantlyWorseThanOffline: true });
    expect(window?.Metrics.accuracy?.Value).toBe(0.5);
    // Production and the shadow on the same 60 labelled events, paired.
    const [shadow] = evaluation.ModelPackages[0]?.Endpoints[0]?.Shadows ?? [];
    expect(shadow).toMatchObject({
      ProductionVariantName: 'main',
      ShadowVariantName: 'candidate',
      LabelledEventsPaired: 60,
      ProductionAccuracy: 0.5,
      Test: expect.stringMatching(/McNemar/),
      Verdict: expect.stringMatching(/^(Better|Worse|NoSignificantDifference)$/),
    });
  });
});
