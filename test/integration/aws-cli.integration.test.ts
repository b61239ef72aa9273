import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expected } from '../support/models.js';
import { env, unique, uploadFixture } from './platform.js';

/** The AWS CLI v2 (Debian's `awscli` package installs it at /usr/bin/aws; .ci/run does). */
function findAwsCliV2(): string {
  for (const candidate of [process.env.AWS_CLI_V2, '/usr/bin/aws', '/usr/local/bin/aws', 'aws']) {
    if (!candidate) continue;
    try {
      const version = execFileSync(candidate, ['--version'], { encoding: 'utf8' });
      if (version.startsWith('aws-cli/2.')) return candidate;
    } catch {
      // not this one
    }
  }
  throw new Error('AWS CLI v2 not found: install it (apt-get install awscli) or set AWS_CLI_V2');
}

describe('end to end with the AWS CLI v2', () => {
  const aws = findAwsCliV2();
  const work = mkdtempSync(path.join(tmpdir(), 'understudy-cli-'));
  const cliEnv = {
    PATH: process.env.PATH ?? '',
    HOME: work,
    AWS_CONFIG_FILE: path.join(work, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(work, 'credentials'),
    AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID ?? '',
    AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY ?? '',
    AWS_DEFAULT_REGION: env.AWS_REGION ?? 'us-east-1',
    AWS_PAGER: '',
  };
  const cli = (...args: string[]) =>
    execFileSync(aws, ['--endpoint-url', env.UNDERSTUDY_URL ?? '', '--output', 'json', ...args], {
      env: cliEnv,
      encoding: 'utf8',
    });
  const cliError = (...args: string[]) => {
    try {
      cli(...args);
    } catch (error) {
      return String((error as { stderr: string }).stderr);
    }
    throw new Error('expected the command to fail');
  };

  /** `aws sagemaker create-model` of the regressor fixture, with `extra` arguments. */
  const createModel = async (name: string, ...extra: string[]): Promise<{ ModelArn: string }> => {
    const modelDataUrl = await uploadFixture('regressor.onnx', `models/${name}/model.onnx`);
    return JSON.parse(
      cli(
        'sagemaker',
        'create-model',
        '--model-name',
        name,
        // The CLI's (older) service model insists on a role; Understudy records it and uses none.
        '--execution-role-arn',
        'arn:aws:iam::123456789012:role/understudy',
        '--primary-container',
        `Image=any,ModelDataUrl=${modelDataUrl}`,
        ...extra,
      ),
    );
  };

  it('registers, deploys and invokes a model', async () => {
    const name = unique('cli');
    const created = await createModel(name);
    expect(created.ModelArn).toMatch(new RegExp(`:model/${name}$`));
    cli(
      'sagemaker',
      'create-endpoint-config',
      '--endpoint-config-name',
      name,
      '--production-variants',
      `VariantName=AllTraffic,ModelName=${name},InitialVariantWeight=1`,
    );
    cli('sagemaker', 'create-endpoint', '--endpoint-name', name, '--endpoint-config-name', name);
    const described = JSON.parse(cli('sagemaker', 'describe-endpoint', '--endpoint-name', name));
    expect(described.EndpointStatus).toBe('InService');

    const input = path.join(work, 'rows.csv');
    const output = path.join(work, 'answer.json');
    writeFileSync(input, `${expected.inputs.map((r) => r.join(',')).join('\n')}\n`);
    const meta = JSON.parse(
      cli(
        'sagemaker-runtime',
        'invoke-endpoint',
        '--endpoint-name',
        name,
        '--content-type',
        'text/csv',
        '--body',
        `fileb://${input}`,
        output,
      ),
    );
    expect(meta.InvokedProductionVariant).toBe('AllTraffic');
    const answer = JSON.parse(readFileSync(output, 'utf8'));
    answer.predictions.forEach((p: number, i: number) => {
      expect(p).toBeCloseTo(expected.models['regressor.onnx'].score[i] as number, 5);
    });

    const listed = JSON.parse(cli('sagemaker', 'list-endpoints', '--name-contains', name));
    expect(listed.Endpoints.map((e: { EndpointName: string }) => e.EndpointName)).toEqual([name]);
  });

  it('tags a model on create-model --tags, then with add-tags, list-tags and delete-tags', async () => {
    const name = unique('cli-tags');
    const { ModelArn } = await createModel(name, '--tags', 'Key=team,Value=risk', 'Key=stage,Value=dev');
    const tagsOf = () => JSON.parse(cli('sagemaker', 'list-tags', '--resource-arn', ModelArn)).Tags;
    expect(tagsOf()).toEqual([
      { Key: 'team', Value: 'risk' },
      { Key: 'stage', Value: 'dev' },
    ]);
    cli(
      'sagemaker',
      'add-tags',
      '--resource-arn',
      ModelArn,
      '--tags',
      'Key=stage,Value=prod',
      'Key=cost,Value=42',
    );
    cli('sagemaker', 'delete-tags', '--resource-arn', ModelArn, '--tag-keys', 'team');
    expect(tagsOf()).toEqual([
      { Key: 'stage', Value: 'prod' },
      { Key: 'cost', Value: '42' },
    ]);

    const tooMany = Array.from({ length: 49 }, (_, i) => `Key=k${i},Value=v`);
    expect(cliError('sagemaker', 'add-tags', '--resource-arn', ModelArn, '--tags', ...tooMany)).toMatch(
      /ValidationException.*at most 50/,
    );
    expect(tagsOf()).toHaveLength(2);
    cli('sagemaker', 'delete-model', '--model-name', name);
    // Its tags went with it: an ARN that names no resource.
    expect(cliError('sagemaker', 'list-tags', '--resource-arn', ModelArn)).toMatch(
      /ValidationException.*Could not find resource/,
    );
  });

  it('shows typed errors', () => {
    expect(cliError('sagemaker', 'describe-endpoint', '--endpoint-name', 'nope')).toMatch(
      /ValidationException.*Could not find endpoint/,
    );
    const bad = path.join(work, 'bad.csv');
    writeFileSync(bad, '1,2\n');
    expect(
      cliError(
        'sagemaker-runtime',
        'invoke-endpoint',
        '--endpoint-name',
        'nope',
        '--content-type',
        'text/csv',
        '--body',
        `fileb://${bad}`,
        path.join(work, 'x'),
      ),
    ).toMatch(/ValidationError.*not found/);
  });
});
