import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, DefaultStackSynthesizer } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { OUTPUTS, UnderstudyStack } from '../../infra/understudy-stack.js';
import { FUNCTION_METADATA_KEY, FUNCTIONS } from '../../lambdas/functions.js';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
let template: Template;

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
    // jobs and their DLQ (test/infra/processing-jobs.test.ts).
    template.resourceCountIs('AWS::SQS::Queue', 6);
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 3 }),
    });
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

  it('gives the data plane read-only access to the registry and writes only spilled mirror messages', () => {
    const policies = template.findResources('AWS::IAM::Policy');
    const invokePolicy = Object.entries(policies).find(([id]) => id.startsWith('InvokeFunction'));
    const statements = invokePolicy?.[1].Properties.PolicyDocument.Statement as {
      Action: string | string[];
      Resource: unknown;
    }[];
    const actions = JSON.stringify(statements.map((s) => s.Action));
    expect(actions).toContain('dynamodb:GetItem');
    expect(actions).not.toContain('dynamodb:PutItem');
    const writes = statements.filter((s) => [s.Action].flat().includes('s3:PutObject'));
    expect(writes).toHaveLength(1);
    expect(JSON.stringify(writes[0]?.Resource)).toContain('/mirror-spill/*');
  });

  it('gives the monitor an alerts topic to publish to, the default bus and its metric namespace only', () => {
    template.resourceCountIs('AWS::SNS::Topic', 1);
    const policies = template.findResources('AWS::IAM::Policy');
    const monitorPolicy = Object.entries(policies).find(([id]) => id.startsWith('MonitorFunction'));
    const statements = monitorPolicy?.[1].Properties.PolicyDocument.Statement as {
      Action: string | string[];
      Resource: unknown;
      Condition?: unknown;
    }[];
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
