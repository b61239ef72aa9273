/**
 * Reading the synthesized CloudFormation template: the resources the local runtime acts on
 * (functions, routes, event source mappings, schedules) and the intrinsic functions their
 * properties use, resolved against the physical resources of the deployed stack.
 * Everything here is pure; the values of a live stack come in through a StackContext.
 */
import { FUNCTION_METADATA_KEY, FUNCTIONS, type FunctionSpec } from '../../lambdas/functions.js';

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly Condition?: string;
}

export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
  readonly Outputs?: Record<string, { readonly Value: unknown }>;
  readonly Parameters?: Record<string, { readonly Default?: unknown }>;
}

/** What the template's intrinsics resolve against. */
export interface StackContext {
  readonly accountId: string;
  readonly region: string;
  readonly partition?: string;
  readonly stackName: string;
  readonly stackId?: string;
  /** Logical id → physical resource id, from DescribeStackResources. */
  readonly physicalIds: Readonly<Record<string, string>>;
}

/** Thrown (internally) when an intrinsic cannot be resolved; resolveValue returns undefined then. */
class Unresolvable extends Error {}

function partitionOf(ctx: StackContext): string {
  return ctx.partition ?? 'aws';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The last segment of a queue URL or ARN: the queue's name. */
function queueNameOf(physicalId: string): string {
  const parts = physicalId.split(/[/:]/);
  return parts[parts.length - 1] ?? physicalId;
}

function refOf(template: CfnTemplate, ctx: StackContext, name: string): string {
  switch (name) {
    case 'AWS::AccountId':
      return ctx.accountId;
    case 'AWS::Region':
      return ctx.region;
    case 'AWS::Partition':
      return partitionOf(ctx);
    case 'AWS::StackName':
      return ctx.stackName;
    case 'AWS::StackId':
      if (ctx.stackId) return ctx.stackId;
      throw new Unresolvable(name);
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
  }
  const physical = ctx.physicalIds[name];
  if (physical !== undefined) {
    const type = template.Resources[name]?.Type;
    if (type === 'AWS::SQS::Queue' && !physical.startsWith('http')) {
      // Ref of a queue is its URL; be tolerant of emulators that report the name.
      return `https://sqs.${ctx.region}.amazonaws.com/${ctx.accountId}/${physical}`;
    }
    return physical;
  }
  const parameter = template.Parameters?.[name];
  if (parameter?.Default !== undefined) return String(parameter.Default);
  throw new Unresolvable(`Ref ${name}`);
}

/** Fn::GetAtt for the attributes functions and pipelines refer to, derived from physical ids. */
function getAttOf(template: CfnTemplate, ctx: StackContext, logicalId: string, attribute: string): string {
  const type = template.Resources[logicalId]?.Type;
  const physical = ctx.physicalIds[logicalId];
  if (type === undefined || physical === undefined)
    throw new Unresolvable(`GetAtt ${logicalId}.${attribute}`);
  const p = partitionOf(ctx);
  const { region, accountId } = ctx;
  switch (`${type}.${attribute}`) {
    case 'AWS::SQS::Queue.Arn':
      return `arn:${p}:sqs:${region}:${accountId}:${queueNameOf(physical)}`;
    case 'AWS::SQS::Queue.QueueName':
      return queueNameOf(physical);
    case 'AWS::SQS::Queue.QueueUrl':
      return refOf(template, ctx, logicalId);
    case 'AWS::DynamoDB::Table.Arn':
      return `arn:${p}:dynamodb:${region}:${accountId}:table/${physical}`;
    case 'AWS::KMS::Key.Arn':
      return physical.startsWith('arn:') ? physical : `arn:${p}:kms:${region}:${accountId}:key/${physical}`;
    case 'AWS::KMS::Key.KeyId':
      return physical.startsWith('arn:') ? (physical.split('/').pop() ?? physical) : physical;
    case 'AWS::Lambda::Function.Arn':
      return physical.startsWith('arn:')
        ? physical
        : `arn:${p}:lambda:${region}:${accountId}:function:${physical}`;
    case 'AWS::S3::Bucket.Arn':
      return `arn:${p}:s3:::${physical}`;
    case 'AWS::S3::Bucket.DomainName':
      return `${physical}.s3.amazonaws.com`;
    case 'AWS::S3::Bucket.RegionalDomainName':
      return `${physical}.s3.${region}.amazonaws.com`;
    case 'AWS::Events::Rule.Arn':
      return physical.startsWith('arn:')
        ? physical
        : `arn:${p}:events:${region}:${accountId}:rule/${physical}`;
    case 'AWS::IAM::Role.Arn':
      return physical.startsWith('arn:') ? physical : `arn:${p}:iam::${accountId}:role/${physical}`;
    case 'AWS::SNS::Topic.TopicArn':
      return physical;
    case 'AWS::SNS::Topic.TopicName':
      return physical.split(':').pop() ?? physical;
    case 'AWS::SecretsManager::Secret.Id':
      return physical;
  }
  throw new Unresolvable(`GetAtt ${logicalId}.${attribute} (${type})`);
}

function subOf(
  template: CfnTemplate,
  ctx: StackContext,
  text: string,
  variables: Record<string, unknown>,
): string {
  return text.replace(/\$\{([^}]+)\}/g, (_whole, name: string) => {
    if (name.startsWith('!')) return `\${${name.slice(1)}}`;
    if (name in variables) return resolveStrict(template, ctx, variables[name]);
    const dot = name.indexOf('.');
    if (dot > 0 && !name.startsWith('AWS::'))
      return getAttOf(template, ctx, name.slice(0, dot), name.slice(dot + 1));
    return refOf(template, ctx, name);
  });
}

