import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/**
 * The registry: one DynamoDB table holding models, packages, endpoint configs, endpoints,
 * access keys and the audit trail (single-table design, keys `pk`/`sk`).
 */
export class Registry extends Construct {
  readonly table: dynamodb.Table;

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
