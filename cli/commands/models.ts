import { createHash } from 'node:crypto';
import * as path from 'node:path';
import {
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  CreateTrainingJobCommand,
  type DescribeModelPackageCommandOutput,
  DescribeModelPackageGroupCommand,
  DescribeTrainingJobCommand,
  ListArtifactsCommand,
  ListModelPackageGroupsCommand,
  ListModelPackagesCommand,
  QueryLineageCommand,
  UpdateModelPackageCommand,
} from '@aws-sdk/client-sagemaker';
import type { Command } from 'commander';
import type { UnderstudyClient } from '../client.js';
import { type Cli, collect, keyValues, readInput, waitFor } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { time } from '../output.js';
import { modelPackageArn, stamp } from '../references.js';

type DescribedPackage = Omit<DescribeModelPackageCommandOutput, '$metadata' | 'CreationTime'> & {
  CreationTime?: number;
  UnderstudyArtifact?: { S3Uri?: string; Sha256?: string; SizeBytes?: number };
};

interface HistoryEntry {
  Time: number;
  Action: string;
  ChangedFields?: string[];
  Principal?: { AccessKeyId: string; Role: string };
  From?: { ModelApprovalStatus?: string; ApprovalDescription?: string };
  To?: { ModelApprovalStatus?: string; ApprovalDescription?: string };
  Reason?: string;
}

/** The role Understudy records on training jobs: it runs them itself, so any role ARN will do locally. */
const DEFAULT_ROLE = 'arn:aws:iam::123456789012:role/understudy';

async function ensureGroup(client: UnderstudyClient, group: string, description?: string): Promise<string> {
  const describe = async () =>
    (await client.sagemaker.send(new DescribeModelPackageGroupCommand({ ModelPackageGroupName: group })))
      .ModelPackageGroupArn ?? '';
  try {
    return await describe();
  } catch (error) {
    if (!/ResourceNotFound|ValidationException/.test((error as Error).name)) throw error;
  }
  try {
    const { ModelPackageGroupArn } = await client.sagemaker.send(
      new CreateModelPackageGroupCommand({
        ModelPackageGroupName: group,
        ...(description ? { ModelPackageGroupDescription: description } : {}),
      }),
    );
    return ModelPackageGroupArn ?? '';
  } catch (error) {
    // Created meanwhile by another caller: it is there, which is all this asked for.
    if (/already exists/i.test((error as Error).message)) return describe();
    throw error;
  }
}

