/**
 * `npm run demo`: the whole story on real data, through the `understudy` CLI (run in-process)
 * against a local platform of its own (free ports, a temporary state directory, stopped at the end).
 *
 * Data: vega-datasets' cars (406 cars, model years 1970–1982; later cars are lighter and more
 * efficient). The task: miles per gallon from cylinders, displacement, horsepower, weight and
 * acceleration.
 *   1. champion: linear-learner trained on 1970–1975 cars; challenger: xgboost on 1970–1979;
 *      both with Understudy's training jobs, registered and approved;
 *   2. the champion deployed with data capture, the challenger as a shadow;
 *   3. traffic: every car once, in model-year order (early → late), each with an inference id;
 *   4. late labels (the true mpg) put as ground truth; data-quality monitoring against the
 *      champion's training data, model-quality monitoring of the captured predictions;
 *   5. a summary: the shadow verdict, the features that drifted, online vs offline quality, the
 *      trace of one prediction to its training data, and where the HTML reports are.
 */

import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Io } from '../cli/output.js';
import { run } from '../cli/program.js';
import { startLocalPlatform } from './local/platform.js';

interface Car {
  Miles_per_Gallon: number | null;
  Cylinders: number;
  Displacement: number;
  Horsepower: number | null;
  Weight_in_lbs: number;
  Acceleration: number;
  Year: string;
}

const FEATURES = ['Cylinders', 'Displacement', 'Horsepower', 'Weight_in_lbs', 'Acceleration'] as const;
const started = Date.now();
/** The terminal: the platform runs in this process and its stdout goes to a log file (see main). */
const terminal = process.stdout.write.bind(process.stdout);
const terminalErrors = process.stderr.write.bind(process.stderr);
const say = (text: string) =>
  terminal(`[demo ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${text}\n`);

/**
 * The functions write their log and metric lines (EMF) to stdout, as on Lambda: in the demo
 * they go to `file`, so the terminal shows the story and the log stays for who wants it.
 */
