import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, DefaultStackSynthesizer } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { OUTPUTS, UnderstudyStack } from '../../infra/understudy-stack.js';
import { FUNCTION_METADATA_KEY, FUNCTIONS } from '../../lambdas/functions.js';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
let template: Template;

interface Statement {
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

/** The statements of the policies attached to a function's role, found by its local-runtime tag. */
function statementsOf(name: string): Statement[] {
  const functions = Object.values(template.findResources('AWS::Lambda::Function'));
  const fn = functions.find((f) => (f.Metadata as Record<string, string>)[FUNCTION_METADATA_KEY] === name);
  const roleId = (fn?.Properties.Role as { 'Fn::GetAtt': string[] } | undefined)?.['Fn::GetAtt'][0];
  if (roleId === undefined) throw new Error(`no role for the ${name} function`);
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

beforeAll(() => {
  // Bundling is esbuild's job and covered by `npm run synth`; skipping it keeps this test fast.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new UnderstudyStack(app, 'UnderstudyTest', {
    projectRoot,
    synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }),
  });
  template = Template.fromStack(stack);
}, 120_000);

describe('UnderstudyStack', () => {
  it('keeps one encrypted, private, TLS-only bucket with a capture lifecycle rule', () => {
    template.resourceCountIs('AWS::S3::Bucket', 1);
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Prefix: 'captures/', ExpirationInDays: 90, Status: 'Enabled' }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('encrypts every queue and refuses plain-HTTP access to queues and the alerts topic', () => {
    const queues = Object.values(template.findResources('AWS::SQS::Queue'));
    expect(queues.length).toBeGreaterThan(0);
    for (const queue of queues) expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
    const tlsOnly = Match.arrayWith([
      Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    ]);
    expect(
      Object.keys(
        template.findResources('AWS::SQS::QueuePolicy', {
          Properties: { PolicyDocument: { Statement: tlsOnly } },
        }),
      ).length,
    ).toBe(queues.length);
    template.hasResourceProperties('AWS::SNS::TopicPolicy', { PolicyDocument: { Statement: tlsOnly } });
  });

  it('keeps the registry on demand with point-in-time recovery', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    });
  });

  it('mirrors requests through a queue with a dead-letter queue into the shadow function', () => {
    // Mirror queue and its DLQ; deployment steps and their DLQ (test/infra/deployments.test.ts);
    // jobs and their DLQ (test/infra/processing-jobs.test.ts); training jobs and their DLQ.
    template.resourceCountIs('AWS::SQS::Queue', 8);
    // Eight deliveries: the shadow function backs its retries off itself (retry-backoff.ts).
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 360,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 8 }),
    });
    // Setting that backoff is ChangeMessageVisibility on the mirror queue.
    const mirrorQueueId = Object.keys(template.findResources('AWS::SQS::Queue')).find((id) =>
      id.startsWith('ShadowPipelineMirrorQueue'),
    );
    const visibility = statementsOf('shadow').filter((s) =>
      [s.Action].flat().includes('sqs:ChangeMessageVisibility'),
    );
    expect(JSON.stringify(visibility.map((s) => s.Resource))).toContain(`"${mirrorQueueId}"`);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 50,
    });
  });

  it('builds every function on nodejs22.x, tagged for the local runtime', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    const tags = Object.values(functions).map(
      (f) => (f.Metadata as Record<string, string>)[FUNCTION_METADATA_KEY],
    );
    expect(tags.sort()).toEqual(Object.keys(FUNCTIONS).sort());
    for (const fn of Object.values(functions)) {
      expect(fn.Properties.Runtime).toBe('nodejs22.x');
      expect(fn.Properties.Architectures).toEqual(['x86_64']);
    }
  });

  it('gives the onnxruntime layer only to the functions that run models', () => {
    template.hasResourceProperties('AWS::Lambda::LayerVersion', {
      CompatibleRuntimes: ['nodejs22.x'],
      CompatibleArchitectures: ['x86_64'],
    });
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    for (const fn of functions) {
      const name = (fn.Metadata as Record<string, keyof typeof FUNCTIONS>)[FUNCTION_METADATA_KEY];
      const layers = (fn.Properties.Layers as unknown[] | undefined) ?? [];
      expect(layers.length, `${name}`).toBe(name && FUNCTIONS[name].usesOnnx ? 1 : 0);
    }
  });

  it('routes the data plane and the control plane to separate functions', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'POST /endpoints/{EndpointName}/invocations',
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /' });
  });

  it('serves the console from the control function', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')) as {
      Properties: { RouteKey: string; Target: unknown };
    }[];
    const targetOf = (key: string) =>
      JSON.stringify(routes.find((r) => r.Properties.RouteKey === key)?.Properties.Target);
    expect(targetOf('POST /')).toBeDefined();
    expect(targetOf('GET /console')).toBe(targetOf('POST /'));
    expect(targetOf('GET /console/report')).toBe(targetOf('POST /'));
  });

  it('schedules the monitor with EventBridge', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
  });

  it('creates the first admin key with a generated secret, never in the template', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'UnderstudyTest/admin-access-key',
      GenerateSecretString: Match.objectLike({ GenerateStringKey: 'secretAccessKey' }),
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('gives the data plane registry reads and counter updates only, and writes only spilled mirror messages', () => {
    const statements = statementsOf('invoke');
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions).toContain('dynamodb:GetItem');
    expect(actions).toContain('dynamodb:UpdateItem');
    expect(actions).not.toContain('dynamodb:PutItem');
    expect(actions).not.toContain('dynamodb:DeleteItem');
    const writes = statements.filter((s) => [s.Action].flat().includes('s3:PutObject'));
    expect(writes).toHaveLength(1);
    expect(JSON.stringify(writes[0]?.Resource)).toContain('/mirror-spill/*');
  });

  it('lets only the invoke function read the capture redaction key, where the request path redacts', () => {
    const [secretId] = Object.keys(template.findResources('AWS::SecretsManager::Secret')).filter((id) =>
      id.startsWith('DataCaptureRedactionKey'),
    );
    expect(secretId).toBeDefined();
    const readers = Object.keys(FUNCTIONS).filter((name) =>
      statementsOf(name).some((s) => JSON.stringify(s.Resource).includes(`"${secretId}"`)),
    );
    expect(readers).toEqual(['invoke']);
  });

  /**
   * What each handler's ports send (lambdas/<function>/handler.ts and the adapters they build),
   * written out here rather than read from the stack. Log writes to the function's own log
   * group come with every function.
   */
  const EXPECTED_ACTIONS: Record<string, string[]> = {
    invoke: [
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
      'sqs:SendMessage',
      'secretsmanager:GetSecretValue',
      'kms:Decrypt',
    ],
    control: [
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
      'sqs:SendMessage',
      'cloudwatch:DescribeAlarms',
      'secretsmanager:GetSecretValue',
      'kms:Decrypt',
      'kms:Encrypt',
      'events:PutEvents',
    ],
    deployer: [
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'sqs:SendMessage',
      'sqs:ReceiveMessage',
      'sqs:DeleteMessage',
      'sqs:ChangeMessageVisibility',
      'cloudwatch:DescribeAlarms',
    ],
    shadow: [
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
      'sqs:SendMessage',
      'sqs:ReceiveMessage',
      'sqs:DeleteMessage',
      'sqs:ChangeMessageVisibility',
    ],
    monitor: [
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
      'cloudwatch:PutMetricData',
      'sns:Publish',
      'events:PutEvents',
      // The jobs queue (processing jobs, NOW schedules).
      'sqs:ReceiveMessage',
      'sqs:DeleteMessage',
      'sqs:ChangeMessageVisibility',
    ],
    training: [
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
      'events:PutEvents',
      // The training queue.
      'sqs:ReceiveMessage',
      'sqs:DeleteMessage',
      'sqs:ChangeMessageVisibility',
    ],
  };
  /** Read-only companions the CDK adds to the grants above; harmless, and not worth a hand-written grant. */
  const COMPANIONS = new Set(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'secretsmanager:DescribeSecret']);

  it.each(Object.keys(EXPECTED_ACTIONS))('grants the %s function only the actions its ports send', (name) => {
    const actions = new Set(statementsOf(name).flatMap((s) => [s.Action].flat()));
    for (const companion of COMPANIONS) actions.delete(companion);
    expect([...actions].sort()).toEqual(
      [...(EXPECTED_ACTIONS[name] ?? []), 'logs:CreateLogStream', 'logs:PutLogEvents'].sort(),
    );
  });

  it('grants no action or resource wildcard but the ones written out', () => {
    for (const name of Object.keys(EXPECTED_ACTIONS)) {
      for (const statement of statementsOf(name)) {
        for (const action of [statement.Action].flat()) expect(action, name).not.toMatch(/\*/);
        if (JSON.stringify(statement.Resource) === '"*"')
          expect(statement.Action, name).toBe('cloudwatch:PutMetricData');
      }
    }
  });

  it('attaches no AWS managed policy to any function role', () => {
    for (const role of Object.values(template.findResources('AWS::IAM::Role'))) {
      expect(role.Properties.ManagedPolicyArns ?? []).toEqual([]);
    }
  });

  it('gives the monitor an alerts topic to publish to, the default bus and its metric namespace only', () => {
    template.resourceCountIs('AWS::SNS::Topic', 1);
    const statements = statementsOf('monitor');
    const find = (action: string) => statements.find((s) => [s.Action].flat().includes(action));
    expect(find('sns:Publish')?.Resource).toEqual({ Ref: expect.stringMatching(/^AlertsTopic/) });
    expect(JSON.stringify(find('events:PutEvents')?.Resource)).toContain(':event-bus/default');
    expect(find('cloudwatch:PutMetricData')?.Condition).toEqual({
      StringEquals: { 'cloudwatch:namespace': 'aws/sagemaker/Endpoints/data-metrics' },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          UNDERSTUDY_ALERTS_TOPIC_ARN: { Ref: Match.stringLikeRegexp('^AlertsTopic') },
        }),
      },
    });
  });

  it('outputs every physical name', () => {
    for (const key of Object.values(OUTPUTS)) template.hasOutput(key, {});
  });
});
