import { readFileSync } from 'node:fs';

const FIXTURES = new URL('../fixtures/', import.meta.url);

/**
 * The CreateProcessingJob request the SageMaker Python SDK sends for suggest_baseline (captured
 * from the SDK by scripts/fixtures/sagemaker-sdk-requests.py), for a bucket and job name: its
 * dataset is `s3://{bucket}/datasets/{name}/train.{csv,jsonl}`, its output
 * `s3://{bucket}/baselines/{name}`.
 */
export function suggestBaselineRequest<T>(format: 'csv' | 'json', name: string, bucket: string): T {
  const text = readFileSync(new URL(`processing/suggest-baseline-${format}.json`, FIXTURES), 'utf8');
  return JSON.parse(text.replaceAll('BUCKET', bucket).replaceAll('JOB_NAME', name)).CreateProcessingJob;
}

export interface NumericReference {
  readonly name: string;
  readonly baseline: readonly number[];
  /** numpy's count, mean, sum, population std_dev, min and max of `baseline`. */
  readonly summary: { count: number; mean: number; sum: number; std_dev: number; min: number; max: number };
}

/**
 * Two numeric columns of 2,000 values from test/fixtures/monitoring/reference.json
 * (scripts/fixtures/monitoring-reference.py) as a CSV with a header, with numpy's summaries.
 */
export function referenceDataset(): { csv: string; columns: readonly NumericReference[] } {
  const reference = JSON.parse(readFileSync(new URL('monitoring/reference.json', FIXTURES), 'utf8')) as {
    numeric: NumericReference[];
  };
  const columns = reference.numeric.filter((c) => c.baseline.length === 2000).slice(0, 2);
  const [a, b] = columns;
  if (!a || !b) throw new Error('reference.json has no two numeric cases of 2,000 values');
  const rows = a.baseline.map((x, i) => `${x},${b.baseline[i]}`);
  return { csv: `${a.name},${b.name}\n${rows.join('\n')}\n`, columns };
}
