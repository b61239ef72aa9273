import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

export interface DataCaptureProps {
  /**
   * Customer KMS keys (key or alias ARNs) that a DataCaptureConfig's or a monitoring output's
   * `KmsKeyId` may name; the control plane refuses any other, and the writers get
   * kms:GenerateDataKey / kms:Encrypt on these and no others.
   * @default none: configurations naming a KmsKeyId are refused
   */
  readonly allowedKmsKeyArns?: readonly string[];
}

const KMS_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_-]+$/;

/**
 * Data capture's own resources: the HMAC key that capture redaction hashes named request
 * fields with (Understudy.ConfigureCaptureRedaction) — the data plane redacts before the mirror
 * message is sent, so only the invoke function reads it — and the customer KMS keys captures
 * and reports may be encrypted with.
 */
export class DataCapture extends Construct {
  readonly redactionKey: secretsmanager.Secret;
  /** Its name, which the invoke function reads it by. */
  readonly redactionKeySecretName: string;
  readonly allowedKmsKeyArns: readonly string[];

  constructor(scope: Construct, id: string, props: DataCaptureProps = {}) {
    super(scope, id);
    this.allowedKmsKeyArns = props.allowedKmsKeyArns ?? [];
    for (const arn of this.allowedKmsKeyArns) {
      if (!KMS_ARN.test(arn)) {
        throw new Error(
          `allowedKmsKeyArns: '${arn}' is not a KMS key or alias ARN (arn:aws:kms:<region>:<account>:key/<id>).`,
        );
      }
    }
    this.redactionKeySecretName = `${Stack.of(this).stackName}/capture-redaction-key`;
    this.redactionKey = new secretsmanager.Secret(this, 'RedactionKey', {
      secretName: this.redactionKeySecretName,
      description:
        'HMAC-SHA256 key of capture redaction: hashed request fields in captures are keyed with it',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    Validations.of(this.redactionKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotating the key would change every hashed value from then on: the monitor would see the same ' +
        'input as a new category and report drift that is not there. The key never leaves the invoke ' +
        'function (it is never logged or written); replace it by hand, with a new baseline, if it leaks.',
    });
  }

  /** Lets `grantee` write objects encrypted with the allowed customer keys (SSE-KMS PutObject). */
  grantEncryptWithCustomerKeys(grantee: iam.IGrantable): void {
    this.grantCustomerKeys(grantee, ['kms:GenerateDataKey', 'kms:Encrypt']);
  }

  /** Lets `grantee` read objects encrypted with the allowed customer keys (captures, for the monitor). */
  grantDecryptWithCustomerKeys(grantee: iam.IGrantable): void {
    this.grantCustomerKeys(grantee, ['kms:Decrypt']);
  }

  private grantCustomerKeys(grantee: iam.IGrantable, actions: string[]): void {
    if (this.allowedKmsKeyArns.length === 0) return;
    iam.Grant.addToPrincipal({ grantee, actions, resourceArns: [...this.allowedKmsKeyArns] });
  }

  /** Lets `grantee` hash redacted fields: read the redaction key. */
  grantRedact(grantee: iam.IGrantable): void {
    this.redactionKey.grantRead(grantee);
  }
}
