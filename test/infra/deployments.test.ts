import type { Template } from 'aws-cdk-lib/assertions';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/functions.js';
import { functionId as idIn, policyOf as policyIn, synthesizeStack } from '../support/stack-template.js';

let template: Template;

beforeAll(() => {
  template = synthesizeStack('UnderstudyDeployTest');
}, 120_000);

const functionId = (name: string) => idIn(template, name);
const policyOf = (name: string) => policyIn(template, name);

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
