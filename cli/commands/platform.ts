import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';
import { ListEndpointsCommand, ListModelPackageGroupsCommand } from '@aws-sdk/client-sagemaker';
import type { Command } from 'commander';
import { DEFAULT_ENV_FILE, PROJECT_ROOT } from '../client.js';
import { type Cli, positiveNumber, waitFor } from '../context.js';
import { listDeadLetters, redriveDeadLetters } from '../dlq.js';
import { CliError, EXIT } from '../errors.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function runningPid(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
}

export function platformCommands(program: Command, cli: Cli): void {
  const stateDir = (command: Command) => {
    const options = command.optsWithGlobals() as { localEnv?: string };
    return path.dirname(
      path.resolve(cli.io.cwd, options.localEnv ?? cli.io.env.UNDERSTUDY_ENV_FILE ?? DEFAULT_ENV_FILE),
    );
  };

  program
    .command('up')
    .description(
      'Start the local platform in the background (what npm start runs) and wait until it is ready',
    )
    .option('--port <n>', 'API port (0: any free port)', '4567')
    .option('--timeout <seconds>', 'how long to wait for it', '300')
    .addHelpText('after', '\nExample:\n  understudy up && understudy status')
    .action(async (options: { port: string; timeout: string }, command: Command) => {
      const out = cli.output(command);
      const dir = stateDir(command);
      const envFile = path.join(dir, 'local.env');
      const pidFile = path.join(dir, 'platform.pid');
      const running = runningPid(pidFile);
      if (running)
        throw new CliError(
          `the local platform is already running (pid ${running}); stop it with: understudy down`,
          EXIT.rejected,
        );
      mkdirSync(dir, { recursive: true });
      const startedAt = Date.now();
      const log = openSync(path.join(dir, 'platform.log'), 'a');
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          path.join(PROJECT_ROOT, 'scripts/local/start.ts'),
          '--port',
          String(positiveNumber(options.port, '--port')),
        ],
        {
          cwd: PROJECT_ROOT,
          detached: true,
          stdio: ['ignore', log, log],
          env: { ...cli.io.env, UNDERSTUDY_ENV_FILE: envFile, FORCE_COLOR: '0' },
        },
      );
      closeSync(log);
      child.unref();
      writeFileSync(pidFile, String(child.pid));
      const progress = out.progress('starting the local platform (moto, the stack, the handlers)');
      await waitFor(
        async () => {
          if (child.exitCode !== null || !alive(child.pid ?? 0)) {
            rmSync(pidFile, { force: true });
            throw new CliError(
              `the local platform exited; see ${path.join(dir, 'platform.log')}`,
              EXIT.failure,
            );
          }
          return { done: existsSync(envFile) && statSync(envFile).mtimeMs >= startedAt, value: undefined };
        },
        { timeoutSeconds: Number(options.timeout), what: 'the local platform', intervalMs: 500 },
      );
      progress.succeed('the local platform is ready');
      const env = Object.fromEntries(
        readFileSync(envFile, 'utf8')
          .split('\n')
          .map((line) => /^([A-Z_]+)=(.*)$/.exec(line))
          .filter((m): m is RegExpExecArray => m !== null)
          .map((m) => [m[1], m[2]]),
      );
      const result = {
        Pid: child.pid,
        Url: env.UNDERSTUDY_URL,
        EnvFile: envFile,
        Log: path.join(dir, 'platform.log'),
      };
      out.result(result, () => {
        out.fields(Object.entries(result));
        out.line(`Other tools (aws, boto3): set -a; . ${envFile}; set +a`);
      });
    });

  program
    .command('down')
    .description('Stop the local platform started by `understudy up` (its state is saved)')
    .option('--timeout <seconds>', 'how long to wait for it to stop', '60')
    .addHelpText('after', '\nExample:\n  understudy down')
    .action(async (options: { timeout: string }, command: Command) => {
      const out = cli.output(command);
      const pidFile = path.join(stateDir(command), 'platform.pid');
      const pid = runningPid(pidFile);
      if (!pid) {
        rmSync(pidFile, { force: true });
        throw new CliError(
          'no local platform started by `understudy up` is running (one started by npm start stops with Ctrl-C)',
          EXIT.notFound,
        );
      }
      const progress = out.progress(`stopping the local platform (pid ${pid}), saving its state`);
      process.kill(pid, 'SIGTERM');
      await waitFor(async () => ({ done: !alive(pid), value: undefined }), {
        timeoutSeconds: Number(options.timeout),
        what: `pid ${pid} to exit`,
        intervalMs: 300,
      });
      rmSync(pidFile, { force: true });
      progress.succeed('stopped');
      out.result({ Pid: pid, Stopped: true }, () => out.line(`stopped (pid ${pid})`));
    });

  program
    .command('status')
    .description('Where the CLI sends its calls, and whether Understudy answers there')
    .addHelpText('after', '\nExample:\n  understudy status --json')
    .action(async (_options, command: Command) => {
      const client = cli.client(command);
      const out = cli.output(command);
      const started = Date.now();
      const [{ Endpoints = [] }, { ModelPackageGroupSummaryList = [] }] = await Promise.all([
        client.sagemaker.send(new ListEndpointsCommand({ MaxResults: 100 })),
        client.sagemaker.send(new ListModelPackageGroupsCommand({ MaxResults: 100 })),
      ]);
      const region = await client.sagemaker.config.region();
      const result = {
        Endpoint: client.connection.endpoint,
        Source: client.connection.source,
        Region: region,
        Bucket: client.connection.bucket,
        Reachable: true,
        LatencyMs: Date.now() - started,
        Endpoints: Endpoints.length,
        ModelPackageGroups: ModelPackageGroupSummaryList.length,
        // Presigned (15 minutes): a bare /console URL would only answer MissingAuthenticationToken.
        Console: (await client.consoleUrl(900)).url,
      };
      out.result(result, () => out.fields(Object.entries(result)));
    });

  const dlq = program.command('dlq').description("The mirror queue's dead-letter queue");
  const queues = (command: Command, options: { dlqUrl?: string; queueUrl?: string }) => {
    const { connection } = cli.client(command);
    const dlqUrl = options.dlqUrl ?? connection.dlqUrl;
    const queueUrl = options.queueUrl ?? connection.mirrorQueueUrl;
    if (!dlqUrl || !queueUrl) {
      throw new CliError(
        'no queue URLs: pass --dlq-url and --queue-url (the DeadLetterQueueUrl and MirrorQueueUrl outputs of cdk deploy)',
        EXIT.usage,
      );
    }
    return { dlqUrl, queueUrl };
  };
  dlq
    .command('list')
    .description('Dead letters and why they are there (not consumed)')
    .option('--dlq-url <url>', 'dead-letter queue URL (default: from the env file)')
    .option('--queue-url <url>', 'mirror queue URL (default: from the env file)')
    .option('--max <n>', 'at most this many', '100')
    .addHelpText('after', '\nExample:\n  understudy dlq list --json')
    .action(async (options, command: Command) => {
      const client = cli.client(command);
      const out = cli.output(command);
      const { dlqUrl } = queues(command, options);
      const letters = await listDeadLetters(client.sqs, dlqUrl, positiveNumber(options.max, '--max'));
      out.result(letters, () => {
        out.table(
          ['message', 'event', 'receives', 'reason'],
          letters.map((l) => [l.messageId, l.eventId, l.receiveCount, l.reason]),
        );
        out.line(`${letters.length} dead letter(s)`);
      });
    });
  dlq
    .command('redrive')
    .description('Send dead letters back to the mirror queue')
    .option('--dlq-url <url>', 'dead-letter queue URL (default: from the env file)')
    .option('--queue-url <url>', 'mirror queue URL (default: from the env file)')
    .option('--max <n>', 'at most this many')
    .addHelpText('after', '\nExample:\n  understudy dlq redrive --max 10')
    .action(async (options, command: Command) => {
      const client = cli.client(command);
      const out = cli.output(command);
      const { dlqUrl, queueUrl } = queues(command, options);
      const moved = await redriveDeadLetters(
        client.sqs,
        dlqUrl,
        queueUrl,
        options.max ? positiveNumber(options.max, '--max') : undefined,
      );
      out.result({ Redriven: moved, QueueUrl: queueUrl }, () =>
        out.line(`redrove ${moved} message(s) to ${queueUrl}`),
      );
    });
}
