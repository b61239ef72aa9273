import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import {
  DescribeDataQualityJobDefinitionCommand,
  DescribeEndpointCommand,
  DescribeModelPackageCommand,
  ListEndpointsCommand,
} from '@aws-sdk/client-sagemaker';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/errors.js';
import type { Io } from '../../cli/output.js';
import { run } from '../../cli/program.js';
import { openPage } from '../support/browser.js';
import { expected, FIXTURES } from '../support/models.js';
import { env, sagemaker, unique } from './platform.js';

/**
 * Every `understudy` command against the local platform, run in-process (a tsx start per
 * command would cost about a second each); two spawned runs prove the package's bin works.
 * Expected values come from the fixtures (NumPy's outputs), the SDK's own answers, or the test's
 * own computation (sha256), never from the CLI.
 */
const work = mkdtempSync(path.join(tmpdir(), 'understudy-cli-'));

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  // biome-ignore lint/suspicious/noExplicitAny: the CLI's --json output, checked field by field
  json: () => any;
}

async function cli(
  argv: string[],
  options: { stdin?: string; env?: Record<string, string> } = {},
): Promise<Ran> {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    readStdin: async () => Buffer.from(options.stdin ?? ''),
    // Only the platform's env file's variables: nothing of the developer's AWS settings.
    env: options.env ?? { ...env, UNDERSTUDY_ENV_FILE: path.join(work, 'none.env') },
    interactive: false,
    cwd: work,
  };
  const code = await run(argv, io);
  return { code, stdout, stderr, json: () => JSON.parse(stdout) };
}

async function ok(argv: string[], options?: { stdin?: string; env?: Record<string, string> }): Promise<Ran> {
  const ran = await cli(argv, options);
  if (ran.code !== 0) throw new Error(`understudy ${argv.join(' ')} exited ${ran.code}: ${ran.stderr}`);
  return ran;
}

async function until<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 120_000,
): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() - started > timeoutMs) return value;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const csv = (rows: readonly (readonly number[])[]) => `${rows.map((r) => r.join(',')).join('\n')}\n`;

