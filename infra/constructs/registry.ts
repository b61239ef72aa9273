import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/**
 * The registry: one DynamoDB table holding models, packages, endpoint configs, endpoints,
 * access keys and the audit trail (single-table design, keys `pk`/`sk`).
 */
export class Registry extends Construct {
  readonly table: dynamodb.Table;
  /**
   * The key that signs List NextTokens (HMAC-SHA256), generated at deployment; its literal
   * name (`<stack>/listing-token-key`) is what the control function reads.
   */
  readonly listingKey: secretsmanager.Secret;
  readonly listingKeySecretName: string;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Short-lived records (mirror event claims) carry an expiry; everything else never expires.
      timeToLiveAttribute: 'expiresAt',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.listingKeySecretName = `${Stack.of(this).stackName}/listing-token-key`;
    this.listingKey = new secretsmanager.Secret(this, 'ListingTokenKey', {
      secretName: this.listingKeySecretName,
      description:
        'Signs the NextTokens of Understudy List operations; replacing it only invalidates tokens in flight',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
  }

  /** Lets `grantee` sign and check listing tokens: read the listing key. */
  grantListings(grantee: iam.IGrantable): void {
    this.listingKey.grantRead(grantee);
  }

  /**
   * Lets `grantee` publish the registry's events ("SageMaker Model Package State Change",
   * source `understudy.sagemaker`): events:PutEvents on the default bus, nothing else.
   */
  grantPublishEvents(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['events:PutEvents'],
      resourceArns: [
        Stack.of(this).formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' }),
      ],
    });
  }
}
