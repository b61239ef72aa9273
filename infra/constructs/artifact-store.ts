import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeGrant } from './acknowledge.js';

export interface ArtifactStoreProps {
  /**
   * Days after which data-capture objects expire.
   * @default 90
   */
  readonly captureRetentionDays?: number;
}

/** Key prefix under which data capture is written by default. */
export const CAPTURE_PREFIX = 'captures/';

/** The one bucket: model artifacts, captures, baselines and monitoring reports. */
export class ArtifactStore extends Construct {
  readonly bucket: s3.Bucket;
  /** Days a data-capture object is kept (the capture index's entries expire with it). */
  readonly captureRetentionDays: number;

  constructor(scope: Construct, id: string, props: ArtifactStoreProps = {}) {
    super(scope, id);
    const captureRetentionDays = props.captureRetentionDays ?? 90;
    if (!Number.isInteger(captureRetentionDays) || captureRetentionDays < 1) {
      throw new Error(`captureRetentionDays must be a positive integer, got ${captureRetentionDays}`);
    }
    this.captureRetentionDays = captureRetentionDays;
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: false,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'expire-captures',
          prefix: CAPTURE_PREFIX,
          expiration: Duration.days(captureRetentionDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Server access logs would need a second bucket (and moto skips the bucket policy that lets S3 log ' +
        'into it); every API request is logged by the function that serves it, and CloudTrail S3 data ' +
        'events can be turned on per account.',
    });
  }

  /**
   * Lets `grantee` read objects: s3:GetObject on every key, and s3:ListBucket, without which a
   * missing object answers 403 instead of 404 (and "no such model" could not be told apart
   * from "not allowed"). Keys are the users' (ModelDataUrl, capture destinations,
   * baselines), so they cannot be narrowed to a prefix.
   */
  grantReadObjects(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: [this.objectsArn('*')] });
    iam.Grant.addToPrincipal({ grantee, actions: ['s3:ListBucket'], resourceArns: [this.bucket.bucketArn] });
    this.acknowledgeObjects(grantee, '*');
  }

  /** Lets `grantee` write objects under `prefix` (s3:PutObject only: nothing deletes objects). */
  grantPutObjects(grantee: iam.IGrantable, prefix = ''): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:PutObject'],
      resourceArns: [this.objectsArn(`${prefix}*`)],
    });
    this.acknowledgeObjects(grantee, `${prefix}*`);
  }

  private objectsArn(pattern: string): string {
    return `${this.bucket.bucketArn}/${pattern}`;
  }

  /** cdk-nag names the object wildcard by the bucket's logical id. */
  private acknowledgeObjects(grantee: iam.IGrantable, pattern: string): void {
    const bucketId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket);
    acknowledgeGrant(grantee, {
      id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${pattern}]`,
      reason:
        pattern === '*'
          ? 'Objects of the one Understudy bucket: their keys are named by users (model artifacts, ' +
            'capture destinations, baselines, reports), so no narrower prefix holds them all.'
          : `Objects under the ${pattern.slice(0, -1)} prefix only: the keys below it are generated per message.`,
    });
  }
}
