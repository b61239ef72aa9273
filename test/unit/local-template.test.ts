import { describe, expect, it } from 'vitest';
import { adaptTemplateForEmulator } from '../../scripts/local/emulator-template.js';
import { generatePassword, generateSecretString } from '../../scripts/local/secrets.js';
import {
  type CfnTemplate,
  httpRoutes,
  localFunctions,
  queueEventSources,
  referencedLogicalIds,
  resolveFunctionEnvironment,
  resolveValue,
  type StackContext,
  scheduleRules,
} from '../../scripts/local/template.js';

/** The shapes of the synthesized Understudy template, trimmed. */
const template: CfnTemplate = {
  Resources: {
    Table: { Type: 'AWS::DynamoDB::Table' },
    Bucket: { Type: 'AWS::S3::Bucket' },
    Key: { Type: 'AWS::KMS::Key' },
    Secret: {
      Type: 'AWS::SecretsManager::Secret',
      Properties: {
        Name: 'Understudy/admin-access-key',
        GenerateSecretString: {
          SecretStringTemplate: '{"accessKeyId":"AKUS","role":"admin"}',
          GenerateStringKey: 'secretAccessKey',
          PasswordLength: 40,
          ExcludePunctuation: true,
        },
      },
    },
    Queue: { Type: 'AWS::SQS::Queue' },
    Dlq: { Type: 'AWS::SQS::Queue' },
    ShadowFn: {
      Type: 'AWS::Lambda::Function',
      Metadata: { 'understudy:function': 'shadow' },
      Properties: {
        Timeout: 60,
        MemorySize: 1024,
        Environment: {
          Variables: {
            NODE_OPTIONS: '--enable-source-maps',
            UNDERSTUDY_REGISTRY_TABLE: { Ref: 'Table' },
            UNDERSTUDY_BUCKET: { Ref: 'Bucket' },
            UNDERSTUDY_KEYS_KMS_KEY_ID: { Ref: 'Key' },
            UNDERSTUDY_ADMIN_KEY_SECRET_ID: 'Understudy/admin-access-key',
          },
        },
      },
    },
    InvokeFn: {
      Type: 'AWS::Lambda::Function',
      Metadata: { 'understudy:function': 'invoke' },
      Properties: {
        Timeout: 30,
        Environment: {
          Variables: {
            UNDERSTUDY_REGISTRY_TABLE: { Ref: 'Table' },
            UNDERSTUDY_MIRROR_QUEUE_URL: { Ref: 'Queue' },
            QUEUE_ARN: { 'Fn::GetAtt': ['Queue', 'Arn'] },
            PREFIXED: {
              'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::', { Ref: 'Bucket' }, '/*']],
            },
            // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax
            SUBBED: { 'Fn::Sub': '${Table}@${AWS::Region}/${Key.Arn}' },
            MISSING: { Ref: 'NotThere' },
          },
        },
      },
    },
    ControlFn: { Type: 'AWS::Lambda::Function', Metadata: { 'understudy:function': 'control' } },
    OtherFn: { Type: 'AWS::Lambda::Function' },
    Policy: {
      Type: 'AWS::IAM::Policy',
      Properties: { PolicyDocument: { Statement: [{ Resource: { Ref: 'Secret' } }] } },
      DependsOn: ['Secret', 'Table'],
    } as CfnTemplate['Resources'][string],
    Api: { Type: 'AWS::ApiGatewayV2::Api' },
    InvokeIntegration: {
      Type: 'AWS::ApiGatewayV2::Integration',
      Properties: {
        ApiId: { Ref: 'Api' },
        IntegrationType: 'AWS_PROXY',
        IntegrationUri: { 'Fn::GetAtt': ['InvokeFn', 'Arn'] },
        PayloadFormatVersion: '2.0',
      },
    },
    InvokeRoute: {
      Type: 'AWS::ApiGatewayV2::Route',
      Properties: {
        ApiId: { Ref: 'Api' },
        RouteKey: 'POST /endpoints/{EndpointName}/invocations',
        Target: { 'Fn::Join': ['', ['integrations/', { Ref: 'InvokeIntegration' }]] },
      },
    },
    Mapping: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: {
        BatchSize: 50,
        EventSourceArn: { 'Fn::GetAtt': ['Queue', 'Arn'] },
        FunctionName: { Ref: 'ShadowFn' },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        MaximumBatchingWindowInSeconds: 2,
      },
    },
    Tick: {
      Type: 'AWS::Events::Rule',
      Properties: {
        ScheduleExpression: 'rate(5 minutes)',
        State: 'ENABLED',
        Targets: [{ Arn: { 'Fn::GetAtt': ['ShadowFn', 'Arn'] }, Id: 'Target0' }],
      },
    },
    Pattern: { Type: 'AWS::Events::Rule', Properties: { EventPattern: { source: ['x'] } } },
  },
  Outputs: {
    ApiUrl: { Value: { 'Fn::GetAtt': ['Api', 'ApiEndpoint'] } },
    TableName: { Value: { Ref: 'Table' } },
    SecretArn: { Value: { Ref: 'Secret' } },
  },
};

