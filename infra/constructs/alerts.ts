import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export interface AlertsProps {
  /**
   * Display name of the topic (the sender name of its e-mails and SMS).
   * @default 'Understudy alerts'
   */
  readonly displayName?: string;
}

/**
 * Where Understudy's alerts go: an SNS topic a user subscribes to (e-mail, SQS, Lambda,
 * HTTPS; its ARN is a stack output), and events on the account's default EventBridge bus
 * (source `understudy.monitoring`, detail-type `Model Monitor Violations`) for rules to route.
 */
export class Alerts extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: AlertsProps = {}) {
    super(scope, id);
    const displayName = props.displayName ?? 'Understudy alerts';
    if (displayName.length > 100) {
      throw new Error(`displayName must be at most 100 characters, got ${displayName.length}`);
    }
    // Publishing over plain HTTP is refused by the topic's policy.
    this.topic = new sns.Topic(this, 'Topic', { displayName, enforceSSL: true });
  }

  /** Lets `grantee` publish alerts: sns:Publish on the topic, events:PutEvents on the default bus. */
  grantPublish(grantee: iam.IGrantable): void {
    this.topic.grantPublish(grantee);
    const stack = Stack.of(this);
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['events:PutEvents'],
      resourceArns: [stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' })],
    });
  }
}