describe('the understudy CLI against the local platform', () => {
  const group = unique('cli');
  const endpoint = unique('cli-ep');
  const file = (name: string, text: string) => {
    const target = path.join(work, name);
    writeFileSync(target, text);
    return target;
  };
  let championArn = '';
  let challengerArn = '';

  beforeAll(() => {
    writeFileSync(path.join(work, 'champion.onnx'), readFileSync(path.join(FIXTURES, 'regressor.onnx')));
    writeFileSync(path.join(work, 'challenger.onnx'), readFileSync(path.join(FIXTURES, 'regressor-v2.onnx')));
  });

  it('status says where it calls and that Understudy answers; an unreachable endpoint exits 6', async () => {
    const status = (await ok(['status', '--json'])).json();
    expect(status).toMatchObject({
      Endpoint: env.UNDERSTUDY_URL,
      Reachable: true,
      Bucket: env.UNDERSTUDY_BUCKET,
    });
    const down = await cli(['status', '--endpoint-url', 'http://127.0.0.1:9']);
    expect(down.code).toBe(EXIT.unreachable);
    expect(down.stderr).toMatch(/cannot reach Understudy/);
    const denied = await cli(['status'], { env: { ...env, AWS_SECRET_ACCESS_KEY: 'wrong' } });
    expect(denied.code).toBe(EXIT.denied);
  });

  it('models register uploads, records the sha256 and registers; list, describe, approve, reject, lineage, history', async () => {
    const metrics = file('metrics.json', JSON.stringify({ regression_metrics: { mse: { value: 0.5 } } }));
    const registered = (
      await ok([
        '--json',
        'models',
        'register',
        'champion.onnx',
        '-g',
        group,
        '--dataset',
        's3://data/train.csv',
        '--metrics',
        metrics,
        '-d',
        'v1',
      ])
    ).json();
    const sha = createHash('sha256')
      .update(readFileSync(path.join(FIXTURES, 'regressor.onnx')))
      .digest('hex');
    expect(registered.Sha256).toBe(sha);
    championArn = registered.ModelPackageArn;
    const described = await sagemaker.send(
      new DescribeModelPackageCommand({ ModelPackageName: championArn }),
    );
    // The platform's own digest of what it stored (the SDK drops UnderstudyArtifact; the CLI reads it raw).
    expect((await ok(['--json', 'models', 'describe', championArn])).json().UnderstudyArtifact.Sha256).toBe(
      sha,
    );
    expect(described.CustomerMetadataProperties).toMatchObject({
      Sha256: sha,
      TrainingDataS3Uri: 's3://data/train.csv',
    });
    expect(described.ModelMetrics?.ModelQuality?.Statistics?.S3Uri).toBe(registered.MetricsS3Uri);
    challengerArn = (await ok(['--json', 'models', 'register', 'challenger.onnx', '-g', group])).json()
      .ModelPackageArn;

    const versions = (await ok(['--json', 'models', 'list', group])).json();
    expect(versions.map((v: { ModelPackageVersion: number }) => v.ModelPackageVersion)).toEqual([1, 2]);
    expect((await ok(['models', 'list'])).stdout).toContain(group);
    expect((await ok(['--json', 'models', 'describe', `${group}/1`])).json().ModelPackageArn).toBe(
      championArn,
    );
    // A group alone names its latest version.
    expect((await ok(['--json', 'models', 'describe', group])).json().ModelPackageArn).toBe(challengerArn);

    await ok(['models', 'approve', `${group}/1`, '--note', 'good enough']);
    expect((await ok(['--json', 'models', 'approve', challengerArn])).json().ModelApprovalStatus).toBe(
      'Approved',
    );
    const history = (await ok(['--json', 'models', 'history', `${group}/1`])).json();
    expect(history.at(-1)).toMatchObject({ Action: 'Updated', To: { ModelApprovalStatus: 'Approved' } });
    const lineage = (await ok(['--json', 'models', 'lineage', `${group}/1`])).json();
    const vertices = lineage.Vertices.map((v: { Arn: string; Type?: string }) => `${v.Type} ${v.Arn}`);
    expect(vertices).toContainEqual(expect.stringMatching(new RegExp(`context/${group}-model-group$`)));
    expect(vertices).toContainEqual(expect.stringMatching(/^DataSet /)); // the --dataset

    const missing = await cli(['models', 'reject', `${group}/9`]);
    expect(missing.code).toBe(EXIT.notFound);
    expect((await cli(['models', 'describe', 'not a/package/ref'])).code).toBe(EXIT.usage);
    expect((await cli(['models', 'register', 'champion.onnx'])).code).toBe(EXIT.usage); // no --group
  });

  it('endpoints deploy, describe, list, invoke from stdin and a file, trace, weights and history', async () => {
    const deployed = (
      await ok(['--json', 'endpoints', 'deploy', endpoint, `main=${group}/1@1`, '--capture', '100'])
    ).json();
    expect(deployed.EndpointStatus).toBe('InService');
    expect(deployed.ProductionVariants.map((v: { VariantName: string }) => v.VariantName)).toEqual(['main']);
    expect((await ok(['endpoints', 'describe', endpoint])).stdout).toMatch(/main\s*│\s*production/);
    expect(
      (await ok(['--json', 'endpoints', 'list'])).json().map((e: { EndpointName: string }) => e.EndpointName),
    ).toContain(endpoint);

    const answer = (
      await ok(['--json', 'invoke', endpoint, '--inference-id', 'cli-1'], { stdin: csv(expected.inputs) })
    ).json();
    expect(answer.InvokedProductionVariant).toBe('main');
    expected.models['regressor.onnx'].score.forEach((score, i) => {
      expect(answer.Body.predictions[i]).toBeCloseTo(score, 4);
    });
    const json = file('rows.json', JSON.stringify({ instances: expected.inputs.slice(0, 1) }));
    const fromFile = await ok(['invoke', endpoint, json]);
    expect(JSON.parse(fromFile.stdout).predictions[0]).toBeCloseTo(
      expected.models['regressor.onnx'].score[0] as number,
      4,
    );

    // The capture reaches S3 through the mirror queue, asynchronously.
    const traced = await until(
      () => cli(['--json', 'trace', endpoint, 'cli-1']),
      (r) => r.code === 0,
    );
    expect(traced.code).toBe(0);
    expect(traced.json()).toMatchObject({
      InferenceId: 'cli-1',
      VariantName: 'main',
      ModelPackageArn: championArn,
    });
    expect((await cli(['trace', endpoint, 'no-such-inference'])).code).toBe(EXIT.notFound);

    await ok(['endpoints', 'weights', endpoint, 'main=2']);
    const weights = await sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpoint }));
    expect(weights.ProductionVariants?.[0]?.CurrentWeight).toBe(2);
    const history = (await ok(['--json', 'endpoints', 'history', endpoint])).json();
    expect(history.map((d: { DeploymentType: string }) => d.DeploymentType)).toEqual([
      'CreateEndpoint',
      'UpdateEndpointWeightsAndCapacities',
    ]);

    expect((await cli(['endpoints', 'deploy', endpoint, 'main'])).code).toBe(EXIT.usage);
    expect((await cli(['endpoints', 'describe', unique('missing')])).code).toBe(EXIT.notFound);
    expect((await cli(['endpoints', 'weights', endpoint, 'nope=1'])).code).toBe(EXIT.rejected);
  });

  it('shadow start, status, report (numbers as sent), promote; endpoints rollback and rollout', async () => {
    const name = `${endpoint}-x`;
    await ok(['shadow', 'start', endpoint, `${group}/2`, '--name', name]);
    const rows = 12;
    for (let i = 0; i < rows; i++)
      await ok(['invoke', endpoint], { stdin: csv([expected.inputs[i % 4] as number[]]) });
    const report = await until(
      async () => (await ok(['--json', 'shadow', 'report', name])).json(),
      (r) => r.ShadowVariants[0].RequestsCompared >= rows,
    );
    expect(report.ShadowVariants[0]).toMatchObject({
      RequestsCompared: rows,
      RowsCompared: rows,
      TaskKind: 'Regression',
    });
    // v2 answers otherwise on every row: nothing agrees.
    expect(report.ShadowVariants[0].AgreementRate.Value).toBe(0);
    expect((await ok(['shadow', 'report', name])).stdout).toMatch(/shadow\s*│\s*\w+/);

    // The self-contained HTML page, opened in headless Chromium: charts drawn, the API's numbers, no errors.
    const html = (await ok(['--json', 'shadow', 'report', name, '--html', 'shadow.html'])).json();
    const variant = html.ShadowVariants[0];
    const opened = await openPage(`file://${html.Html}`);
    try {
      const { page } = opened;
      expect(await page.locator('[data-metric="RequestsCompared"]').textContent()).toBe(
        String(variant.RequestsCompared),
      );
      expect(await page.locator('[data-metric="Verdict"]').textContent()).toBe(variant.Verdict);
      const bars = page.locator('svg[data-chart="distribution"] rect.bar.shadow');
      expect(await bars.count()).toBe(variant.OutputDistribution.Bins.length);
      const counts = await bars.evaluateAll((rects) =>
        rects.map((r) => Number(r.getAttribute('data-count'))),
      );
      expect(counts).toEqual(variant.OutputDistribution.Shadow);
      expect(counts.reduce((a: number, b: number) => a + b, 0)).toBe(rows);
      // Drawn, not just present: the tallest bar has a height on screen.
      const heights = await bars.evaluateAll((rects) => rects.map((r) => r.getBoundingClientRect().height));
      expect(Math.max(...heights)).toBeGreaterThan(10);
      expect(await page.locator('svg[data-chart="latency"] rect.bar').count()).toBe(6);
      expect(opened.errors).toEqual([]);
      await opened.screenshot('shadow-report');
    } finally {
      await opened.close();
    }
    expect((await ok(['--json', 'shadow', 'status', name])).json()).toMatchObject({
      Status: 'Running',
      RequestsCompared: rows,
    });

    const before = (await sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpoint })))
      .EndpointConfigName;
    await ok(['shadow', 'promote', name, '--reason', 'cli test']);
    await new Promise((resolve) => setTimeout(resolve, 1100)); // the endpoint cache keeps a config a second
    const promoted = JSON.parse(
      (await ok(['invoke', endpoint], { stdin: csv([expected.inputs[0] as number[]]) })).stdout,
    );
    expect(promoted.predictions[0]).toBeCloseTo(expected.models['regressor-v2.onnx'].score[0] as number, 4);
    expect((await cli(['shadow', 'promote', name])).code).toBe(EXIT.rejected);

    const promotedConfig = (await sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpoint })))
      .EndpointConfigName;
    expect(promotedConfig).not.toBe(before);
    const rolled = (
      await ok(['--json', 'endpoints', 'rollout', endpoint, `main=${group}/1`, '--bake', '0'])
    ).json();
    expect(rolled.EndpointStatus).toBe('InService');
    expect(rolled.EndpointConfigName).not.toBe(promotedConfig);
    const back = (await ok(['--json', 'endpoints', 'rollback', endpoint])).json();
    expect(back.EndpointConfigName).toBe(promotedConfig);
    expect(
      (await cli(['endpoints', 'rollout', endpoint, `main=${group}/1`, '--canary', '10', '--linear', '10']))
        .code,
    ).toBe(EXIT.usage);

    const other = `${endpoint}-y`;
    await ok(['shadow', 'start', endpoint, `${group}/1`, '--name', other]);
    expect((await ok(['--json', 'shadow', 'stop', other])).json().Promoted).toBeUndefined();
    expect((await cli(['shadow', 'status', unique('missing')])).code).toBe(EXIT.notFound);
  });

  it('monitor baseline, schedule, run, executions, report; ground-truth put and a model-quality run', async () => {
    const header = 'a,b,c,d';
    const dataset = file(
      'train.csv',
      `${header}\n${csv(Array.from({ length: 40 }, (_, i) => [i, i % 3, i / 2, 1]))}`,
    );
    const baseline = (
      await ok([
        '--json',
        'monitor',
        'baseline',
        dataset,
        '-o',
        `s3://${env.UNDERSTUDY_BUCKET}/baselines/${group}`,
      ])
    ).json();
    expect(baseline).toMatchObject({ Rows: 40, Features: 4 });
    const local = (await ok(['--json', 'monitor', 'baseline', dataset, '--local'])).json();
    expect(local).toMatchObject({ Rows: 40, Features: 4 });

    const schedule = `${endpoint}-data`;
    await ok([
      'monitor',
      'schedule',
      endpoint,
      '--baseline',
      `s3://${env.UNDERSTUDY_BUCKET}/baselines/${group}`,
      '--drift-rule',
      'calibrated',
    ]);
    const definition = await sagemaker.send(
      new DescribeDataQualityJobDefinitionCommand({ JobDefinitionName: schedule }),
    );
    expect(definition.DataQualityAppSpecification?.Environment).toEqual({
      drift_violation_rule: 'calibrated',
    });
    const ran = (await ok(['--json', 'monitor', 'run', schedule])).json();
    expect(['Completed', 'CompletedWithViolations']).toContain(ran.MonitoringExecutionStatus);
    const executions = (await ok(['--json', 'monitor', 'executions', schedule])).json();
    expect(executions.length).toBeGreaterThanOrEqual(1);
    const report = (await ok(['--json', 'monitor', 'report', schedule, '-o', 'drift.html'])).json();
    expect(readFileSync(report.Report, 'utf8')).toMatch(/<html/i);
    const opened = await openPage(`file://${report.Report}`);
    try {
      // One chart per feature and side, drawn; the execution the API lists.
      expect(await opened.page.locator('figure.chart svg').count()).toBeGreaterThanOrEqual(4);
      const heights = await opened.page
        .locator('figure.chart svg rect')
        .evaluateAll((rects) => rects.map((r) => r.getBoundingClientRect().height));
      expect(Math.max(...heights)).toBeGreaterThan(10);
      expect(await opened.page.textContent('body')).toContain(executions[0].ProcessingJobArn);
      expect(opened.errors).toEqual([]);
      await opened.screenshot('data-quality-report');
    } finally {
      await opened.close();
    }
    expect((await cli(['monitor', 'schedule', endpoint, '--name', `${schedule}-2`])).code).toBe(EXIT.usage);
    const badRule = await cli([
      'monitor',
      'schedule',
      endpoint,
      '--baseline',
      `s3://${env.UNDERSTUDY_BUCKET}/baselines/${group}`,
      '--drift-rule',
      'nope',
      '--name',
      `${schedule}-3`,
    ]);
    expect(badRule.code).toBe(EXIT.rejected);
    expect((await cli(['monitor', 'executions', unique('missing')])).code).toBe(EXIT.notFound);

    // A prediction of the config serving now, captured, then labelled.
    await ok(['invoke', endpoint, '--inference-id', 'cli-labelled'], {
      stdin: csv([expected.inputs[1] as number[]]),
    });
    expect(
      (
        await until(
          () => cli(['trace', endpoint, 'cli-labelled']),
          (r) => r.code === 0,
        )
      ).code,
    ).toBe(0);
    const labels = file('labels.csv', 'inferenceId,label\ncli-labelled,5.5\n');
    const put = (await ok(['--json', 'ground-truth', 'put', endpoint, labels])).json();
    expect(put.RecordCount).toBe(1);
    expect((await cli(['ground-truth', 'put', endpoint], { stdin: 'id,label\nx,1\n' })).code).toBe(
      EXIT.usage,
    );
    const quality = `${endpoint}-model`;
    await ok([
      'monitor',
      'schedule',
      endpoint,
      '--type',
      'model',
      '--problem-type',
      'Regression',
      '--name',
      quality,
    ]);
    const modelRun = (await ok(['--json', 'monitor', 'run', quality])).json();
    expect(modelRun).toMatchObject({
      MonitoringType: 'ModelQuality',
      MonitoringExecutionStatus: 'Completed',
    });
  });

  it('console: its presigned URL shows what the API lists, in Chromium; report links open; unsigned or tampered is 403', async () => {
    expect((await cli(['console', '--expires', '604801'])).code).toBe(EXIT.usage);
    const { Url } = (await ok(['--json', 'console', '--expires', '300'])).json();
    // Only this file's endpoints: other files may create some meanwhile.
    const ours = (name: string | null | undefined) => Boolean(name?.startsWith(endpoint));
    const { Endpoints = [] } = await sagemaker.send(new ListEndpointsCommand({ MaxResults: 100 }));
    const described = await sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpoint }));
    const opened = await openPage(Url);
    try {
      const { page } = opened;
      const shown = await page
        .locator('tr[data-endpoint]')
        .evaluateAll((rows) =>
          rows.map((r) => [
            r.getAttribute('data-endpoint'),
            r.querySelector('[data-status]')?.getAttribute('data-status'),
          ]),
        );
      const listed = Endpoints.filter((e) => ours(e.EndpointName)).map((e) => [
        e.EndpointName,
        e.EndpointStatus,
      ]);
      expect(listed.length).toBeGreaterThanOrEqual(1);
      expect(Object.fromEntries(shown.filter(([name]) => ours(name)))).toEqual(Object.fromEntries(listed));
      const weights = await page
        .locator(`tr[data-endpoint="${endpoint}"] li.variant:not(.shadow)`)
        .evaluateAll((items) =>
          items.map((li) => [
            li.getAttribute('data-variant'),
            Number(li.querySelector('.weight')?.textContent),
          ]),
        );
      expect(weights).toEqual(described.ProductionVariants?.map((v) => [v.VariantName, v.CurrentWeight]));
      expect(opened.errors).toEqual([]);
      await opened.screenshot('console');

      // The report links carry the page's signature.
      const monitorHref = await page
        .locator(`tr[data-schedule="${endpoint}-data"] a.report`)
        .getAttribute('href');
      const monitor = await page.goto(new URL(monitorHref ?? '', Url).href);
      expect(monitor?.status()).toBe(200);
      expect(await page.locator('figure.chart svg').count()).toBeGreaterThanOrEqual(4);
      const shadowHref = await (async () => {
        await page.goto(Url);
        return page.locator(`tr[data-experiment="${endpoint}-x"] a.report`).getAttribute('href');
      })();
      const shadow = await page.goto(new URL(shadowHref ?? '', Url).href);
      expect(shadow?.status()).toBe(200);
      expect(await page.locator('[data-metric="Verdict"]').count()).toBeGreaterThanOrEqual(1);
      expect(opened.errors).toEqual([]);
    } finally {
      await opened.close();
    }

    const unsigned = await fetch(Url.split('?')[0] ?? '');
    expect([unsigned.status, unsigned.headers.get('x-amzn-ErrorType')]).toEqual([
      403,
      'MissingAuthenticationTokenException',
    ]);
    const tampered = await fetch(
      Url.replace(
        /X-Amz-Signature=([0-9a-f])/,
        (_m: string, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`,
      ),
    );
    expect([tampered.status, tampered.headers.get('x-amzn-ErrorType')]).toEqual([
      403,
      'InvalidSignatureException',
    ]);
  });

  it('train a built-in algorithm and register it; a refused job exits 3, a failed one 7; evaluate', async () => {
    const train = path.join(path.dirname(FIXTURES), 'training', 'cars-train.csv');
    const job = (
      await ok([
        '--json',
        'train',
        '-a',
        'linear-learner',
        '--train',
        train,
        '-p',
        'predictor_type=regressor',
        '-p',
        'epochs=2',
        '--register',
        group,
      ])
    ).json();
    expect(job.TrainingJobStatus).toBe('Completed');
    expect(job.ModelArtifacts.S3ModelArtifacts).toMatch(/model\.tar\.gz$/);
    const failing = await cli(['train', '-a', 'linear-learner', '--train', train]);
    expect(failing.code).toBe(EXIT.rejected); // predictor_type missing: refused at creation
    // Accepted, then Failed while reading the data: mpg is no 0/1 label.
    const failed = await cli([
      '--json',
      'train',
      '-a',
      'linear-learner',
      '--train',
      train,
      '-p',
      'predictor_type=binary_classifier',
    ]);
    expect(failed.code).toBe(EXIT.waitFailed);
    expect(failed.json().TrainingJobStatus).toBe('Failed');
    expect(failed.stderr).toMatch(/needs labels 0 or 1/);
    const evaluated = await cli(['--json', 'evaluate', `${group}/1`]);
    // Exit 8 with a clear message on a deployment without Understudy.DescribeModelEvaluation.
    if (evaluated.code === EXIT.unsupported) expect(evaluated.stderr).toMatch(/DescribeModelEvaluation/);
    else expect(evaluated.code, evaluated.stderr).toBe(0);
    expect((await cli(['--json', 'evaluate', '--endpoint', endpoint])).code).toBe(evaluated.code);
    expect((await cli(['evaluate', `${group}/1`, '--endpoint', endpoint])).code).toBe(EXIT.usage);
  });

  it('keys create, list, revoke; dlq list; up and down refuse what they cannot do', async () => {
    const key = (await ok(['--json', 'keys', 'create', '--role', 'invoker', '--endpoint', endpoint])).json();
    expect(key.SecretAccessKey).toBeTruthy();
    const listed = (await ok(['--json', 'keys', 'list'])).json();
    expect(listed.map((k: { AccessKeyId: string }) => k.AccessKeyId)).toContain(key.AccessKeyId);
    expect(
      listed.find((k: { AccessKeyId: string }) => k.AccessKeyId === key.AccessKeyId).SecretAccessKey,
    ).toBeUndefined();
    const invoker = {
      ...env,
      AWS_ACCESS_KEY_ID: key.AccessKeyId,
      AWS_SECRET_ACCESS_KEY: key.SecretAccessKey,
    };
    expect((await cli(['keys', 'list'], { env: invoker })).code).toBe(EXIT.denied);
    await ok(['keys', 'revoke', key.AccessKeyId]);
    expect((await cli(['keys', 'revoke', key.AccessKeyId])).code).toBe(EXIT.notFound);
    expect((await cli(['keys', 'create', '--role', 'emperor'])).code).toBe(EXIT.rejected);

    // The queues are the emulator's: its own credentials, as the env file's AWS keys are Understudy's.
    expect(
      Array.isArray(
        (
          await ok(['--json', 'dlq', 'list'], {
            env: { ...env, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' },
          })
        ).json(),
      ),
    ).toBe(true);

    const state = mkdtempSync(path.join(tmpdir(), 'understudy-cli-up-'));
    writeFileSync(path.join(state, 'platform.pid'), String(process.pid));
    const envFile = path.join(state, 'local.env');
    expect((await cli(['up', '--local-env', envFile])).code).toBe(EXIT.rejected);
    const other = mkdtempSync(path.join(tmpdir(), 'understudy-cli-down-'));
    expect((await cli(['down', '--local-env', path.join(other, 'local.env')])).code).toBe(EXIT.notFound);
  });

  it('the package bin runs as a process, with its exit codes', async () => {
    const bin = path.resolve('cli/bin.mjs');
    const spawnEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env };
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [bin, '--json', 'endpoints', 'describe', endpoint],
      { env: spawnEnv },
    );
    expect(JSON.parse(stdout).EndpointName).toBe(endpoint);
    const failed = await promisify(execFile)(process.execPath, [bin, 'models', 'describe', `${group}/99`], {
      env: spawnEnv,
    }).catch((error: { code: number; stderr: string }) => error);
    expect(failed).toMatchObject({ code: EXIT.notFound });
  });
});
