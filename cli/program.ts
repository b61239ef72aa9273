/**
 * The `understudy` command line: one commander program over one client module
 * (`client.ts`). `run` takes argv and the streams, so tests run it in-process.
 */
import { Command, CommanderError, Option } from 'commander';
import { S3ObjectStore } from '../lambdas/adapters/s3-object-store.js';
import { suggestBaselineJob } from '../lambdas/domain/model-monitor/baseline-job.js';
import { consoleCommands } from './commands/console.js';
import { endpointCommands } from './commands/endpoints.js';
import { keyCommands } from './commands/keys.js';
import { modelCommands } from './commands/models.js';
import { monitorCommands } from './commands/monitor.js';
import { platformCommands } from './commands/platform.js';
import { shadowCommands } from './commands/shadow.js';
import { type Cli, createCli } from './context.js';
import { classify, EXIT } from './errors.js';
import type { Io } from './output.js';

export const EXIT_CODES_HELP = `
Exit codes:
  0  done
  1  unexpected failure (a bug, a 5xx)
  2  bad arguments or options (nothing was sent)
  3  the platform refused the request (ValidationException, ConflictException, ResourceInUse...)
  4  the named resource does not exist
  5  credentials refused or not allowed to do this
  6  Understudy could not be reached (not running, wrong endpoint)
  7  what the command waited for failed (a job, an endpoint) or the wait timed out
  8  this deployment does not implement the operation (UnknownOperationException)

Where calls go: --endpoint-url, else AWS_ENDPOINT_URL_SAGEMAKER, else .understudy/local.env (written by
npm start / understudy up). Credentials: --profile, else the env file's, else the AWS SDK's default chain.`;

/** The old `baseline suggest` (before `monitor baseline`), kept for scripts that call it. */
function legacyBaseline(program: Command, cli: Cli) {
  program
    .command('baseline', { hidden: true })
    .description('Deprecated: use `understudy monitor baseline --local`')
    .command('suggest')
    .requiredOption('--dataset <s3-uri>', 'the dataset')
    .requiredOption('--output <s3-uri>', 'where statistics.json and constraints.json are written')
    .option('--format <format>', 'csv or jsonl', 'csv')
    .option('--no-header', 'CSV without a header line')
    .action(
      async (
        options: { dataset: string; output: string; format: string; header: boolean },
        command: Command,
      ) => {
        const client = cli.client(command);
        const out = cli.output(command);
        const result = await suggestBaselineJob(
          new S3ObjectStore(client.s3),
          {
            DatasetS3Uri: options.dataset,
            DatasetFormat:
              options.format === 'csv' ? { Csv: { Header: options.header } } : { Json: { Line: true } },
            OutputS3Uri: options.output,
          },
          { maxBytes: Number.POSITIVE_INFINITY },
        );
        out.line(
          `${result.Rows} rows, ${result.Features} features${result.UnparseableRecords ? `, ${result.UnparseableRecords} unparseable` : ''}`,
        );
        out.line(result.StatisticsS3Uri);
        out.line(result.ConstraintsS3Uri);
      },
    );
}

export function buildProgram(io: Io): Command {
  const cli = createCli(io);
  const program = new Command('understudy')
    .description(
      'Host ONNX models on serverless AWS through the SageMaker API: registry, endpoints, shadow tests, monitoring',
    )
    .option('--json', 'print results as JSON (for scripts)')
    .option(
      '--endpoint-url <url>',
      'Understudy API URL (default: AWS_ENDPOINT_URL_SAGEMAKER or .understudy/local.env)',
    )
    .option('--region <region>', 'AWS region')
    .option('--profile <name>', 'AWS profile for credentials')
    .addOption(
      new Option('--local-env <file>', 'env file of a local platform (npm start writes it)').default(
        undefined,
        '.understudy/local.env',
      ),
    )
    .option('--bucket <name>', 'bucket for uploads (default: UNDERSTUDY_BUCKET)')
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', EXIT_CODES_HELP);
  platformCommands(program, cli);
  consoleCommands(program, cli);
  modelCommands(program, cli);
  endpointCommands(program, cli);
  shadowCommands(program, cli);
  monitorCommands(program, cli);
  keyCommands(program, cli);
  legacyBaseline(program, cli);
  // Every command reports through run(): usage errors get exit code 2, written to our stderr.
  const configure = (command: Command) => {
    command.exitOverride();
    command.configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
    for (const sub of command.commands) configure(sub);
  };
  configure(program);
  return program;
}

/** Runs the CLI on `argv` (without node and the script) and answers its exit code. */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end with code 0; everything else commander refuses is a usage error.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const { exitCode, message } = classify(error);
    io.stderr(`understudy: ${message}\n`);
    if (io.env.DEBUG && error instanceof Error && error.stack) io.stderr(`${error.stack}\n`);
    return exitCode;
  }
}