function resolveStrict(template: CfnTemplate, ctx: StackContext, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (!isRecord(value)) throw new Unresolvable(JSON.stringify(value));
  const [key, ...more] = Object.keys(value);
  if (key === undefined || more.length > 0) throw new Unresolvable(JSON.stringify(value));
  const arg = value[key];
  switch (key) {
    case 'Ref':
      return refOf(template, ctx, String(arg));
    case 'Fn::GetAtt': {
      const [logicalId, attribute] = Array.isArray(arg) ? arg : String(arg).split(/\.(.*)/);
      return getAttOf(template, ctx, String(logicalId), String(attribute));
    }
    case 'Fn::Join': {
      if (!Array.isArray(arg) || !Array.isArray(arg[1])) throw new Unresolvable('Fn::Join');
      return (arg[1] as unknown[]).map((part) => resolveStrict(template, ctx, part)).join(String(arg[0]));
    }
    case 'Fn::Sub': {
      if (typeof arg === 'string') return subOf(template, ctx, arg, {});
      if (Array.isArray(arg) && typeof arg[0] === 'string' && (arg[1] === undefined || isRecord(arg[1]))) {
        return subOf(template, ctx, arg[0], (arg[1] as Record<string, unknown> | undefined) ?? {});
      }
      throw new Unresolvable('Fn::Sub');
    }
    case 'Fn::Select': {
      if (!Array.isArray(arg)) throw new Unresolvable('Fn::Select');
      const index = Number(resolveStrict(template, ctx, arg[0]));
      const list = resolveList(template, ctx, arg[1]);
      const item = list[index];
      if (item === undefined) throw new Unresolvable('Fn::Select index');
      return item;
    }
  }
  throw new Unresolvable(key);
}

function resolveList(template: CfnTemplate, ctx: StackContext, value: unknown): string[] {
  if (Array.isArray(value)) return value.map((item) => resolveStrict(template, ctx, item));
  if (isRecord(value) && 'Fn::Split' in value) {
    const arg = value['Fn::Split'];
    if (!Array.isArray(arg)) throw new Unresolvable('Fn::Split');
    return resolveStrict(template, ctx, arg[1]).split(String(arg[0]));
  }
  throw new Unresolvable('list');
}

/**
 * Resolves a property value (plain scalar, Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select,
 * Fn::Split) to a string, or undefined when it refers to something the stack lacks.
 */
export function resolveValue(template: CfnTemplate, ctx: StackContext, value: unknown): string | undefined {
  try {
    return resolveStrict(template, ctx, value);
  } catch (error) {
    if (error instanceof Unresolvable) return undefined;
    throw error;
  }
}

