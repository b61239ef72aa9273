/**
 * What it takes for moto's CloudFormation to accept the synthesized template.
 *
 * moto (5.2.1) silently skips resource types it has no CloudFormation model for, and a
 * reference to a skipped resource becomes null. Two cases break stack creation outright:
 *  - an Output with `Fn::GetAtt` of a skipped resource (the HTTP API's `ApiUrl`) crashes
 *    CreateStack (bare) or every later DescribeStacks (nested in Fn::Join) with an HTTP 500,
 *    and a `Ref` of one yields the string "None": outputs that refer to skipped resources are
 *    left out of the emulator's template (nothing local could use them);
 *  - an IAM policy statement whose only Resource is a skipped resource (`Ref` of the admin
 *    key's secret) is rejected as "Policy statement must contain resources": the platform
 *    creates the stack's secrets itself before the stack (see secrets.ts), removes them from
 *    the template handed to the emulator, and puts their ARNs where they were referenced.
 * And one thing works when it should not: with an enabled SQS event source mapping, moto's
 * SendMessage itself receives up to BatchSize visible messages of the queue (raising their
 * receive counts, so they hit the redrive policy early) and tries to run the function in
 * Docker. The local runtime does the polling, so the emulator's mappings are created with
 * `Enabled: false`.
 * Likewise a scheduled rule (`ScheduleExpression`, no `EventPattern`) with a Lambda target:
 * moto's PutEvents matches every event against it and then fails the whole call with an HTTP
 * 500 because it cannot invoke Lambda targets, so no event could be put on the default bus
 * (Model Monitor's alerts). The local runtime fires scheduled rules itself from the template,
 * so the emulator's scheduled rules are created without targets.
 * Everything else in the template goes to the emulator unchanged.
 */
import { type CfnResource, type CfnTemplate, referencedLogicalIds } from './template.js';

/**
 * Resource types moto 5.2.1's CloudFormation does not create (checked against its model map);
 * outputs referring to them are left out. On an emulator that does create some of them the
 * only loss is those outputs, which the local platform does not use.
 */
export const EMULATOR_SKIPPED_TYPES: ReadonlySet<string> = new Set([
  'AWS::ApiGatewayV2::Api',
  'AWS::ApiGatewayV2::Integration',
  'AWS::ApiGatewayV2::Route',
  'AWS::ApiGatewayV2::Stage',
  'AWS::S3::BucketPolicy',
  'AWS::SQS::QueuePolicy',
  'AWS::SecretsManager::Secret',
  'AWS::Scheduler::Schedule',
  'AWS::CloudWatch::Alarm',
  'AWS::CDK::Metadata',
]);

/** Resource types the platform creates itself, before the stack, through the service's API. */
export const SELF_MANAGED_TYPES: ReadonlySet<string> = new Set(['AWS::SecretsManager::Secret']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Replaces Ref / Fn::GetAtt / `${Id}` of the substituted resources with their literal values. */
function substitute(value: unknown, literals: Readonly<Record<string, string>>): unknown {
  if (Array.isArray(value)) return value.map((item) => substitute(item, literals));
  if (!isRecord(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const ref = value.Ref;
    if (typeof ref === 'string' && ref in literals) return literals[ref];
    const getAtt = value['Fn::GetAtt'];
    if (getAtt !== undefined) {
      const id = Array.isArray(getAtt) ? getAtt[0] : String(getAtt).split('.')[0];
      if (typeof id === 'string' && id in literals) return literals[id];
    }
    const sub = value['Fn::Sub'];
    if (sub !== undefined) {
      const replaceIn = (text: string) =>
        text.replace(/\$\{([^}!.]+)(\.[^}]*)?\}/g, (whole, id: string) => literals[id] ?? whole);
      if (typeof sub === 'string') return { 'Fn::Sub': replaceIn(sub) };
      if (Array.isArray(sub) && typeof sub[0] === 'string') {
        return { 'Fn::Sub': [replaceIn(sub[0]), substitute(sub[1], literals)] };
      }
    }
  }
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) result[key] = substitute(item, literals);
  return result;
}

/**
 * The template as handed to the emulator: self-managed resources removed and references to
 * them replaced by `literals` (logical id → the value `Ref` gives, e.g. a secret's ARN), and
 * the outputs that refer to resources the emulator skips left out (they would be absent anyway),
 * event source mappings disabled (the local runtime polls instead), scheduled rules without
 * targets (the local runtime fires them).
 */
export function adaptTemplateForEmulator(
  template: CfnTemplate,
  literals: Readonly<Record<string, string>>,
  skippedTypes: ReadonlySet<string> = EMULATOR_SKIPPED_TYPES,
): CfnTemplate {
  const removed = new Set(
    Object.entries(template.Resources)
      .filter(([, resource]) => SELF_MANAGED_TYPES.has(resource.Type))
      .map(([id]) => id),
  );
  const resources: Record<string, CfnResource> = {};
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (removed.has(id)) continue;
    const adapted = substitute(resource, literals) as CfnResource & {
      DependsOn?: unknown;
      Properties?: Record<string, unknown>;
    };
    if (adapted.Type === 'AWS::Lambda::EventSourceMapping') {
      adapted.Properties = { ...adapted.Properties, Enabled: false };
    }
    if (adapted.Type === 'AWS::Events::Rule' && adapted.Properties?.ScheduleExpression !== undefined) {
      const { Targets: _targets, ...properties } = adapted.Properties;
      adapted.Properties = properties;
    }
    if (adapted.DependsOn !== undefined) {
      const dependsOn = (Array.isArray(adapted.DependsOn) ? adapted.DependsOn : [adapted.DependsOn]).filter(
        (dep) => !removed.has(String(dep)),
      );
      if (dependsOn.length === 0) delete adapted.DependsOn;
      else adapted.DependsOn = dependsOn;
    }
    resources[id] = adapted;
  }
  const outputs: Record<string, { Value: unknown }> = {};
  for (const [key, output] of Object.entries(template.Outputs ?? {})) {
    const value = substitute(output.Value, literals);
    if (
      referencedLogicalIds(template, value).some((id) => skippedTypes.has(template.Resources[id]?.Type ?? ''))
    ) {
      continue;
    }
    outputs[key] = { ...output, Value: value };
  }
  return { ...template, Resources: resources, Outputs: outputs };
}
