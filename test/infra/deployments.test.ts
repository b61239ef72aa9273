import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, DefaultStackSynthesizer } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { UnderstudyStack } from '../../infra/understudy-stack.js';
import { ENV, FUNCTION_METADATA_KEY } from '../../lambdas/functions.js';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
let template: Template;

beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new UnderstudyStack(app, 'UnderstudyDeployTest', {
    projectRoot,
    synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }),
  });
  template = Template.fromStack(stack);
}, 120_000);

function functionId(name: string): string {
  const functions = template.findResources('AWS::Lambda::Function');
  const entry = Object.entries(functions).find(
    ([, f]) => (f.Metadata as Record<string, string>)[FUNCTION_METADATA_KEY] === name,
  );
  if (!entry) throw new Error(`no ${name} function`);
  return entry[0];
}

function policyOf(functionName: string): string {
  const role = template.findResources('AWS::Lambda::Function')[functionId(functionName)]?.Properties.Role;
  const roleId = (role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
    JSON.stringify(p.Properties.Roles).includes(String(roleId)),
  );
  return JSON.stringify(policies.map((p) => p.Properties.PolicyDocument.Statement));
}

describe('Deployments', () => {
  it('feeds step messages from a queue with a dead-letter queue to the deployer', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 5 }),
      VisibilityTimeout: 180,
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: functionId('deployer') },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
    });
  });

  it('tells the control plane and the deployer where the queue is', () => {
    for (const name of ['control', 'deployer']) {
      const fn = template.findResources('AWS::Lambda::Function')[functionId(name)];
      expect(fn?.Properties.Environment.Variables[ENV.deploymentQueueUrl], name).toEqual({
        Ref: expect.stringMatching(/^DeploymentsStepQueue/),
      });
    }
  });

  it('lets the control plane and the deployer read alarms and send steps; the data plane neither', () => {
    for (const name of ['control', 'deployer']) {
      const policy = policyOf(name);
      expect(policy, name).toContain('cloudwatch:DescribeAlarms');
      expect(policy, name).toContain('sqs:SendMessage');
    }
    expect(policyOf('deployer')).toContain('dynamodb:UpdateItem');
    expect(policyOf('invoke')).not.toContain('cloudwatch:DescribeAlarms');
  });
});