const ctx: StackContext = {
  accountId: '123456789012',
  region: 'us-east-1',
  stackName: 'Understudy',
  physicalIds: {
    Table: 'Understudy-Table-ABC',
    Bucket: 'understudy-bucket-abc',
    Key: 'key-id-1',
    Queue: 'http://127.0.0.1:4566/123456789012/Understudy-Queue-XYZ',
    ShadowFn: 'Understudy-ShadowFn-1',
    InvokeFn: 'Understudy-InvokeFn-1',
    Tick: 'Understudy-Tick-1',
  },
};

describe('intrinsics', () => {
  it('resolves Ref, Fn::GetAtt, Fn::Join, Fn::Sub and pseudo parameters', () => {
    expect(resolveValue(template, ctx, { Ref: 'Table' })).toBe('Understudy-Table-ABC');
    expect(resolveValue(template, ctx, { Ref: 'AWS::Region' })).toBe('us-east-1');
    expect(resolveValue(template, ctx, { 'Fn::GetAtt': ['Queue', 'Arn'] })).toBe(
      'arn:aws:sqs:us-east-1:123456789012:Understudy-Queue-XYZ',
    );
    expect(resolveValue(template, ctx, { 'Fn::GetAtt': ['Table', 'Arn'] })).toBe(
      'arn:aws:dynamodb:us-east-1:123456789012:table/Understudy-Table-ABC',
    );
    expect(resolveValue(template, ctx, { 'Fn::GetAtt': ['Key', 'Arn'] })).toBe(
      'arn:aws:kms:us-east-1:123456789012:key/key-id-1',
    );
    expect(resolveValue(template, ctx, { 'Fn::GetAtt': ['ShadowFn', 'Arn'] })).toBe(
      'arn:aws:lambda:us-east-1:123456789012:function:Understudy-ShadowFn-1',
    );
    expect(resolveValue(template, ctx, { 'Fn::Select': [1, { 'Fn::Split': ['/', 'a/b/c'] }] })).toBe('b');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax
    const sub = { 'Fn::Sub': ['${X}-${AWS::AccountId}', { X: { Ref: 'Bucket' } }] };
    expect(resolveValue(template, ctx, sub)).toBe('understudy-bucket-abc-123456789012');
    expect(resolveValue(template, ctx, 'plain')).toBe('plain');
    expect(resolveValue(template, ctx, 3)).toBe('3');
  });

  it('answers undefined for what the stack lacks', () => {
    expect(resolveValue(template, ctx, { Ref: 'NotThere' })).toBeUndefined();
    expect(resolveValue(template, ctx, { 'Fn::GetAtt': ['Api', 'ApiEndpoint'] })).toBeUndefined();
    expect(resolveValue(template, ctx, { 'Fn::If': ['c', 'a', 'b'] })).toBeUndefined();
  });

  it('turns a queue name into the URL Ref gives', () => {
    const named = { ...ctx, physicalIds: { ...ctx.physicalIds, Queue: 'q1' } };
    expect(resolveValue(template, named, { Ref: 'Queue' })).toBe(
      'https://sqs.us-east-1.amazonaws.com/123456789012/q1',
    );
  });

  it('finds referenced logical ids', () => {
    expect(referencedLogicalIds(template, template.Resources.InvokeFn?.Properties).sort()).toEqual([
      'Bucket',
      'Key',
      'Queue',
      'Table',
    ]);
  });
});

describe('functions and their environment', () => {
  const functions = localFunctions(template);

  it('finds the functions tagged with understudy:function', () => {
    expect(functions.map((f) => [f.logicalId, f.name, f.spec.entry, f.timeoutSeconds])).toEqual([
      ['ShadowFn', 'shadow', 'lambdas/shadow/handler.ts', 60],
      ['InvokeFn', 'invoke', 'lambdas/invoke/handler.ts', 30],
      ['ControlFn', 'control', 'lambdas/control/handler.ts', 3],
    ]);
  });

  it('rejects metadata naming an unknown function', () => {
    const bad: CfnTemplate = {
      Resources: { F: { Type: 'AWS::Lambda::Function', Metadata: { 'understudy:function': 'nope' } } },
    };
    expect(() => localFunctions(bad)).toThrow(/nope/);
  });

  it('resolves the union of the variables against the stack', () => {
    const { env, conflicts, unresolved } = resolveFunctionEnvironment(template, ctx, functions);
    expect(env).toEqual({
      UNDERSTUDY_REGISTRY_TABLE: 'Understudy-Table-ABC',
      UNDERSTUDY_BUCKET: 'understudy-bucket-abc',
      UNDERSTUDY_KEYS_KMS_KEY_ID: 'key-id-1',
      UNDERSTUDY_ADMIN_KEY_SECRET_ID: 'Understudy/admin-access-key',
      UNDERSTUDY_MIRROR_QUEUE_URL: 'http://127.0.0.1:4566/123456789012/Understudy-Queue-XYZ',
      QUEUE_ARN: 'arn:aws:sqs:us-east-1:123456789012:Understudy-Queue-XYZ',
      PREFIXED: 'arn:aws:s3:::understudy-bucket-abc/*',
      SUBBED: 'Understudy-Table-ABC@us-east-1/arn:aws:kms:us-east-1:123456789012:key/key-id-1',
    });
    expect(conflicts).toEqual([]);
    expect(unresolved).toEqual(['InvokeFn.MISSING']);
  });

  it('reports variables the functions disagree on', () => {
    const other = { ...ctx, physicalIds: { ...ctx.physicalIds } };
    const disagreeing = functions.map((f, i) => ({ ...f, environment: { SAME: 'x', DIFF: `v${i}` } }));
    const { env, conflicts } = resolveFunctionEnvironment(template, other, disagreeing);
    expect(env).toEqual({ SAME: 'x', DIFF: 'v0' });
    expect(conflicts).toEqual(['DIFF']);
  });
});

