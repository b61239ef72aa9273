import { execFileSync } from 'node:child_process';
import {
  DescribeEndpointCommand,
  DescribeInferenceExperimentCommand,
  StartInferenceExperimentCommand,
  StopInferenceExperimentCommand,
} from '@aws-sdk/client-sagemaker';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { classifierPairs, expected } from '../support/models.js';
import {
  bucket,
  emulatorSqs,
  env,
  errorOf,
  mirrorQueueDrained,
  sagemaker,
  understudy,
  unique,
} from './platform.js';
import {
  captureLines,
  deploy,
  invoke,
  invokeRows,
  reportWhen,
  shadowExperiment,
  startExperiment,
} from './shadow-support.js';

describe('data capture and shadow tests with the AWS SDK', () => {
  it('captures every request for production and shadow, never answers with the shadow, reports the difference, promotes', async () => {
    const name = unique('shadow');
    await deploy(name, 100);
    await startExperiment(name, `${name}-challenger`, 100);
    const n = 40;
    const rows = Array.from({ length: n }, (_, i) => expected.inputs[i % expected.inputs.length] as number[]);
    for (const [i, row] of rows.entries()) {
      const answer = await invoke(name, row);
      // The client only ever sees production's (v1) answer, never the shadow's (v2: about -90).
      expect(answer).toBeCloseTo(
        expected.models['regressor.onnx'].score[i % expected.inputs.length] as number,
        4,
      );
    }
    const report = await reportWhen(name, (r) => r.RequestsCompared === n);
    expect(report).toMatchObject({
      InferenceExperimentName: name,
      RequestsMirrored: n,
      RequestsCompared: n,
      Verdict: expect.stringMatching(/Different|InsufficientData/),
    });
    expect((report.AgreementRate as { Value: number }).Value).toBe(0);
    expect((report.ShadowErrors as { Total: number }).Total).toBe(0);
    expect(report.ReportS3Uri).toMatch(
      new RegExp(`^s3://${bucket}/shadow-reports/${name}/shadow/report.json$`),
    );

    const production = await captureLines(`captures/${name}/${name}/main/`);
    const shadow = await captureLines(`captures/${name}/${name}/shadow/`);
    expect(production).toHaveLength(n);
    expect(shadow).toHaveLength(n);
    const ids = (lines: typeof production) => lines.map((l) => l.eventMetadata.eventId).sort();
    expect(new Set(ids(production)).size).toBe(n);
    expect(ids(shadow)).toEqual(ids(production));
    const shadowAnswers = shadow.map(
      (l) => JSON.parse(l.captureData.endpointOutput?.data ?? '{}').predictions[0],
    );
    expect(shadowAnswers.every((v: number) => v < -80)).toBe(true);

    await sagemaker.send(
      new StopInferenceExperimentCommand({
        Name: name,
        ModelVariantActions: { main: 'Retain', shadow: 'Promote' },
      }),
    );
    expect((await sagemaker.send(new DescribeInferenceExperimentCommand({ Name: name }))).Status).toBe(
      'Completed',
    );
    const endpoint = await sagemaker.send(new DescribeEndpointCommand({ EndpointName: name }));
    expect(endpoint.EndpointConfigName).toMatch(new RegExp(`^${name}-promoted-`));
    // The endpoint cache keeps a config for up to a second.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await invoke(name, expected.inputs[0] as number[])).toBeCloseTo(
      expected.models['regressor-v2.onnx'].score[0] as number,
      4,
    );
  });

  it('reports agreement 1 and no difference for a shadow identical to production', async () => {
    const name = unique('twin');
    await deploy(name, 0);
    await startExperiment(name, `${name}-twin`, 100);
    // Zero mismatches in 400 rows bound the mismatch rate below 1% (one-sided, α = 0.05).
    const n = 400;
    await Promise.all(
      Array.from({ length: 10 }, async (_, worker) => {
        for (let i = worker; i < n; i += 10) await invoke(name, [i, i / 2, -i, 1]);
      }),
    );
    const report = await reportWhen(name, (r) => r.RequestsCompared === n);
    expect(report).toMatchObject({ RequestsMirrored: n, RequestsCompared: n, Verdict: 'NoDifference' });
    expect((report.AgreementRate as { Value: number; ConfidenceInterval: { Upper: number } }).Value).toBe(1);
    // Capture sampling 0%: nothing captured for production, while the shadow's copy is.
    expect(await captureLines(`captures/${name}/${name}/main/`)).toHaveLength(0);
  });

  it('compares two classifiers by their labels: scikit-learn vs itself sharpened, and vs LightGBM', async () => {
    const { agree, differ } = classifierPairs.pairs;
    const name = unique('clf');
    await deploy(name, 0, {
      champion: agree.production,
      twin: agree.shadow,
      challenger: differ.shadow,
    });
    // Both pairs share production; each shadow gets its own endpoint (one experiment each).
    const other = `${name}-b`;
    await deploy(other, 0, { champion: differ.production, twin: agree.shadow, challenger: differ.shadow });
    await startExperiment(name, `${name}-twin`, 100);
    await startExperiment(other, `${other}-challenger`, 100);
    // 300 rows each, 10 per request: 60 requests in all.
    const send = (endpoint: string, rows: number[][]) =>
      Promise.all(
        Array.from({ length: 5 }, async (_, worker) => {
          for (let i = worker * 10; i < rows.length; i += 50)
            await invokeRows(endpoint, rows.slice(i, i + 10));
        }),
      );
    await Promise.all([send(name, agree.rows), send(other, differ.rows)]);
    const [same, worse] = await Promise.all([
      reportWhen(name, (r) => r.RowsCompared === agree.rows.length),
      reportWhen(other, (r) => r.RowsCompared === differ.rows.length),
    ]);
    for (const report of [same, worse]) {
      expect(report).toMatchObject({
        TaskKind: 'Classification',
        ComparisonRule: { Kind: 'Classification', Agreement: 'SameLabel', Source: 'ModelOutputs' },
      });
    }
    expect(same.AgreementRate).toMatchObject({ Value: agree.agreementRate });
    expect(same.Verdict).toBe('NoDifference');
    expect(worse.AgreementRate).toMatchObject({ Value: differ.agreementRate });
    expect(worse.Verdict).toBe('Different');
  });

  it('answers bad experiment input with typed 4xx errors', async () => {
    const name = unique('bad');
    await deploy(name, 0);
    const create = (sampling: number, shadowModel = `${name}-twin`, experiment = name) =>
      sagemaker.send(shadowExperiment(name, shadowModel, sampling, experiment));
    expect(await errorOf(create(101))).toMatchObject({ name: 'ValidationException', status: 400 });
    expect(await errorOf(create(-1))).toMatchObject({ name: 'ValidationException', status: 400 });
    const unknownModel = await errorOf(create(50, 'no-such-model'));
    expect(unknownModel).toMatchObject({ name: 'ValidationException', status: 400 });
    expect(unknownModel.message).toMatch(/Could not find model/);
    await create(50);
    const second = await errorOf(create(50, `${name}-twin`, `${name}-second`));
    expect(second).toMatchObject({ name: 'ResourceInUse', status: 400 });
    await sagemaker.send(new StartInferenceExperimentCommand({ Name: name }));
    await sagemaker.send(
      new StopInferenceExperimentCommand({
        Name: name,
        ModelVariantActions: { shadow: 'Remove' },
        DesiredState: 'Cancelled',
      }),
    );
    const promote = await errorOf(
      sagemaker.send(
        new StopInferenceExperimentCommand({ Name: name, ModelVariantActions: { shadow: 'Promote' } }),
      ),
    );
    expect(promote).toMatchObject({ name: 'ConflictException', status: 400 });
  });

  it('parks an unreadable message in the DLQ with its reason, and the CLI lists and redrives it', async () => {
    const marker = unique('poison');
    await emulatorSqs.send(
      new SendMessageCommand({
        QueueUrl: env.UNDERSTUDY_MIRROR_QUEUE_URL,
        MessageBody: `{"marker":"${marker}"}`,
      }),
    );
    const cli = (...args: string[]) =>
      execFileSync(process.execPath, ['--import', 'tsx', 'cli/understudy.ts', ...args], {
        encoding: 'utf8',
        env: { ...process.env, ...env, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' },
      });
    let listed = '';
    for (let i = 0; i < 60 && !listed.includes('not a mirror message'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      listed = cli('dlq', 'list');
    }
    expect(listed).toMatch(/not a mirror message: .*v: /);
    expect(cli('dlq', 'redrive')).toMatch(/redrove [1-9]\d* message\(s\)/);
    expect(cli('dlq', 'list')).not.toContain(marker);
  });
  it('mirrors a sampled share inside its 99.9% binomial interval', async () => {
    const name = unique('sample');
    await deploy(name, 0);
    await startExperiment(name, `${name}-twin`, 30);
    // About a minute on the emulator here (3,000 mirror messages; the wrapper keeps moto's SQS
    // fast with a backlog, scripts/local/moto-server.py). The same check also runs in process
    // on the handler (data-plane-mirror.test.ts).
    const n = 10_000;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 32 }, async (_, worker) => {
        for (let i = worker; i < n; i += 32) await invoke(name, [1, 2, 3, 4]);
      }),
    );
    // Every request sampled for the shadow put one message on the queue; wait until it is drained.
    const sent = Date.now();
    // Seconds on a quiet machine; minutes when the machine is shared with other heavy work.
    await mirrorQueueDrained(600_000);
    console.log(
      `${n} invocations in ${sent - started} ms; mirror queue drained ${Date.now() - sent} ms later`,
    );
    const report = await understudy('DescribeShadowReport', { InferenceExperimentName: name });
    const mirrored = report.RequestsMirrored as number;
    const margin = 3.29 * Math.sqrt(n * 0.3 * 0.7);
    expect(Math.abs(mirrored - n * 0.3)).toBeLessThan(margin);
  }, 900_000);
});
