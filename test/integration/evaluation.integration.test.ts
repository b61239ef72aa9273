import { readFileSync } from 'node:fs';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  DescribeModelPackageCommand,
} from '@aws-sdk/client-sagemaker';
import { describe, expect, it } from 'vitest';
import { bucket, errorOf, s3, sagemaker, understudy, unique, uploadFixture } from './platform.js';

/** scikit-learn's metrics on the dataset (scripts/fixtures/offline-evaluation-reference.py). */
const reference = JSON.parse(
  readFileSync(new URL('../fixtures/evaluation/offline-evaluation.json', import.meta.url), 'utf8'),
) as { binary: { model: string; dataset: string; rows: number; metrics: Record<string, number> } };

describe('offline evaluation at registration, with the AWS SDK', () => {
  const group = unique('evaluated');

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

    const { ModelPackageArn } = await register(modelDataUrl, `s3://${bucket}/${key}`, 'BinaryClassification');
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
});