/** Every logical id a value refers to (Ref, Fn::GetAtt, and `${Id}` / `${Id.Attr}` in Fn::Sub). */
export function referencedLogicalIds(template: CfnTemplate, value: unknown): string[] {
  const found = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (!isRecord(node)) return;
    for (const [key, arg] of Object.entries(node)) {
      if (key === 'Ref' && typeof arg === 'string') found.add(arg);
      else if (key === 'Fn::GetAtt') {
        const id = Array.isArray(arg) ? arg[0] : String(arg).split('.')[0];
        if (typeof id === 'string') found.add(id);
      } else if (key === 'Fn::Sub') {
        const text = Array.isArray(arg) ? arg[0] : arg;
        if (typeof text === 'string') {
          for (const match of text.matchAll(/\$\{([^}!.]+)(?:\.[^}]*)?\}/g))
            if (match[1]) found.add(match[1]);
        }
        if (Array.isArray(arg)) visit(arg[1]);
      } else visit(arg);
    }
  };
  visit(value);
  return [...found].filter((id) => id in template.Resources);
}

/** The one resource of the given type a value refers to, if any. */
export function referencedResource(template: CfnTemplate, value: unknown, type: string): string | undefined {
  return referencedLogicalIds(template, value).find((id) => template.Resources[id]?.Type === type);
}

