import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../../lambdas/functions.js';
import { acknowledgeGrant } from './acknowledge.js';
import { workerQueue } from './worker-queue.js';

export interface DeploymentsProps {
  /** The deployer function: it consumes step messages and schedules the next ones. */
  readonly deployerFunction: lambda.Function;
  /**
   * Deliveries of a step message before it moves to the dead-letter queue.
   * @default 5
   */
  readonly maxReceiveCount?: number;
}

/**
 * Endpoint rollouts that run on their own: UpdateEndpoint sends a step message with
 * DelaySeconds (at most 15 minutes; longer bakes are chained) to the deployments queue; the
 * deployer consumes it, reads the rollout from the registry and the alarms from CloudWatch,
 * shifts traffic, completes or rolls back, and sends the next step. The same template runs
 * locally, where the local runtime polls the queue like an event source mapping.
 */
export class Deployments extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: DeploymentsProps) {
    super(scope, id);
    const deployer = props.deployerFunction;
    const { queue, deadLetterQueue } = workerQueue(this, {
      queueId: 'StepQueue',
      worker: deployer,
      defaultTimeout: Duration.seconds(30),
      maxReceiveCount: props.maxReceiveCount ?? 5,
      batchSize: 10,
    });
    this.queue = queue;
    this.deadLetterQueue = deadLetterQueue;
    deployer.addEnvironment(ENV.deploymentQueueUrl, this.queue.queueUrl);
    this.grantStartRollouts(deployer);
  }

  /** Lets `grantee` start and continue rollouts: send step messages and read alarm states. */
  grantStartRollouts(grantee: iam.IGrantable): void {
    this.queue.grantSendMessages(grantee);
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['cloudwatch:DescribeAlarms'],
      resourceArns: [
        Stack.of(this).formatArn({
          service: 'cloudwatch',
          resource: 'alarm',
          resourceName: '*',
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
    });
    acknowledgeGrant(grantee, {
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:*]',
      reason:
        'Rollbacks watch the alarms a user names in UpdateEndpoint (AutoRollbackConfiguration.Alarms), ' +
        'any alarm of the account and region; DescribeAlarms only reads their states.',
    });
  }
}
