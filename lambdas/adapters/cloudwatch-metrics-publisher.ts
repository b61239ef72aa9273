import { type CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { DimensionedDatum, MetricsPublisher } from '../domain/model-monitor/ports.js';

/** PutMetricData takes at most 1,000 metrics (and 1 MB) per call. */
const BATCH = 500;

/** Publishes metric data to CloudWatch in batches, all stamped with one timestamp. */
export class CloudWatchMetricsPublisher implements MetricsPublisher {
  constructor(
    private readonly cloudwatch: CloudWatchClient,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async put(namespace: string, data: readonly DimensionedDatum[]): Promise<void> {
    const timestamp = this.now();
    for (let i = 0; i < data.length; i += BATCH) {
      await this.cloudwatch.send(
        new PutMetricDataCommand({
          Namespace: namespace,
          MetricData: data.slice(i, i + BATCH).map((d) => ({
            MetricName: d.MetricName,
            Dimensions: d.Dimensions.map((x) => ({ Name: x.Name, Value: x.Value })),
            Timestamp: timestamp,
            Unit: d.Unit,
            ...(d.StatisticValues ? { StatisticValues: { ...d.StatisticValues } } : { Value: d.Value }),
          })),
        }),
      );
    }
  }
}
