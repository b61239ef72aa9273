import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
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
    Validations.of(this.listingKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The key only signs NextTokens of List operations, which live for one listing: rotating it would ' +
        'only fail the listings in flight at that moment, and nothing is stored under it. Replace it by ' +
        'hand (put-secret-value) if it ever leaks; warm control functions pick it up when they recycle.',
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

  /**
   * What the registry store (lambdas/adapters/dynamodb-registry-store.ts), the delivery ledger
   * and the access-key store send: item reads, writes and deletes, and queries of one
   * partition. No scans, batches, transactions or table management.
   */
  grantReadWriteItems(grantee: iam.IGrantable): void {
    this.table.grant(
      grantee,
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
    );
  }

  /**
   * The data plane's share: reading endpoints and access keys (GetItem), and counting
   * dropped mirror copies (UpdateItem `ADD` on a counter item).
   */
  grantReadItemsAndCount(grantee: iam.IGrantable): void {
    this.table.grant(grantee, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
  }
}
