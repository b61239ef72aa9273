import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV, FUNCTIONS } from '../../lambdas/functions.js';
import { functionId, policyOf, synthesizeStack } from '../support/stack-template.js';

const KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const OTHER = 'arn:aws:kms:us-east-1:123456789012:alias/captures';

/** KMS statements of a function's role: action → the key ARNs it applies to. */
function kmsGrants(template: Template, name: string): Record<string, string[]> {
  const grants: Record<string, string[]> = {};
  for (const statement of JSON.parse(policyOf(template, name)).flat() as {
    Action: string | string[];
    Resource: unknown;
  }[]) {
    for (const action of [statement.Action].flat().filter((a) => a.startsWith('kms:'))) {
      grants[action] = [
        ...(grants[action] ?? []),
        ...[statement.Resource].flat().map((r) => JSON.stringify(r)),
      ];
    }
  }
  return grants;
}

describe('customer KMS keys named at deploy time', () => {
  let template: Template;
  beforeAll(() => {
    template = synthesizeStack('UnderstudyKeys', { allowedKmsKeyArns: [KEY, OTHER] });
  }, 120_000);

  it('lets the capture writer and the monitor encrypt with exactly those keys', () => {
    for (const name of ['shadow', 'monitor']) {
      const grants = kmsGrants(template, name);
      for (const action of ['kms:GenerateDataKey', 'kms:Encrypt']) {
        expect(grants[action]?.sort(), `${name} ${action}`).toEqual(
          [JSON.stringify(OTHER), JSON.stringify(KEY)].sort(),
        );
      }
    }
    expect(kmsGrants(template, 'monitor')['kms:Decrypt']).toEqual(
      expect.arrayContaining([JSON.stringify(KEY)]),
    );
    for (const name of Object.keys(FUNCTIONS).filter((n) => n !== 'shadow' && n !== 'monitor')) {
      expect(kmsGrants(template, name)['kms:GenerateDataKey'], name).toBeUndefined();
    }
  });

  it('tells the control plane which keys configurations may name', () => {
    const control = template.findResources('AWS::Lambda::Function')[functionId(template, 'control')];
    expect(control?.Properties.Environment.Variables[ENV.allowedKmsKeyArns]).toBe(`${KEY},${OTHER}`);
  });
});
