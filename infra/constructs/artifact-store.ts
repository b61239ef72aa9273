import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

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
  }
}