export function resourcesOfType(template: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

export interface LocalFunction {
  readonly logicalId: string;
  /** Key in FUNCTIONS (lambdas/functions.ts). */
  readonly name: string;
  readonly spec: FunctionSpec;
  readonly timeoutSeconds: number;
  readonly memorySizeMb: number;
  /** Environment.Variables as written in the template (unresolved). */
  readonly environment: Record<string, unknown>;
}

/**
 * The stack's functions that the local runtime can run: each AWS::Lambda::Function whose
 * `understudy:function` metadata names an entry in FUNCTIONS.
 */
export function localFunctions(
  template: CfnTemplate,
  specs: Record<string, FunctionSpec> = FUNCTIONS,
): LocalFunction[] {
  const functions: LocalFunction[] = [];
  for (const [logicalId, resource] of resourcesOfType(template, 'AWS::Lambda::Function')) {
    const name = resource.Metadata?.[FUNCTION_METADATA_KEY];
    if (typeof name !== 'string') continue;
    const spec = specs[name];
    if (!spec)
      throw new Error(`${logicalId}: ${FUNCTION_METADATA_KEY} "${name}" is not in lambdas/functions.ts`);
    const props = resource.Properties ?? {};
    const env =
      isRecord(props.Environment) && isRecord(props.Environment.Variables) ? props.Environment.Variables : {};
    functions.push({
      logicalId,
      name,
      spec,
      timeoutSeconds: typeof props.Timeout === 'number' ? props.Timeout : 3,
      memorySizeMb: typeof props.MemorySize === 'number' ? props.MemorySize : 128,
      environment: env,
    });
  }
  return functions;
}

/** Variables Lambda's runtime owns or that only matter when starting a process. */
const UNSETTABLE_ENV = new Set(['NODE_OPTIONS', '_HANDLER', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR']);

/**
 * The union of the functions' environment variables, resolved against the stack. A variable
 * that two functions set to different values is reported in `conflicts` (the first wins),
 * one that cannot be resolved in `unresolved`.
 */
export function resolveFunctionEnvironment(
  template: CfnTemplate,
  ctx: StackContext,
  functions: readonly LocalFunction[],
): { env: Record<string, string>; conflicts: string[]; unresolved: string[] } {
  const env: Record<string, string> = {};
  const conflicts = new Set<string>();
  const unresolved = new Set<string>();
  for (const fn of functions) {
    for (const [key, raw] of Object.entries(fn.environment)) {
      if (UNSETTABLE_ENV.has(key) || key.startsWith('AWS_')) continue;
      const value = resolveValue(template, ctx, raw);
      if (value === undefined) {
        unresolved.add(`${fn.logicalId}.${key}`);
        continue;
      }
      if (key in env && env[key] !== value) conflicts.add(key);
      else env[key] = value;
    }
  }
  return { env, conflicts: [...conflicts], unresolved: [...unresolved] };
}

export interface HttpRoute {
  readonly logicalId: string;
  /** e.g. `POST /endpoints/{EndpointName}/invocations`, `ANY /{proxy+}`, `$default`. */
  readonly routeKey: string;
  readonly functionLogicalId: string;
  readonly payloadFormatVersion: string;
}

/** API Gateway v2 routes whose integration is a Lambda proxy to one of the template's functions. */
export function httpRoutes(template: CfnTemplate): { routes: HttpRoute[]; skipped: string[] } {
  const routes: HttpRoute[] = [];
  const skipped: string[] = [];
  for (const [logicalId, resource] of resourcesOfType(template, 'AWS::ApiGatewayV2::Route')) {
    const props = resource.Properties ?? {};
    const integrationId = referencedResource(template, props.Target, 'AWS::ApiGatewayV2::Integration');
    const integration = integrationId ? template.Resources[integrationId]?.Properties : undefined;
    const functionLogicalId = integration
      ? referencedResource(template, integration.IntegrationUri, 'AWS::Lambda::Function')
      : undefined;
    if (typeof props.RouteKey !== 'string' || !integration || !functionLogicalId) {
      skipped.push(logicalId);
      continue;
    }
    routes.push({
      logicalId,
      routeKey: props.RouteKey,
      functionLogicalId,
      payloadFormatVersion: String(integration.PayloadFormatVersion ?? '2.0'),
    });
  }
  return { routes, skipped };
}

export interface QueueEventSource {
  readonly logicalId: string;
  readonly queueLogicalId: string;
  readonly functionLogicalId: string;
  readonly batchSize: number;
  readonly maximumBatchingWindowInSeconds: number;
  readonly reportBatchItemFailures: boolean;
  readonly enabled: boolean;
  /** ScalingConfig.MaximumConcurrency, when set. */
  readonly maximumConcurrency?: number;
}

/** SQS event source mappings onto the template's functions. */
export function queueEventSources(template: CfnTemplate): QueueEventSource[] {
  const sources: QueueEventSource[] = [];
  for (const [logicalId, resource] of resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')) {
    const props = resource.Properties ?? {};
    const queueLogicalId = referencedResource(template, props.EventSourceArn, 'AWS::SQS::Queue');
    const functionLogicalId = referencedResource(template, props.FunctionName, 'AWS::Lambda::Function');
    if (!queueLogicalId || !functionLogicalId) continue;
    const types = Array.isArray(props.FunctionResponseTypes) ? props.FunctionResponseTypes : [];
    sources.push({
      logicalId,
      queueLogicalId,
      functionLogicalId,
      batchSize: typeof props.BatchSize === 'number' ? props.BatchSize : 10,
      maximumBatchingWindowInSeconds:
        typeof props.MaximumBatchingWindowInSeconds === 'number' ? props.MaximumBatchingWindowInSeconds : 0,
      reportBatchItemFailures: types.includes('ReportBatchItemFailures'),
      enabled: props.Enabled !== false,
      ...(isRecord(props.ScalingConfig) && typeof props.ScalingConfig.MaximumConcurrency === 'number'
        ? { maximumConcurrency: props.ScalingConfig.MaximumConcurrency }
        : {}),
    });
  }
  return sources;
}

export interface ScheduleRule {
  readonly logicalId: string;
  readonly scheduleExpression: string;
  readonly enabled: boolean;
  readonly description?: string;
  readonly targets: readonly {
    readonly id: string;
    readonly functionLogicalId: string;
    /** The target's constant `Input` (JSON text), when it has one. */
    readonly input?: string;
  }[];
}

/** EventBridge rules with a ScheduleExpression and their Lambda targets. */
export function scheduleRules(template: CfnTemplate): ScheduleRule[] {
  const rules: ScheduleRule[] = [];
  for (const [logicalId, resource] of resourcesOfType(template, 'AWS::Events::Rule')) {
    const props = resource.Properties ?? {};
    if (typeof props.ScheduleExpression !== 'string') continue;
    const targets: ScheduleRule['targets'][number][] = [];
    for (const target of Array.isArray(props.Targets) ? props.Targets : []) {
      if (!isRecord(target)) continue;
      const functionLogicalId = referencedResource(template, target.Arn, 'AWS::Lambda::Function');
      if (!functionLogicalId) continue;
      targets.push({
        id: String(target.Id ?? functionLogicalId),
        functionLogicalId,
        ...(typeof target.Input === 'string' ? { input: target.Input } : {}),
      });
    }
    rules.push({
      logicalId,
      scheduleExpression: props.ScheduleExpression,
      enabled: props.State === undefined || props.State === 'ENABLED',
      ...(typeof props.Description === 'string' ? { description: props.Description } : {}),
      targets,
    });
  }
  return rules;
}
