import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, DefaultStackSynthesizer } from 'aws-cdk-lib';
import { UnderstudyStack } from './understudy-stack.js';

/** Default stack name; override with the `stackName` context value. */
export const DEFAULT_STACK_NAME = 'Understudy';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const app = new App();
const stackName = (app.node.tryGetContext('stackName') as string | undefined) ?? DEFAULT_STACK_NAME;

const allowedKmsKeyArns = String(app.node.tryGetContext('allowedKmsKeyArns') ?? '')
  .split(',')
  .map((arn) => arn.trim())
  .filter((arn) => arn !== '');

new UnderstudyStack(app, stackName, {
  projectRoot,
  allowedKmsKeyArns,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  // The bootstrap-version rule reads an SSM parameter that only `cdk bootstrap` creates;
  // leaving it out lets the same template also deploy onto an emulator through CreateStack.
  synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }),
});
app.synth();
