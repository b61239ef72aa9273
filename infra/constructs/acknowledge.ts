import { type Acknowledgment, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/**
 * Acknowledges a cdk-nag finding on the policy a grant wrote to: the grantee's principal
 * (a function's role), where the finding is reported. A principal that is not a construct
 * (an imported role) carries no findings of this stack.
 */
export function acknowledgeGrant(grantee: iam.IGrantable, acknowledgment: Acknowledgment): void {
  const principal = grantee.grantPrincipal;
  if (Construct.isConstruct(principal)) Validations.of(principal).acknowledge(acknowledgment);
}
