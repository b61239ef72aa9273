/**
 * CreateModelPackage with an offline evaluation (ValidationSpecification) against the same
 * registration without one, in the same run, on in-memory stores: what the evaluation adds to a
 * registration that waits for it, at 1,000 and 10,000 rows (the most one evaluation takes, as one
 * InvokeEndpoint request). The model is the binary logistic regression of the unit tests; the
 * dataset its 300 labelled rows repeated. Of the time, scoring (the bootstrap intervals and the
 * curves) is measured apart, with the model's run left out.
 */
import { readFileSync } from 'node:fs';
import { dispatch } from '../lambdas/control/control-plane.js';
import { OfflineEvaluator } from '../lambdas/domain/evaluation/offline-evaluation.js';
import type { ControlContext } from '../lambdas/domain/kernel/context.js';
import { modelQualityStatistics } from '../lambdas/domain/model-quality/metrics.js';
import { onnxModelProbe } from '../lambdas/shared/model-probe.js';
import { InMemoryObjectStore } from '../test/support/in-memory-object-store.js';
import { InMemoryRegistryStore } from '../test/support/in-memory-registry-store.js';
import { fixture, MemoryArtifactSource } from '../test/support/models.js';
import { measure, row } from './harness.js';

const reference = JSON.parse(
  readFileSync(new URL('../test/fixtures/evaluation/offline-evaluation.json', import.meta.url), 'utf8'),
) as { binary: { model: string; dataset: string } };

export async function benchOfflineEvaluation(): Promise<void> {
  console.log('\noffline evaluation at registration (CreateModelPackage, in-memory stores)');
  const artifacts = new MemoryArtifactSource();
  artifacts.put('s3://models/model.onnx', fixture(reference.binary.model));
  const objects = new InMemoryObjectStore();
  const lines = reference.binary.dataset.trim().split('\n');
  for (const n of [1_000, 10_000]) {
    const rows = Array.from({ length: n }, (_, i) => lines[i % lines.length]);
    await objects.putText(`s3://data/${n}.csv`, `${rows.join('\n')}\n`, 'text/csv');
  }
  const store = new InMemoryRegistryStore();
  const ctx: ControlContext = {
    store,
    artifacts,
    objects,
    models: onnxModelProbe,
    packageEvaluation: new OfflineEvaluator({ objects, artifacts }),
    region: 'us-east-1',
    accountId: '123456789012',
    caller: { accessKeyId: 'AKBENCH', role: 'admin' },
    now: () => new Date(),
  };
  await dispatch(ctx, 'CreateModelPackageGroup', { ModelPackageGroupName: 'bench' });
  const register = (dataset?: string) =>
    dispatch(ctx, 'CreateModelPackage', {
      ModelPackageGroupName: 'bench',
      InferenceSpecification: { Containers: [{ Image: 'onnx', ModelDataUrl: 's3://models/model.onnx' }] },
      ...(dataset && {
        ValidationSpecification: {
          ValidationRole: 'arn:aws:iam::123456789012:role/bench',
          ValidationProfiles: [
            {
              ProfileName: 'holdout',
              TransformJobDefinition: {
                Environment: { problem_type: 'BinaryClassification' },
                TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: dataset } } },
                TransformOutput: { S3OutputPath: 's3://data/evaluations' },
                TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
              },
            },
          ],
        },
      }),
    });
  const baseline = await measure(() => register(), 20, 2);
  console.log(row('without evaluation (baseline)', baseline));
  for (const n of [1_000, 10_000]) {
    const s = await measure(() => register(`s3://data/${n}.csv`), 5, 1);
    console.log(`${row(`with evaluation, ${n} rows`, s)}  ×${(s.medianUs / baseline.medianUs).toFixed(1)}`);
    const actual = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0));
    const probability = actual.map((_, i) => ((i * 7919) % 1000) / 1000);
    const scoring = await measure(
      () =>
        modelQualityStatistics({
          problemType: 'BinaryClassification',
          actual,
          predicted: probability.map((p) => (p >= 0.5 ? 1 : 0)),
          probability,
        }),
      5,
      1,
    );
    console.log(row(`  of which scoring (metrics, intervals), ${n} rows`, scoring));
  }
}
