import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, DefaultStackSynthesizer } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { UnderstudyStack } from '../../infra/understudy-stack.js';
import { FUNCTION_METADATA_KEY } from '../../lambdas/functions.js';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The stack's template, synthesized without bundling (esbuild's job, covered by `npm run synth`). */
export function synthesizeStack(id: string, props: { allowedKmsKeyArns?: readonly string[] } = {}): Template {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new UnderstudyStack(app, id, {
    projectRoot,
    ...props,
    synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }),
  });
  return Template.fromStack(stack);
}

/** The logical id of the function whose FUNCTIONS name is `name`. */
export function functionId(template: Template, name: string): string {
  const functions = template.findResources('AWS::Lambda::Function');
  const entry = Object.entries(functions).find(
    ([, f]) => (f.Metadata as Record<string, string>)[FUNCTION_METADATA_KEY] === name,
  );
  if (!entry) throw new Error(`no ${name} function`);
  return entry[0];
}

/** The statements of every IAM policy attached to the function's role, as JSON. */
export function policyOf(template: Template, functionName: string): string {
  const role =
    template.findResources('AWS::Lambda::Function')[functionId(template, functionName)]?.Properties.Role;
  const roleId = (role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
    JSON.stringify(p.Properties.Roles).includes(String(roleId)),
  );
  return JSON.stringify(policies.map((p) => p.Properties.PolicyDocument.Statement));
}
