import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  CreateDataQualityJobDefinitionCommand,
  CreateModelQualityJobDefinitionCommand,
  CreateMonitoringScheduleCommand,
  DeleteDataQualityJobDefinitionCommand,
  DeleteModelQualityJobDefinitionCommand,
  DescribeMonitoringScheduleCommand,
  DescribeProcessingJobCommand,
  ListMonitoringExecutionsCommand,
  type MonitoringExecutionSummary,
  StartMonitoringScheduleCommand,
  StopMonitoringScheduleCommand,
} from '@aws-sdk/client-sagemaker';
import type { Command } from 'commander';
import { S3ObjectStore } from '../../lambdas/adapters/s3-object-store.js';
import { suggestBaselineJob } from '../../lambdas/domain/model-monitor/baseline-job.js';
import type { UnderstudyClient } from '../client.js';
import { type Cli, readInput, waitFor } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { time } from '../output.js';

const DEFAULT_ROLE = 'arn:aws:iam::123456789012:role/understudy';
const CLUSTER = {
  ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large' as const, VolumeSizeInGB: 20 },
};
const PROBLEM_TYPES = ['BinaryClassification', 'MulticlassClassification', 'Regression'] as const;

async function executions(client: UnderstudyClient, schedule: string): Promise<MonitoringExecutionSummary[]> {
  const { MonitoringExecutionSummaries = [] } = await client.sagemaker.send(
    new ListMonitoringExecutionsCommand({
      MonitoringScheduleName: schedule,
      SortBy: 'ScheduledTime',
      SortOrder: 'Descending',
      MaxResults: 100,
    }),
  );
  return MonitoringExecutionSummaries;
}

/** The output folder of an execution (its processing job's S3 output), where report.html is. */
async function outputOf(
  client: UnderstudyClient,
  execution: MonitoringExecutionSummary,
): Promise<string | undefined> {
  if (!execution.ProcessingJobArn) return undefined;
  const name = execution.ProcessingJobArn.split('/').pop() ?? '';
  const job = await client.sagemaker.send(new DescribeProcessingJobCommand({ ProcessingJobName: name }));
  return job.ProcessingOutputConfig?.Outputs?.[0]?.S3Output?.S3Uri;
}