describe('triggers', () => {
  it('routes go through their integration to a function', () => {
    expect(httpRoutes(template)).toEqual({
      routes: [
        {
          logicalId: 'InvokeRoute',
          routeKey: 'POST /endpoints/{EndpointName}/invocations',
          functionLogicalId: 'InvokeFn',
          payloadFormatVersion: '2.0',
        },
      ],
      skipped: [],
    });
  });

  it('event source mappings', () => {
    expect(queueEventSources(template)).toEqual([
      {
        logicalId: 'Mapping',
        queueLogicalId: 'Queue',
        functionLogicalId: 'ShadowFn',
        batchSize: 50,
        maximumBatchingWindowInSeconds: 2,
        reportBatchItemFailures: true,
        enabled: true,
      },
    ]);
  });

  it('scheduled rules (not event-pattern ones)', () => {
    expect(scheduleRules(template)).toEqual([
      {
        logicalId: 'Tick',
        scheduleExpression: 'rate(5 minutes)',
        enabled: true,
        targets: [{ id: 'Target0', functionLogicalId: 'ShadowFn' }],
      },
    ]);
  });
});

describe('the template handed to the emulator', () => {
  const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:Understudy/admin-access-key-AbCdEf';
  const adapted = adaptTemplateForEmulator(template, { Secret: arn });

  it('leaves out the secrets the platform creates and puts their ARN where they were referenced', () => {
    expect(adapted.Resources.Secret).toBeUndefined();
    const policy = adapted.Resources.Policy as unknown as {
      Properties: { PolicyDocument: { Statement: { Resource: unknown }[] } };
      DependsOn: string[];
    };
    expect(policy.Properties.PolicyDocument.Statement[0]?.Resource).toBe(arn);
    expect(policy.DependsOn).toEqual(['Table']);
  });

  it('drops outputs of skipped resources and keeps the rest', () => {
    expect(Object.keys(adapted.Outputs ?? {})).toEqual(['TableName', 'SecretArn']);
    expect(adapted.Outputs?.SecretArn?.Value).toBe(arn);
  });

  it('disables event source mappings (the local runtime polls)', () => {
    expect(adapted.Resources.Mapping?.Properties?.Enabled).toBe(false);
    expect(template.Resources.Mapping?.Properties?.Enabled).toBeUndefined();
  });

  it('keeps scheduled rules without targets (moto would fail every PutEvents on them)', () => {
    expect(adapted.Resources.Tick?.Properties?.ScheduleExpression).toBe('rate(5 minutes)');
    expect(adapted.Resources.Tick?.Properties?.Targets).toBeUndefined();
    expect(template.Resources.Tick?.Properties?.Targets).toBeDefined();
  });
});

describe('generated secrets', () => {
  it('fills the template key with a password of the requested kind', () => {
    const value = JSON.parse(
      generateSecretString({
        SecretStringTemplate: '{"accessKeyId":"AKUS","role":"admin"}',
        GenerateStringKey: 'secretAccessKey',
        PasswordLength: 40,
        ExcludePunctuation: true,
      }),
    ) as Record<string, string>;
    expect(value.accessKeyId).toBe('AKUS');
    expect(value.role).toBe('admin');
    expect(value.secretAccessKey).toMatch(/^[A-Za-z0-9]{40}$/);
  });

  it('includes each character class unless excluded', () => {
    for (let i = 0; i < 20; i++) {
      const password = generatePassword({ PasswordLength: 8, ExcludeCharacters: 'abc' });
      expect(password).toHaveLength(8);
      expect(password).toMatch(/[a-z]/);
      expect(password).toMatch(/[A-Z]/);
      expect(password).toMatch(/[0-9]/);
      expect(password).toMatch(/[^A-Za-z0-9]/);
      expect(password).not.toMatch(/[abc]/);
    }
    expect(generatePassword({})).toHaveLength(32);
    expect(
      generatePassword({ ExcludeLowercase: true, ExcludeUppercase: true, ExcludePunctuation: true }),
    ).toMatch(/^[0-9]{32}$/);
  });

  it('without a template the secret is the password itself', () => {
    expect(generateSecretString({ PasswordLength: 12, ExcludePunctuation: true })).toMatch(
      /^[A-Za-z0-9]{12}$/,
    );
    expect(() => generateSecretString({ SecretStringTemplate: '{}' })).toThrow(/GenerateStringKey/);
  });
});
