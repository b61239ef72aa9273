import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/functions.js';
import { functionId, policyOf, synthesizeStack } from '../support/stack-template.js';

let template: Template;

beforeAll(() => {
  template = synthesizeStack('UnderstudyJobsTest');
}, 120_000);

function jobQueueId(): string {
  const queues = Object.keys(template.findResources('AWS::SQS::Queue')).filter((id) =>
    id.startsWith('ProcessingJobsJobQueue'),
  );
  expect(queues).toHaveLength(1);
  return queues[0] as string;
}

describe('ProcessingJobs', () => {
  it('feeds job messages from a queue with a dead-letter queue to the monitor, one at a time', () => {
    const queue = template.findResources('AWS::SQS::Queue')[jobQueueId()];
    expect(queue?.Properties).toMatchObject({
      // Six times the monitor's 300 s timeout.
      VisibilityTimeout: 1800,
      RedrivePolicy: {
        maxReceiveCount: 3,
        deadLetterTargetArn: {
          'Fn::GetAtt': [expect.stringMatching(/^ProcessingJobsDeadLetterQueue/), 'Arn'],
        },
      },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: functionId(template, 'monitor') },
      EventSourceArn: { 'Fn::GetAtt': [jobQueueId(), 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 1,
    });
  });

  it('tells the control plane where the queue is', () => {
    const fn = template.findResources('AWS::Lambda::Function')[functionId(template, 'control')];
    expect(fn?.Properties.Environment.Variables[ENV.jobsQueueUrl]).toEqual({ Ref: jobQueueId() });
  });

  it('lets the control plane only send to the queue, the monitor consume it, and no one else touch it', () => {
    const queueArn = JSON.stringify({ 'Fn::GetAtt': [jobQueueId(), 'Arn'] });
    const statementsOn = (name: string) =>
      (JSON.parse(policyOf(template, name)) as { Action: string | string[]; Resource: unknown }[][])
        .flat()
        .filter((s) => JSON.stringify(s.Resource).includes(queueArn));
    const control = statementsOn('control');
    expect(control.flatMap((s) => [s.Action].flat()).sort()).toEqual([
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:SendMessage',
    ]);
    expect(JSON.stringify(statementsOn('monitor'))).toContain('sqs:ReceiveMessage');
    expect(JSON.stringify(statementsOn('monitor'))).not.toContain('sqs:SendMessage');
    for (const name of ['invoke', 'shadow', 'deployer']) expect(statementsOn(name), name).toEqual([]);
  });
});