export function monitorCommands(program: Command, cli: Cli): void {
  const monitor = program
    .command('monitor')
    .description(
      'Model Monitor: baselines, schedules, executions and their reports (data and model quality)',
    );

  monitor
    .command('baseline <dataset>')
    .description(
      'Suggest statistics.json and constraints.json from a dataset (a local file is uploaded first)',
    )
    .option('-o, --output <s3-uri>', 'where to write them (default: the bucket, under baselines/)')
    .option('--format <format>', 'csv (with a header line) or jsonl', 'csv')
    .option('--no-header', 'CSV without a header line (features are named _c0, _c1, ...)')
    .option(
      '--local',
      'compute it here rather than on the platform (same code; reads S3 directly, no size limit)',
    )
    .addHelpText(
      'after',
      '\nExample:\n  understudy monitor baseline train.csv -o s3://bucket/baselines/churn',
    )
    .action(async (dataset: string, options, command: Command) => {
      const client = cli.client(command);
      const out = cli.output(command);
      if (options.format !== 'csv' && options.format !== 'jsonl') {
        throw new CliError(`--format must be csv or jsonl, got '${options.format}'`, EXIT.usage);
      }
      const name = path.basename(dataset).replace(/\.[^.]+$/, '');
      const datasetUri = dataset.startsWith('s3://')
        ? dataset
        : await client.putObject(
            `s3://${client.bucket()}/baselines/${name}/dataset/${path.basename(dataset)}`,
            await readInput(cli.io, dataset),
          );
      const request = {
        DatasetS3Uri: datasetUri,
        DatasetFormat:
          options.format === 'csv' ? { Csv: { Header: options.header } } : { Json: { Line: true } },
        OutputS3Uri: options.output ?? `s3://${client.bucket()}/baselines/${name}`,
      };
      const result = options.local
        ? await suggestBaselineJob(new S3ObjectStore(client.s3), request, {
            maxBytes: Number.POSITIVE_INFINITY,
          })
        : await client.call<{
            Rows: number;
            Features: number;
            StatisticsS3Uri: string;
            ConstraintsS3Uri: string;
          }>('SuggestBaseline', request);
      out.result(result, () =>
        out.fields([
          ['rows', result.Rows],
          ['features', result.Features],
          ['statistics', result.StatisticsS3Uri],
          ['constraints', result.ConstraintsS3Uri],
        ]),
      );
    });

  monitor
    .command('schedule <endpoint>')
    .description(
      'Monitor an endpoint: a data-quality (against a baseline) or model-quality (against ground truth) schedule',
    )
    .option('--type <type>', 'data or model', 'data')
    .option('--name <schedule>', 'schedule name (default: ENDPOINT-data or ENDPOINT-model)')
    .option(
      '--baseline <s3-uri|name>',
      'data: the folder holding statistics.json and constraints.json, or the name `monitor baseline` gave it',
    )
    .option('--problem-type <type>', `model: ${PROBLEM_TYPES.join(', ')}`)
    .option(
      '--ground-truth <s3-uri>',
      'model: where labels are put (default: the bucket, under ground-truth/)',
    )
    .option(
      '--inference-attribute <attr>',
      "model: the prediction in the endpoint's output (a JSON key or $.path; a column index of CSV output)",
      'predictions',
    )
    .option(
      '--drift-rule <rule>',
      "data: which drift makes a violation: l_infinity (SageMaker's distance check), calibrated (Understudy's tests) or any",
    )
    .option('--probability-attribute <attr>', 'model: the positive class probability')
    .option('--threshold <p>', 'model: the probability cut-off')
    .option(
      '--cron <expression>',
      'when it runs: cron(...), rate(...) or NOW (runs at once, and again on `monitor run`)',
      'NOW',
    )
    .option('--role <arn>', 'the role recorded on the job definition', DEFAULT_ROLE)
    .addHelpText(
      'after',
      '\nExamples:\n  understudy monitor schedule churn --baseline s3://bucket/baselines/train\n  understudy monitor schedule churn --type model --problem-type BinaryClassification --cron "cron(0 * ? * * *)"',
    )
    .action(async (endpoint: string, options, command: Command) => {
      const client = cli.client(command);
      const out = cli.output(command);
      const bucket = client.bucket();
      const name: string = options.name ?? `${endpoint}-${options.type}`;
      const output = {
        MonitoringOutputs: [
          {
            S3Output: { S3Uri: `s3://${bucket}/monitoring/${name}`, LocalPath: '/opt/ml/processing/output' },
          },
        ],
      };
      const endpointInput = { EndpointName: endpoint, LocalPath: '/opt/ml/processing/input' };
      if (options.type === 'data') {
        if (!options.baseline)
          throw new CliError(
            'a data-quality schedule needs --baseline s3://... (see: understudy monitor baseline)',
            EXIT.usage,
          );
        // A bare name is what `monitor baseline` wrote under the bucket's baselines/ (its default output).
        const folder = String(options.baseline).startsWith('s3://')
          ? String(options.baseline).replace(/\/$/, '')
          : `s3://${bucket}/baselines/${options.baseline}`;
        await client.sagemaker.send(
          new CreateDataQualityJobDefinitionCommand({
            JobDefinitionName: name,
            DataQualityBaselineConfig: {
              StatisticsResource: { S3Uri: `${folder}/statistics.json` },
              ConstraintsResource: { S3Uri: `${folder}/constraints.json` },
            },
            DataQualityAppSpecification: {
              ImageUri: 'sagemaker-model-monitor-analyzer',
              // Checked by the service (ValidationException names the allowed values).
              ...(options.driftRule
                ? { Environment: { drift_violation_rule: String(options.driftRule) } }
                : {}),
            },
            DataQualityJobInput: { EndpointInput: endpointInput },
            DataQualityJobOutputConfig: output,
            JobResources: CLUSTER,
            RoleArn: options.role,
          }),
        );
      } else if (options.type === 'model') {
        if (!PROBLEM_TYPES.includes(options.problemType)) {
          throw new CliError(
            `a model-quality schedule needs --problem-type ${PROBLEM_TYPES.join('|')}`,
            EXIT.usage,
          );
        }
        await client.sagemaker.send(
          new CreateModelQualityJobDefinitionCommand({
            JobDefinitionName: name,
            ModelQualityAppSpecification: {
              ImageUri: 'sagemaker-model-monitor-analyzer',
              ProblemType: options.problemType,
            },
            ModelQualityJobInput: {
              EndpointInput: {
                ...endpointInput,
                ...(options.probabilityAttribute ? {} : { InferenceAttribute: options.inferenceAttribute }),
                ...(options.probabilityAttribute
                  ? { ProbabilityAttribute: options.probabilityAttribute }
                  : {}),
                ...(options.threshold ? { ProbabilityThresholdAttribute: Number(options.threshold) } : {}),
              },
              GroundTruthS3Input: { S3Uri: options.groundTruth ?? `s3://${bucket}/ground-truth` },
            },
            ModelQualityJobOutputConfig: output,
            JobResources: CLUSTER,
            RoleArn: options.role,
          }),
        );
      } else {
        throw new CliError(`--type must be data or model, got '${options.type}'`, EXIT.usage);
      }
      const created = client.sagemaker.send(
        new CreateMonitoringScheduleCommand({
          MonitoringScheduleName: name,
          MonitoringScheduleConfig: {
            ScheduleConfig: {
              ScheduleExpression: options.cron,
              ...(options.cron === 'NOW'
                ? { DataAnalysisStartTime: '-PT24H', DataAnalysisEndTime: '-PT0H' }
                : {}),
            },
            MonitoringJobDefinitionName: name,
            MonitoringType: options.type === 'data' ? 'DataQuality' : 'ModelQuality',
          },
        }),
      );
      // A schedule refused leaves no job definition behind: the command did nothing.
      const { MonitoringScheduleArn } = await created.catch(async (error: unknown) => {
        await client.sagemaker
          .send(
            options.type === 'data'
              ? new DeleteDataQualityJobDefinitionCommand({ JobDefinitionName: name })
              : new DeleteModelQualityJobDefinitionCommand({ JobDefinitionName: name }),
          )
          .catch(() => undefined);
        throw error;
      });
      out.result({ MonitoringScheduleName: name, MonitoringScheduleArn }, () =>
        out.line(`${name}: ${MonitoringScheduleArn}`),
      );
    });

  monitor
    .command('run <schedule>')
    .description('Run a NOW schedule again (stop and start it) and wait for its execution to finish')
    .option('--timeout <seconds>', 'how long to wait', '300')
    .addHelpText('after', '\nExample:\n  understudy monitor run churn-data')
    .action(async (name: string, options: { timeout: string }, command: Command) => {
      const client = cli.client(command);
      const out = cli.output(command);
      const schedule = await client.sagemaker.send(
        new DescribeMonitoringScheduleCommand({ MonitoringScheduleName: name }),
      );
      if (schedule.MonitoringScheduleConfig?.ScheduleConfig?.ScheduleExpression !== 'NOW') {
        throw new CliError(
          `${name} runs on ${schedule.MonitoringScheduleConfig?.ScheduleConfig?.ScheduleExpression}: only a NOW schedule runs on demand (create one with --cron NOW)`,
          EXIT.rejected,
        );
      }
      const before = new Set(
        (await executions(client, name)).map((e) => e.ProcessingJobArn ?? String(e.ScheduledTime)),
      );
      const progress = out.progress(`running ${name}`);
      if (schedule.MonitoringScheduleStatus === 'Scheduled') {
        await client.sagemaker.send(new StopMonitoringScheduleCommand({ MonitoringScheduleName: name }));
      }
      await client.sagemaker.send(new StartMonitoringScheduleCommand({ MonitoringScheduleName: name }));
      const execution = await waitFor(
        async () => {
          const fresh = (await executions(client, name)).find(
            (e) => !before.has(e.ProcessingJobArn ?? String(e.ScheduledTime)),
          );
          const status = fresh?.MonitoringExecutionStatus ?? 'Pending';
          return {
            done: Boolean(fresh) && !['Pending', 'InProgress', 'Stopping'].includes(status),
            value: fresh,
            status,
          };
        },
        {
          timeoutSeconds: Number(options.timeout),
          what: `an execution of ${name}`,
          onStatus: (s) => progress.update(`${name}: ${s}`),
        },
      );
      const output = execution ? await outputOf(client, execution) : undefined;
      const result = { ...execution, OutputS3Uri: output };
      if (!['Completed', 'CompletedWithViolations'].includes(execution?.MonitoringExecutionStatus ?? '')) {
        progress.fail(`${name}: ${execution?.MonitoringExecutionStatus}`);
        if (out.json) out.result(result, () => undefined);
        throw new CliError(
          `${name}: ${execution?.MonitoringExecutionStatus}: ${execution?.FailureReason ?? ''}`,
          EXIT.waitFailed,
        );
      }
      progress.succeed(`${name}: ${execution?.MonitoringExecutionStatus}`);
      out.result(result, () =>
        out.fields([
          ['status', execution?.MonitoringExecutionStatus],
          ['job', execution?.ProcessingJobArn],
          ['output', output],
        ]),
      );
    });

  monitor
    .command('executions <schedule>')
    .description("A schedule's executions, newest first")
    .addHelpText('after', '\nExample:\n  understudy monitor executions churn-data --json')
    .action(async (name: string, _options, command: Command) => {
      const client = cli.client(command);
      const out = cli.output(command);
      await client.sagemaker.send(new DescribeMonitoringScheduleCommand({ MonitoringScheduleName: name }));
      const list = await executions(client, name);
      out.result(list, () =>
        out.table(
          ['scheduled', 'status', 'type', 'job', 'failure'],
          list.map((e) => [
            time(e.ScheduledTime),
            e.MonitoringExecutionStatus,
            e.MonitoringType,
            e.ProcessingJobArn?.split('/').pop(),
            e.FailureReason,
          ]),
        ),
      );
    });

  monitor
    .command('report <schedule>')
    .description("The latest finished execution's HTML report, saved to a file, with its violations")
    .option('-o, --out <file>', 'where to save report.html', 'report.html')
    .addHelpText('after', '\nExample:\n  understudy monitor report churn-data -o drift.html')
    .action(async (name: string, options: { out: string }, command: Command) => {
      const client = cli.client(command);
      const out = cli.output(command);
      const latest = (await executions(client, name)).find((e) =>
        ['Completed', 'CompletedWithViolations'].includes(e.MonitoringExecutionStatus ?? ''),
      );
      if (!latest)
        throw new CliError(
          `${name} has no finished execution yet (try: understudy monitor run ${name})`,
          EXIT.notFound,
        );
      const folder = await outputOf(client, latest);
      if (!folder)
        throw new CliError(
          `the execution of ${name} at ${time(latest.ScheduledTime)} has no output`,
          EXIT.notFound,
        );
      const html = await client.getObject(`${folder}/report.html`).catch((error: Error) => {
        if (!/NoSuchKey|NotFound/.test(error.name)) throw error;
        throw new CliError(
          `the execution of ${name} at ${time(latest.ScheduledTime)} wrote no report.html: ${folder}`,
          EXIT.notFound,
        );
      });
      const file = path.resolve(cli.io.cwd, options.out);
      writeFileSync(file, html);
      const violations = await client
        .getObject(`${folder}/constraint_violations.json`)
        .then(
          (text) =>
            (
              JSON.parse(text) as {
                violations?: {
                  feature_name?: string;
                  metric_name?: string;
                  constraint_check_type?: string;
                  description?: string;
                }[];
              }
            ).violations ?? [],
        )
        .catch(() => []);
      const result = {
        Report: file,
        ReportS3Uri: `${folder}/report.html`,
        Status: latest.MonitoringExecutionStatus,
        Violations: violations,
      };
      out.result(result, () => {
        out.line(`${latest.MonitoringExecutionStatus} at ${time(latest.ScheduledTime)}: ${file}`);
        if (violations.length > 0) {
          out.table(
            ['feature', 'check', 'description'],
            violations.map((v) => [v.feature_name ?? v.metric_name, v.constraint_check_type, v.description]),
          );
        }
      });
    });

  const groundTruth = program
    .command('ground-truth')
    .description('Labels for captured predictions (model-quality monitoring joins them)');
  groundTruth
    .command('put <endpoint> [file]')
    .description(
      'Put labels from a CSV (inferenceId,label or eventId,label, a header line naming which) or JSON Lines file, or stdin',
    )
    .option(
      '--ground-truth <s3-uri>',
      'the GroundTruthS3Input of the model-quality schedule (default: the bucket, under ground-truth/)',
    )
    .addHelpText('after', '\nExample:\n  understudy ground-truth put churn labels.csv')
    .action(
      async (
        endpoint: string,
        file: string | undefined,
        options: { groundTruth?: string },
        command: Command,
      ) => {
        const client = cli.client(command);
        const out = cli.output(command);
        const records = parseLabels((await readInput(cli.io, file)).toString('utf8'));
        const result = await client.call<{ GroundTruthS3Uri: string; RecordCount: number }>(
          'PutGroundTruth',
          {
            EndpointName: endpoint,
            GroundTruthS3Uri: options.groundTruth ?? `s3://${client.bucket()}/ground-truth`,
            Records: records,
          },
        );
        out.result(result, () => out.line(`${result.RecordCount} label(s) in ${result.GroundTruthS3Uri}`));
      },
    );
}

