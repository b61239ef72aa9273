/**
 * Ports of Model Monitor's orchestration: objects on S3 (baselines, captures, reports),
 * CloudWatch metrics and alerts. Adapters in lambdas/adapters/ implement them over the AWS
 * SDK; tests hand in the in-memory ones below.
 */
import type { MetricDatum } from '../monitoring/index.js';

/** One object under a prefix. */
export interface ObjectSummary {
  /** `s3://bucket/key`. */
  readonly uri: string;
  readonly key: string;
  readonly size: number;
}

/** Reading and writing objects by `s3://bucket/key` URI. */
export interface ObjectStore {
  /** The object's text, or undefined when there is no such object (or bucket). */
  getText(uri: string): Promise<string | undefined>;
  putText(uri: string, body: string, contentType: string): Promise<void>;
  /** Every object whose key starts with the prefix of `prefixUri` (`s3://bucket/prefix`), by key. */
  list(prefixUri: string): Promise<ObjectSummary[]>;
}

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

/** An ObjectStore in memory, for tests and tools. */
export class InMemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, { body: string; contentType: string }>();

  async getText(uri: string): Promise<string | undefined> {
    return this.objects.get(uri)?.body;
  }

  async putText(uri: string, body: string, contentType: string): Promise<void> {
    this.objects.set(uri, { body, contentType });
  }

  async list(prefixUri: string): Promise<ObjectSummary[]> {
    const bucket = /^s3:\/\/([^/]+)/.exec(prefixUri)?.[1] ?? '';
    return [...this.objects.keys()]
      .filter((uri) => uri.startsWith(prefixUri))
      .sort()
      .map((uri) => ({
        uri,
        key: uri.slice(`s3://${bucket}/`.length),
        size: Buffer.byteLength(this.objects.get(uri)?.body ?? ''),
      }));
  }
}
