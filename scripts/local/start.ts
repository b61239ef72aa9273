/**
 * `npm start`: Understudy on this machine, without AWS.
 *
 *   tsx scripts/local/start.ts [--port N] [--moto-port N] [--state-dir DIR] [--env-out FILE]
 *                              [--no-restore] [--no-schedules] [--stack-name NAME] [--force-synth]
 *                              [--sqs-retry-delay SECONDS] [--sqs-concurrency N] [--quiet]
 *
 * `--env-file FILE` is accepted as a synonym of `--env-out`, but only works on Node >= 22:
 * Node 20 takes `--env-file` anywhere on the command line as its own option and exits when the
 * file does not exist yet. On Node 20 use `--env-out` or UNDERSTUDY_ENV_FILE.
 *
 * Starts (or reuses) moto, deploys the synthesized stack onto it, restores the saved state,
 * runs the handlers behind a local API, queue pollers and schedules, and writes the env
 * file once everything is ready. Ctrl-C or SIGTERM saves the state and stops.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bufferWrites } from './line-writer.js';
import { type LocalPlatformOptions, startLocalPlatform } from './platform.js';

const USAGE = `usage: tsx scripts/local/start.ts [--port N] [--moto-port N] [--state-dir DIR] [--env-out FILE]
       [--no-restore] [--no-schedules] [--stack-name NAME] [--force-synth] [--sqs-retry-delay SECONDS] [--sqs-concurrency N] [--quiet]`;

function parsePort(value: string | undefined, flag: string): number {
  const port = Number(value);
  if (value === undefined || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${flag} needs a port number (0 = any free port)`);
  }
  return port;
}

export function parseArgs(argv: readonly string[]): LocalPlatformOptions & { quiet?: boolean } {
  const options: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] ?? '';
    const eq = raw.indexOf('=');
    const flag = raw.startsWith('--') && eq > 0 ? raw.slice(0, eq) : raw;
    const value = () => (raw.startsWith('--') && eq > 0 ? raw.slice(eq + 1) : argv[++i]);
    switch (flag) {
      case '--port':
        options.port = parsePort(value(), flag);
        break;
      case '--moto-port':
        options.motoPort = parsePort(value(), flag);
        break;
      case '--state-dir':
        options.stateDir = value();
        break;
      case '--env-file':
      case '--env-out':
        options.envFile = value();
        break;
      case '--stack-name':
        options.stackName = value();
        break;
      case '--sqs-retry-delay':
        options.sqsRetryDelaySeconds = Number(value());
        break;
      case '--sqs-concurrency':
        options.sqsConcurrency = Number(value());
        break;
      case '--no-restore':
        options.restore = false;
        break;
      case '--no-schedules':
        options.schedules = false;
        break;
      case '--force-synth':
        options.forceSynth = true;
        break;
      case '--quiet':
        options.quiet = true;
        break;
      case '--help':
      case '-h':
        console.log(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument ${raw}\n${USAGE}`);
    }
  }
  for (const key of ['stateDir', 'envFile', 'stackName'] as const) {
    if (key in options && !options[key]) {
      throw new Error(`--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} needs a value`);
    }
  }
  if ('sqsRetryDelaySeconds' in options && !(Number(options.sqsRetryDelaySeconds) >= 0)) {
    throw new Error('--sqs-retry-delay needs a number of seconds');
  }
  if ('sqsConcurrency' in options && !(Number(options.sqsConcurrency) >= 1)) {
    throw new Error('--sqs-concurrency needs a number >= 1');
  }
  return options as LocalPlatformOptions & { quiet?: boolean };
}

async function main(): Promise<void> {
  const { quiet, ...options } = parseArgs(process.argv.slice(2));
  const platform = await startLocalPlatform({ ...options, ...(quiet ? { accessLog: false } : {}) });
  const envFile = path.relative(process.cwd(), platform.envFile) || platform.envFile;
  const schedules = platform.runtime.listSchedules();
  const steps = Object.entries(platform.timings)
    .filter(([step]) => step !== 'total')
    .map(([step, seconds]) => `${step} ${seconds.toFixed(1)}`)
    .join(', ');
  const lines = [
    '',
    `Understudy is running at ${platform.url}   (ready in ${platform.timings.total?.toFixed(1)} s: ${steps})`,
    `  emulator   ${platform.emulatorEndpoint} (moto, ${platform.motoStartedByUs ? 'started here' : 'reused'})`,
    `  env file   ${envFile}   load it with:  set -a; . ${envFile}; set +a`,
    '             then e.g.  aws sagemaker list-endpoints   (SageMaker calls go to the local API)',
    ...schedules.map(
      (s) =>
        `  schedule   ${s.logicalId} ${s.scheduleExpression} → ${s.targets.join(', ')}` +
        `${s.nextFireTime ? `, next ${s.nextFireTime}` : ''}\n` +
        `             run now:  npx tsx scripts/local/trigger.ts ${s.logicalId}`,
    ),
    '  Ctrl-C saves the state and stops.',
    '',
  ];
  console.log(lines.join('\n'));
  // From here on this process's output is mostly per request (EMF lines, access log): batched.
  const output = bufferWrites(process.stdout);

  // A Ctrl-C reaches this process twice (from the terminal and relayed by tsx/npm): repeats
  // within a few seconds are the same request; a later one means "stop now".
  let firstSignalAt: number | undefined;
  const shutdown = (signal: string) => {
    if (firstSignalAt !== undefined) {
      if (Date.now() - firstSignalAt < 3000) return;
      console.error(`${signal} again: exiting without saving (stop moto with: npm run moto stop)`);
      process.exit(1);
    }
    firstSignalAt = Date.now();
    output.restore();
    console.log(`\n${signal}: saving state and stopping…`);
    platform.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => shutdown(signal));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    const detail =
      error instanceof Error
        ? process.env.DEBUG
          ? (error.stack ?? error.message)
          : error.message
        : String(error);
    console.error(`[local] failed to start: ${detail}`);
    process.exit(1);
  });
}