type LabelRecord = { InferenceId?: string; EventId?: string; Label: string | number };

/** CSV with a header naming inferenceId or eventId and label, or JSON Lines of the same keys. */
export function parseLabels(text: string): LabelRecord[] {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  if (lines.length === 0) throw new CliError('no labels given', EXIT.usage);
  const label = (value: unknown): string | number => {
    if (typeof value === 'number') return value;
    const n = Number(value);
    return value !== '' && Number.isFinite(n) ? n : String(value);
  };
  if (lines[0]?.trimStart().startsWith('{')) {
    return lines.map((line, i) => {
      let row: Record<string, unknown>;
      try {
        row = JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new CliError(`line ${i + 1} is not JSON`, EXIT.usage);
      }
      const id = row.inferenceId ?? row.InferenceId;
      const eventId = row.eventId ?? row.EventId;
      const value = row.label ?? row.Label;
      if ((id === undefined && eventId === undefined) || value === undefined) {
        throw new CliError(`line ${i + 1} needs inferenceId (or eventId) and label`, EXIT.usage);
      }
      return id !== undefined
        ? { InferenceId: String(id), Label: label(value) }
        : { EventId: String(eventId), Label: label(value) };
    });
  }
  const header = (lines[0] ?? '').split(',').map((h) => h.trim().toLowerCase());
  const idColumn = header.findIndex((h) => h === 'inferenceid' || h === 'eventid');
  const labelColumn = header.indexOf('label');
  if (idColumn < 0 || labelColumn < 0) {
    throw new CliError('the CSV needs a header line naming inferenceId (or eventId) and label', EXIT.usage);
  }
  const key = header[idColumn] === 'eventid' ? 'EventId' : 'InferenceId';
  return lines.slice(1).map((line) => {
    const cells = line.split(',').map((c) => c.trim());
    return { [key]: cells[idColumn] ?? '', Label: label(cells[labelColumn] ?? '') };
  });
}
