import { Stack, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/**
 * Data capture's own resources: the HMAC key that capture redaction hashes named request
 * fields with (Understudy.ConfigureCaptureRedaction). The data plane redacts before the mirror
 * message is sent, so only the invoke function reads it.
 */
export class DataCapture extends Construct {
  readonly redactionKey: secretsmanager.Secret;
  /** Its name, which the invoke function reads it by. */
  readonly redactionKeySecretName: string;

  constructor(scope: Construct, id: string) {
    super(scope, id);
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

  /** Lets `grantee` hash redacted fields: read the redaction key. */
  grantRedact(grantee: iam.IGrantable): void {
    this.redactionKey.grantRead(grantee);
  }
}