export function modelCommands(program: Command, cli: Cli): void {
  const models = program
    .command('models')
    .description('The model registry: model package groups and versions');

  models
    .command('register <file>')
    .description('Upload an ONNX model (or model.tar.gz), record its sha256 and register it as a new version')
    .requiredOption('-g, --group <name>', 'model package group (created when missing)')
    .option('-d, --description <text>', 'what this version is')
    .option('--dataset <uri>', 'the training data it was fitted on (recorded as metadata)')
    .option('--metrics <file>', 'a JSON file of offline metrics, uploaded and attached as ModelMetrics')
    .option('-m, --metadata <key=value>', 'customer metadata, repeatable', collect, [])
    .option('--content-type <type>', 'the input it takes', 'text/csv')
    .option('--approve', 'register it Approved (default: PendingManualApproval)')
    .addHelpText(
      'after',
      '\nExample:\n  understudy models register model.onnx --group churn --dataset s3://data/churn.csv --metrics metrics.json',
    )
    .action(async (file: string, options, command: Command) => {
      const client = cli.client(command);
      const out = cli.output(command);
      const body = await readInput(cli.io, file);
      const sha256 = createHash('sha256').update(body).digest('hex');
      const bucket = client.bucket();
      const extension = file.endsWith('.tar.gz') ? 'model.tar.gz' : 'model.onnx';
      const progress = out.progress(
        `uploading ${path.basename(file)} (${(body.length / 1024).toFixed(1)} KiB)`,
      );
      const modelUri = await client.putObject(
        `s3://${bucket}/models/${options.group}/${sha256}/${extension}`,
        body,
      );
      let metricsUri: string | undefined;
      if (options.metrics) {
        const metrics = await readInput(cli.io, options.metrics);
        try {
          JSON.parse(metrics.toString('utf8'));
        } catch {
          throw new CliError(`--metrics ${options.metrics} is not JSON`, EXIT.usage);
        }
        metricsUri = await client.putObject(
          `s3://${bucket}/models/${options.group}/${sha256}/metrics.json`,
          metrics,
          'application/json',
        );
      }
      progress.update(`registering in ${options.group}`);
      await ensureGroup(client, options.group);
      const metadata = {
        ...keyValues(options.metadata, '--metadata'),
        Sha256: sha256,
        // The key Understudy's lineage reads: the dataset becomes an artifact upstream of the version.
        ...(options.dataset ? { TrainingDataS3Uri: options.dataset } : {}),
      };
      const { ModelPackageArn } = await client.sagemaker.send(
        new CreateModelPackageCommand({
          ModelPackageGroupName: options.group,
          ...(options.description ? { ModelPackageDescription: options.description } : {}),
          InferenceSpecification: {
            Containers: [{ Image: 'onnx', ModelDataUrl: modelUri }],
            SupportedContentTypes: [options.contentType],
            SupportedResponseMIMETypes: ['application/json'],
          },
          ModelApprovalStatus: options.approve ? 'Approved' : 'PendingManualApproval',
          CustomerMetadataProperties: metadata,
          ...(metricsUri
            ? {
                ModelMetrics: {
                  ModelQuality: { Statistics: { ContentType: 'application/json', S3Uri: metricsUri } },
                },
              }
            : {}),
        }),
      );
      progress.succeed(`registered ${ModelPackageArn}`);
      const result = { ModelPackageArn, ModelDataUrl: modelUri, Sha256: sha256, MetricsS3Uri: metricsUri };
      out.result(result, () => out.fields(Object.entries(result)));
    });

  models
    .command('list [group]')
    .description('Model package groups, or the versions of one group')
    .addHelpText('after', '\nExamples:\n  understudy models list\n  understudy models list churn --json')
    .action(async (group: string | undefined, _options, command: Command) => {
      const client = cli.client(command);
      const out = cli.output(command);
      if (!group) {
        const { ModelPackageGroupSummaryList = [] } = await client.sagemaker.send(
          new ListModelPackageGroupsCommand({ MaxResults: 100 }),
        );
        out.result(ModelPackageGroupSummaryList, () =>
          out.table(
            ['group', 'status', 'created'],
            ModelPackageGroupSummaryList.map((g) => [
              g.ModelPackageGroupName,
              g.ModelPackageGroupStatus,
              time(g.CreationTime),
            ]),
          ),
        );
        return;
      }
      await client.sagemaker.send(new DescribeModelPackageGroupCommand({ ModelPackageGroupName: group }));
      const { ModelPackageSummaryList = [] } = await client.sagemaker.send(
        new ListModelPackagesCommand({
          ModelPackageGroupName: group,
          SortOrder: 'Ascending',
          MaxResults: 100,
        }),
      );
      out.result(ModelPackageSummaryList, () =>
        out.table(
          ['version', 'approval', 'status', 'created', 'description'],
          ModelPackageSummaryList.map((p) => [
            p.ModelPackageVersion,
            p.ModelApprovalStatus,
            p.ModelPackageStatus,
            time(p.CreationTime),
            p.ModelPackageDescription,
          ]),
        ),
      );
    });

  models
    .command('describe <package>')
    .description('One model package version: artifact, digest, approval, metadata')
    .addHelpText('after', '\nExample:\n  understudy models describe churn/2')
    .action(async (ref: string, _options, command: Command) => {
      const client = cli.client(command);
      const out = cli.output(command);
      const arn = await modelPackageArn(client, ref);
      // Sent as JSON rather than through the SDK's command, which drops UnderstudyArtifact (not in its model).
      const pkg = await client.call<DescribedPackage>(
        'DescribeModelPackage',
        { ModelPackageName: arn },
        'SageMaker',
      );
      const artifact = pkg.UnderstudyArtifact;
      out.result(pkg, () =>
        out.fields([
          ['arn', pkg.ModelPackageArn],
          ['version', pkg.ModelPackageVersion],
          ['approval', pkg.ModelApprovalStatus],
          ['status', pkg.ModelPackageStatus],
          ['created', time(pkg.CreationTime)],
          ['description', pkg.ModelPackageDescription],
          ['artifact', artifact?.S3Uri ?? pkg.InferenceSpecification?.Containers?.[0]?.ModelDataUrl],
          ['sha256', artifact?.Sha256],
          ['size', artifact?.SizeBytes],
          ...Object.entries(pkg.CustomerMetadataProperties ?? {}).map(
            ([k, v]) => [`metadata.${k}`, v] as const,
          ),
        ]),
      );
    });

  const decide =
    (status: 'Approved' | 'Rejected') =>
    async (ref: string, options: { note?: string; force?: string }, command: Command) => {
      const client = cli.client(command);
      const out = cli.output(command);
      const arn = await modelPackageArn(client, ref);
      if (options.force) {
        await client.call('ForceRejectModelPackage', { ModelPackageArn: arn, Reason: options.force });
      } else {
        await client.sagemaker.send(
          new UpdateModelPackageCommand({
            ModelPackageArn: arn,
            ModelApprovalStatus: status,
            ...(options.note ? { ApprovalDescription: options.note } : {}),
          }),
        );
      }
      out.result({ ModelPackageArn: arn, ModelApprovalStatus: status }, () => out.line(`${arn}: ${status}`));
    };
  models
    .command('approve <package>')
    .description('Approve a version for deployment')
    .option('-n, --note <text>', 'why (kept in the package history)')
    .addHelpText('after', '\nExample:\n  understudy models approve churn/2 --note "AUC 0.91 on holdout"')
    .action(decide('Approved'));
  models
    .command('reject <package>')
    .description('Reject a version (refused while an endpoint serves it, unless --force)')
    .option('-n, --note <text>', 'why')
    .option('--force <reason>', 'reject although endpoints serve it (Understudy.ForceRejectModelPackage)')
    .addHelpText('after', '\nExample:\n  understudy models reject churn/3 --note "leaks the label"')
    .action(decide('Rejected'));

  models
    .command('lineage <package>')
    .description('What a version came from and where it went (QueryLineage, both directions)')
    .option('--depth <n>', 'hops', '3')
    .addHelpText('after', '\nExample:\n  understudy models lineage churn/2')
    .action(async (ref: string, options: { depth: string }, command: Command) => {
      const client = cli.client(command);
      const out = cli.output(command);
      const arn = await modelPackageArn(client, ref);
      // Lineage starts from the version's artifact (SageMaker's: the artifact whose source is the package ARN).
      const { ArtifactSummaries = [] } = await client.sagemaker.send(
        new ListArtifactsCommand({ SourceUri: arn }),
      );
      const start = ArtifactSummaries[0]?.ArtifactArn;
      if (!start) throw new CliError(`${arn} has no lineage recorded`, EXIT.notFound);
      const { Vertices = [], Edges = [] } = await client.sagemaker.send(
        new QueryLineageCommand({
          StartArns: [start],
          Direction: 'Both',
          IncludeEdges: true,
          MaxDepth: Number(options.depth),
        }),
      );
      out.result({ Vertices, Edges }, () => {
        out.table(
          ['type', 'arn'],
          Vertices.map((v) => [v.LineageType ?? v.Type, v.Arn]),
        );
        out.table(
          ['from', 'association', 'to'],
          Edges.map((e) => [e.SourceArn, e.AssociationType, e.DestinationArn]),
        );
      });
    });

  models
    .command('history <package>')
    .description("A version's audit history: who moved its approval, when and why")
    .addHelpText('after', '\nExample:\n  understudy models history churn/2')
    .action(async (ref: string, _options, command: Command) => {
      const client = cli.client(command);
      const out = cli.output(command);
      const arn = await modelPackageArn(client, ref);
      const { ModelPackageHistory = [] } = await client.call<{ ModelPackageHistory?: HistoryEntry[] }>(
        'ListModelPackageHistory',
        { ModelPackageArn: arn },
      );
      out.result(ModelPackageHistory, () =>
        out.table(
          ['time', 'action', 'by', 'approval', 'why'],
          ModelPackageHistory.map((h) => [
            time(h.Time),
            `${h.Action} ${(h.ChangedFields ?? []).join(', ')}`.trim(),
            h.Principal ? `${h.Principal.Role} ${h.Principal.AccessKeyId}` : undefined,
            h.From?.ModelApprovalStatus && h.To?.ModelApprovalStatus
              ? `${h.From.ModelApprovalStatus} -> ${h.To.ModelApprovalStatus}`
              : h.To?.ModelApprovalStatus,
            h.Reason ?? h.To?.ApprovalDescription,
          ]),
        ),
      );
    });

  program
    .command('train')
    .description(
      "Train a built-in algorithm (linear-learner, xgboost) on a CSV with Understudy's training jobs, and wait",
    )
    .requiredOption('-a, --algorithm <name>', 'linear-learner or xgboost')
    .requiredOption(
      '--train <file>',
      'training CSV: no header, the label in the first column (or an s3:// URI)',
    )
    .option('--validation <file>', 'validation CSV, same layout')
    .option('-p, --hyperparameter <key=value>', 'repeatable, as SageMaker takes them', collect, [])
    .option('--name <job>', 'training job name (default: the algorithm and a time stamp)')
    .option('-g, --register <group>', 'register the trained model as a version of this group')
    .option('--role <arn>', 'the execution role recorded on the job', DEFAULT_ROLE)
    .option('--no-wait', 'return once the job is created')
    .option('--timeout <seconds>', 'how long to wait', '900')
    .addHelpText(
      'after',
      '\nExample:\n  understudy train -a xgboost --train cars.csv -p objective=reg:squarederror -p num_round=50 --register mpg',
    )
    .action(async (options, command: Command) => {
      const client = cli.client(command);
      const out = cli.output(command);
      const name: string = options.name ?? `${options.algorithm}-${stamp()}`;
      const bucket = client.bucket();
      const channel = async (file: string, channelName: string) =>
        file.startsWith('s3://')
          ? file
          : client.putObject(
              `s3://${bucket}/training/${name}/${channelName}/data.csv`,
              await readInput(cli.io, file),
              'text/csv',
            );
      const progress = out.progress(`uploading the training data of ${name}`);
      const channels = [{ ChannelName: 'train', uri: await channel(options.train, 'train') }];
      if (options.validation)
        channels.push({ ChannelName: 'validation', uri: await channel(options.validation, 'validation') });
      const groupArn = options.register ? await ensureGroup(client, options.register) : undefined;
      const { TrainingJobArn } = await client.sagemaker.send(
        new CreateTrainingJobCommand({
          TrainingJobName: name,
          AlgorithmSpecification: { TrainingImage: options.algorithm, TrainingInputMode: 'File' },
          RoleArn: options.role,
          HyperParameters: keyValues(options.hyperparameter, '--hyperparameter'),
          InputDataConfig: channels.map((c) => ({
            ChannelName: c.ChannelName,
            ContentType: 'text/csv',
            DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: c.uri } },
          })),
          OutputDataConfig: { S3OutputPath: `s3://${bucket}/training/${name}/output` },
          ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 10 },
          StoppingCondition: { MaxRuntimeInSeconds: 3600 },
          ...(groupArn ? { ModelPackageConfig: { ModelPackageGroupArn: groupArn } } : {}),
        }),
      );
      if (!options.wait) {
        progress.succeed(`created ${name}`);
        out.result({ TrainingJobName: name, TrainingJobArn }, () => out.line(TrainingJobArn));
        return;
      }
      const job = await waitFor(
        async () => {
          const described = await client.sagemaker.send(
            new DescribeTrainingJobCommand({ TrainingJobName: name }),
          );
          const status = described.TrainingJobStatus ?? '';
          return {
            done: !['InProgress', 'Stopping'].includes(status),
            value: described,
            status: `${status} (${described.SecondaryStatus ?? ''})`,
          };
        },
        {
          timeoutSeconds: Number(options.timeout),
          what: `training job ${name}`,
          onStatus: (s) => progress.update(`${name}: ${s}`),
        },
      );
      const { $metadata: _, ...view } = job;
      if (job.TrainingJobStatus !== 'Completed') {
        progress.fail(`${name}: ${job.TrainingJobStatus}`);
        if (out.json) out.result(view, () => undefined);
        throw new CliError(
          `training job ${name} ${job.TrainingJobStatus}: ${job.FailureReason ?? job.SecondaryStatus}`,
          EXIT.waitFailed,
        );
      }
      progress.succeed(`${name}: Completed`);
      const registered = job.OutputModelPackageArn;
      out.result(view, () => {
        out.fields([
          ['job', job.TrainingJobName],
          ['status', job.TrainingJobStatus],
          ['model', job.ModelArtifacts?.S3ModelArtifacts],
          ['registered', registered],
        ]);
        out.table(
          ['metric', 'value'],
          (job.FinalMetricDataList ?? []).map((m) => [m.MetricName, m.Value]),
        );
      });
    });

  program
    .command('evaluate [package]')
    .description(
      "The dual-evaluation view (Understudy.DescribeModelEvaluation): a version's offline metrics beside its endpoints' online quality, or an endpoint's versions",
    )
    .option('-e, --endpoint <name>', 'evaluate what this endpoint serves instead of one package')
    .addHelpText(
      'after',
      '\nExamples:\n  understudy evaluate churn/2\n  understudy evaluate --endpoint churn',
    )
    .action(async (ref: string | undefined, options: { endpoint?: string }, command: Command) => {
      const client = cli.client(command);
      const out = cli.output(command);
      if ((ref === undefined) === (options.endpoint === undefined)) {
        throw new CliError('give a package or --endpoint, one of them', EXIT.usage);
      }
      const input = ref
        ? { ModelPackageArn: await modelPackageArn(client, ref) }
        : { EndpointName: options.endpoint };
      let view: Record<string, unknown>;
      try {
        view = await client.call('DescribeModelEvaluation', input);
      } catch (error) {
        if ((error as Error).name === 'UnknownOperationException') {
          throw new CliError(
            'this deployment does not serve Understudy.DescribeModelEvaluation yet (the dual evaluation of issue 12): update Understudy, then try again',
            EXIT.unsupported,
          );
        }
        throw error;
      }
      out.result(view, () => {
        for (const [key, value] of Object.entries(view)) {
          out.line(`${key}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`);
        }
      });
    });
}