function platformOutputTo(file: string): void {
  const log = createWriteStream(file);
  const toLog = ((chunk: string | Uint8Array) => log.write(chunk)) as typeof process.stdout.write;
  process.stdout.write = toLog;
  process.stderr.write = toLog;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const year = (car: Car) => Number(car.Year.slice(0, 4));
const row = (car: Car) => FEATURES.map((f) => car[f]).join(',');
const labelled = (cars: readonly Car[]) =>
  `${cars.map((c) => `${c.Miles_per_Gallon},${row(c)}`).join('\n')}\n`;

async function main() {
  // The handlers run in this process and log every call; the demo tells its own story instead.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  // The mirror's 500 ms budget is sized for SQS; the emulator on a busy laptop can take longer
  // a send, and the demo's shadow test should not count copies dropped for that.
  process.env.UNDERSTUDY_MIRROR_BUDGET_MS ??= '5000';
  // The package exports only its JS index; the JSON files sit beside it.
  const carsFile = path.join(
    path.dirname(fileURLToPath(import.meta.url)),
    '..',
    'node_modules',
    'vega-datasets',
    'data',
    'cars.json',
  );
  const cars = (JSON.parse(readFileSync(carsFile, 'utf8')) as Car[])
    .filter((c) => c.Miles_per_Gallon !== null && FEATURES.every((f) => c[f] !== null))
    .sort((a, b) => year(a) - year(b));
  const work = mkdtempSync(path.join(tmpdir(), 'understudy-demo-'));
  const reports = path.resolve('demo-output');
  mkdirSync(reports, { recursive: true });
  platformOutputTo(path.join(reports, 'platform.log'));
  say(`${cars.length} cars, ${year(cars[0] as Car)}–${year(cars.at(-1) as Car)}; starting a local platform`);
  const platform = await startLocalPlatform({
    port: 0,
    motoPort: await freePort(),
    stateDir: path.join(work, 'state'),
    envFile: path.join(work, 'local.env'),
    restore: false,
    schedules: false,
    accessLog: false,
    log: () => undefined,
  });
  const env = { ...platform.env, UNDERSTUDY_ENV_FILE: platform.envFile };
  const io = (capture: { out: string }): Io => ({
    stdout: (text) => {
      capture.out += text;
    },
    stderr: (text) => process.stderr.write(text),
    readStdin: async () => Buffer.alloc(0),
    env,
    interactive: false,
    cwd: work,
  });
  /** One CLI command; its --json answer. */
  const cli = async (...argv: string[]) => {
    const capture = { out: '' };
    const code = await run(['--json', ...argv], io(capture));
    if (code !== 0) throw new Error(`understudy ${argv.join(' ')} exited ${code}`);
    return JSON.parse(capture.out);
  };
  try {
    say(`platform ready at ${platform.url} in ${platform.timings.total?.toFixed(0)} s`);
    const file = (name: string, text: string) => {
      writeFileSync(path.join(work, name), text);
      return name;
    };
    const early = cars.filter((c) => year(c) <= 1975);
    const upTo79 = cars.filter((c) => year(c) <= 1979);
    const split = (list: Car[]) =>
      [list.filter((_, i) => i % 5 !== 0), list.filter((_, i) => i % 5 === 0)] as const;
    const [championTrain, championValidation] = split(early);
    const [challengerTrain, challengerValidation] = split(upTo79);

    say(
      `training the champion (linear-learner, ${championTrain.length} cars of 1970–1975) and the challenger (xgboost, ${challengerTrain.length} cars of 1970–1979)`,
    );
    const [champion, challenger] = await Promise.all([
      cli(
        'train',
        '-a',
        'linear-learner',
        '--name',
        'mpg-champion',
        '--register',
        'mpg',
        '--train',
        file('champion-train.csv', labelled(championTrain)),
        '--validation',
        file('champion-validation.csv', labelled(championValidation)),
        '-p',
        'predictor_type=regressor',
        '-p',
        'epochs=30',
      ),
      cli(
        'train',
        '-a',
        'xgboost',
        '--name',
        'mpg-challenger',
        '--register',
        'mpg',
        '--train',
        file('challenger-train.csv', labelled(challengerTrain)),
        '--validation',
        file('challenger-validation.csv', labelled(challengerValidation)),
        '-p',
        'objective=reg:squarederror',
        '-p',
        'num_round=60',
        '-p',
        'max_depth=4',
        '-p',
        'eta=0.2',
      ),
    ]);
    const metric = (job: { FinalMetricDataList?: { MetricName: string; Value: number }[] }, name: string) =>
      job.FinalMetricDataList?.find((m) => m.MetricName === name)?.Value;
    for (const job of [champion, challenger]) {
      await cli(
        'models',
        'approve',
        job.OutputModelPackageArn,
        '--note',
        `validation rmse ${metric(job, 'validation:rmse')?.toFixed(2)}`,
      );
    }

    say('deploying the champion with data capture, the challenger as a shadow');
    await cli('endpoints', 'deploy', 'mpg', `champion=${champion.OutputModelPackageArn}`, '--capture', '100');
    const experiment = (
      await cli('shadow', 'start', 'mpg', challenger.OutputModelPackageArn, '--name', 'mpg-shadow')
    ).Name;

    const traffic = cars.filter((c) => year(c) >= 1972);
    say(`sending ${traffic.length} requests, model years 1972 → 1982`);
    let sent = 0;
    await Promise.all(
      Array.from({ length: 8 }, async (_, worker) => {
        for (let i = worker; i < traffic.length; i += 8) {
          const capture = { out: '' };
          const io1 = { ...io(capture), readStdin: async () => Buffer.from(`${row(traffic[i] as Car)}\n`) };
          const code = await run(['invoke', 'mpg', '--inference-id', `car-${i}`], io1);
          if (code !== 0) throw new Error(`invoke car-${i} exited ${code}`);
          sent++;
        }
      }),
    );
    say(`${sent} answered; waiting for the shadow comparisons`);
    let report = await cli('shadow', 'report', experiment);
    for (let i = 0; i < 120 && report.ShadowVariants[0].RequestsCompared < sent; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      report = await cli('shadow', 'report', experiment);
    }
    report = await cli('shadow', 'report', experiment, '--html', path.join(reports, 'shadow-report.html'));

    say('late labels: the true mpg of every car, as ground truth');
    file(
      'labels.csv',
      `inferenceId,label\n${traffic.map((c, i) => `car-${i},${c.Miles_per_Gallon}`).join('\n')}\n`,
    );
    await cli('ground-truth', 'put', 'mpg', 'labels.csv');

    say("monitoring: data quality against the champion's training data, model quality against the labels");
    file('baseline.csv', `${FEATURES.join(',')}\n${championTrain.map(row).join('\n')}\n`);
    await cli('monitor', 'baseline', 'baseline.csv');
    // Violations by Understudy's calibrated drift tests, not only SageMaker's distance check.
    await cli(
      'monitor',
      'schedule',
      'mpg',
      '--baseline',
      'baseline',
      '--drift-rule',
      'calibrated',
      '--name',
      'mpg-data',
    );
    await cli(
      'monitor',
      'schedule',
      'mpg',
      '--type',
      'model',
      '--problem-type',
      'Regression',
      // linear-learner answers as SageMaker's container: {"predictions": [{"score": ...}]}
      '--inference-attribute',
      '$.predictions[0].score',
      '--name',
      'mpg-model',
    );
    await cli('monitor', 'run', 'mpg-data');
    await cli('monitor', 'run', 'mpg-model');
    const data = await cli(
      'monitor',
      'report',
      'mpg-data',
      '-o',
      path.join(reports, 'data-quality-report.html'),
    );
    const modelReport = await cli(
      'monitor',
      'report',
      'mpg-model',
      '-o',
      path.join(reports, 'model-quality-report.html'),
    );
    const modelRun = (await cli('monitor', 'executions', 'mpg-model'))[0];
    const statistics = JSON.parse(
      await (async () => {
        const { UnderstudyClient, resolveConnection } = await import('../cli/client.js');
        const client = new UnderstudyClient(resolveConnection({}, env));
        const job = modelRun.ProcessingJobArn.split('/').pop();
        const { DescribeProcessingJobCommand } = await import('@aws-sdk/client-sagemaker');
        const described = await client.sagemaker.send(
          new DescribeProcessingJobCommand({ ProcessingJobName: job }),
        );
        return client.getObject(
          `${described.ProcessingOutputConfig?.Outputs?.[0]?.S3Output?.S3Uri}/statistics.json`,
        );
      })(),
    );
    const online = statistics.regression_metrics ?? {};
    const trace = await cli('trace', 'mpg', `car-${traffic.length - 1}`);

    const shadow = report.ShadowVariants[0];
    // The drift verdict per feature is the report's (its calibrated test); constraint_violations.json
    // carries only the checks the baseline's constraints enable.
    const page = readFileSync(data.Report, 'utf8');
    const drifted = [
      ...page.matchAll(/<tr class="flagged"><td class="name"><a href="#feature-\d+">([^<]+)<\/a>/g),
    ].map((m) => m[1]);
    const driftLine = /(\d+ of \d+ features drifted[^<]*)/.exec(page)?.[1] ?? 'no drift test';
    const lines = [
      '',
      '=== Understudy demo: summary ===',
      `shadow test ${experiment}: verdict ${shadow.Verdict} on ${shadow.RowsCompared} rows; |Δmpg| p50 ${shadow.Difference.P50?.toFixed(2)}, p99 ${shadow.Difference.P99?.toFixed(2)}; latency p50 ${shadow.Latency.Production.P50?.toFixed(1)} ms (champion) vs ${shadow.Latency.Shadow.P50?.toFixed(1)} ms (challenger)`,
      `data quality (${data.Status}): ${driftLine}: ${drifted.length > 0 ? drifted.join(', ') : 'none'}; ${data.Violations.length} constraint violation(s)`,
      `quality of the champion: offline validation rmse ${metric(champion, 'validation:rmse')?.toFixed(2)} (1970–1975 cars) vs online rmse ${online.rmse?.value?.toFixed(2)} on the 1972–1982 traffic (mae ${online.mae?.value?.toFixed(2)}, r2 ${online.r2?.value?.toFixed(2)}); challenger's offline validation rmse ${metric(challenger, 'validation:rmse')?.toFixed(2)}`,
      `traced prediction car-${traffic.length - 1}: variant ${trace.VariantName}, ${trace.ModelPackageArn}, sha256 ${trace.ModelArtifact?.Sha256?.slice(0, 12)}…, approval ${trace.Approval?.StatusWhenDeployed}, training data ${(trace.Lineage?.TrainingData ?? []).map((d: { SourceUri?: string }) => d.SourceUri).join(', ') || '-'}`,
      `reports: ${report.Html}`,
      `         ${data.Report}`,
      `         ${modelReport.Report}`,
      `platform log: ${path.join(reports, 'platform.log')}`,
      `done in ${((Date.now() - started) / 1000).toFixed(0)} s`,
    ];
    terminal(`${lines.join('\n')}\n`);
  } finally {
    await platform.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    terminalErrors(`[demo] failed: ${(error as Error).stack ?? error}\n`);
    process.exit(1);
  },
);
