import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { acknowledgeGrant } from './acknowledge.js';

export interface MonitoringProps {
  readonly monitorFunction: lambda.IFunction;
  /**
   * How often the monitor looks for due monitoring schedules. Schedules themselves live in
   * the registry, so creating one needs no redeploy; this tick is their resolution.
   * @default rate(5 minutes)
   */
  readonly tick?: events.Schedule;
}

/** The EventBridge schedule that drives drift monitoring. */
export class Monitoring extends Construct {
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.rule = new events.Rule(this, 'Tick', {
      description: 'Runs due Understudy monitoring schedules',
      schedule: props.tick ?? events.Schedule.expression('rate(5 minutes)'),
    });
    this.rule.addTarget(new targets.LambdaFunction(props.monitorFunction, { retryAttempts: 2 }));
  }

  /**
   * Lets `grantee` emit Model Monitor's metrics: cloudwatch:PutMetricData, limited to the
   * `aws/sagemaker/Endpoints/data-metrics` namespace (PutMetricData has no resource ARNs).
   */
  grantPutDataMetrics(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['cloudwatch:PutMetricData'],
      resourceArns: ['*'],
      conditions: { StringEquals: { 'cloudwatch:namespace': DATA_METRICS_NAMESPACE } },
    });
    acknowledgeGrant(grantee, {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        "cloudwatch:PutMetricData has no resource ARNs; the statement is limited to Model Monitor's " +
        'namespace by its cloudwatch:namespace condition.',
    });
  }
}

/** Model Monitor's metric namespace for real-time endpoints (lambdas/domain/model-monitor/runner.ts). */
export const DATA_METRICS_NAMESPACE = 'aws/sagemaker/Endpoints/data-metrics';
