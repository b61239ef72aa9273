#!/usr/bin/env node
/**
 * Operator commands for an Understudy deployment. AWS clients take their endpoint, region
 * and credentials from the standard environment; queue URLs come from flags, the
 * environment that `npm start` writes (.understudy/local.env), or the stack's outputs.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Command } from 'commander';
import { S3ObjectStore } from '../lambdas/adapters/s3-object-store.js';
import { suggestBaselineJob } from '../lambdas/domain/model-monitor/baseline-job.js';
import { clients } from '../lambdas/shared/clients.js';
import { listDeadLetters, redriveDeadLetters } from './dlq.js';

async function stackOutput(stackName: string, key: string): Promise<string> {
  const { Stacks } = await new CloudFormationClient({}).send(
    new DescribeStacksCommand({ StackName: stackName }),
  );
  const value = Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === key)?.OutputValue;
  if (!value) throw new Error(`stack ${stackName} has no output ${key}`);
  return value;
}

interface QueueOptions {
  dlqUrl?: string;
  queueUrl?: string;
  stack: string;
}

async function queues(options: QueueOptions) {
  const dlq =
    options.dlqUrl ??
    process.env.UNDERSTUDY_DLQ_URL ??
    (await stackOutput(options.stack, 'DeadLetterQueueUrl'));
  const queue =
    options.queueUrl ??
    process.env.UNDERSTUDY_MIRROR_QUEUE_URL ??
    (await stackOutput(options.stack, 'MirrorQueueUrl'));
  return { dlq, queue };
}

const program = new Command('understudy').description('Operate an Understudy deployment');
const dlq = program.command('dlq').description('The mirror queue’s dead-letter queue');
const queueFlags = (command: Command) =>
  command
    .option('--dlq-url <url>', 'dead-letter queue URL (default: $UNDERSTUDY_DLQ_URL or the stack output)')
    .option(
      '--queue-url <url>',
      'mirror queue URL (default: $UNDERSTUDY_MIRROR_QUEUE_URL or the stack output)',
    )
    .option('--stack <name>', 'CloudFormation stack name', 'Understudy');

queueFlags(dlq.command('list').description('Show dead letters and why they are there'))
  .option('--max <n>', 'at most this many', '100')
  .action(async (options: QueueOptions & { max: string }) => {
    const { dlq: url } = await queues(options);
    const letters = await listDeadLetters(new SQSClient({}), url, Number(options.max));
    for (const l of letters) console.log(`${l.messageId}\t${l.eventId ?? '-'}\t${l.reason}`);
    console.log(`${letters.length} dead letter(s)`);
  });

queueFlags(dlq.command('redrive').description('Send dead letters back to the mirror queue'))
  .option('--max <n>', 'at most this many')
  .action(async (options: QueueOptions & { max?: string }) => {
    const { dlq: url, queue } = await queues(options);
    const moved = await redriveDeadLetters(
      new SQSClient({}),
      url,
      queue,
      options.max ? Number(options.max) : undefined,
    );
    console.log(`redrove ${moved} message(s) to ${queue}`);
  });

const baseline = program.command('baseline').description('Model Monitor baselines');
baseline
  .command('suggest')
  .description(
    'Suggest statistics.json and constraints.json for a dataset, as Understudy.SuggestBaseline does (same code, run here)',
  )
  .requiredOption('--dataset <s3-uri>', 'the dataset: an object, or a prefix whose objects are read')
  .requiredOption('--output <s3-uri>', 'where statistics.json and constraints.json are written')
  .option('--format <format>', 'csv (with a header line) or jsonl (one JSON object per line)', 'csv')
  .option('--no-header', 'CSV without a header line (features are named _c0, _c1, ...)')
  .action(async (options: { dataset: string; output: string; format: string; header: boolean }) => {
    if (options.format !== 'csv' && options.format !== 'jsonl') {
      throw new Error(`--format must be csv or jsonl, got '${options.format}'`);
    }
    const result = await suggestBaselineJob(
      new S3ObjectStore(clients.s3()),
      {
        DatasetS3Uri: options.dataset,
        DatasetFormat:
          options.format === 'csv' ? { Csv: { Header: options.header } } : { Json: { Line: true } },
        OutputS3Uri: options.output,
      },
      { maxBytes: Number.POSITIVE_INFINITY },
    );
    console.log(
      `${result.Rows} rows, ${result.Features} features${result.UnparseableRecords ? `, ${result.UnparseableRecords} unparseable` : ''}`,
    );
    console.log(result.StatisticsS3Uri);
    console.log(result.ConstraintsS3Uri);
  });

program.parseAsync().catch((error: unknown) => {
  console.error(`understudy: ${(error as Error).message}`);
  process.exit(1);
});
