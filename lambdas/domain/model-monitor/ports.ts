/**
 * Ports of Model Monitor's orchestration: objects on S3 (baselines, captures, reports),
 * CloudWatch metrics and alerts. Adapters in lambdas/adapters/ implement them over the AWS
 * SDK; tests hand in in-memory ones.
 */
import type { MetricDatum } from './statistics/index.js';

/** A metric datum with its dimensions. */
export type DimensionedDatum = MetricDatum & {
  readonly Dimensions: readonly { readonly Name: string; readonly Value: string }[];
};

/** CloudWatch PutMetricData, batched by the adapter. */
export interface MetricsPublisher {
  put(namespace: string, data: readonly DimensionedDatum[]): Promise<void>;
}

/** What an execution with violations tells the world. */
export interface MonitoringAlert {
  readonly endpointName: string;
  readonly monitoringScheduleName: string;
  readonly monitoringScheduleArn: string;
  readonly processingJobArn: string;
  readonly scheduledTime: string;
  readonly status: 'CompletedWithViolations';
  /** Each violated feature with the check types that failed and the drift rules that flagged it. */
  readonly features: readonly {
    readonly feature: string;
    readonly checks: readonly string[];
    readonly flaggedBy: readonly string[];
  }[];
  readonly violationCount: number;
  readonly reports: {
    readonly constraintViolations: string;
    readonly statistics: string;
    readonly report: string;
  };
  readonly dataAnalysisStartTime: string;
  readonly dataAnalysisEndTime: string;
}

/** EventBridge event and SNS message on violations. */
export interface AlertPublisher {
  publish(alert: MonitoringAlert): Promise<void>;
}
