import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  DescribeEndpointCommand,
  type DescribeEndpointCommandOutput,
  DescribeEndpointConfigCommand,
  ListEndpointsCommand,
  type ProductionVariant,
  UpdateEndpointCommand,
  UpdateEndpointWeightsAndCapacitiesCommand,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import type { Command } from 'commander';
import type { UnderstudyClient } from '../client.js';
import { type Cli, collect, positiveNumber, readInput, waitFor } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { type Progress, time } from '../output.js';
import { modelFor, parseVariant, parseWeight, stamp } from '../references.js';

/** Waits for InService; Failed (or a timeout) exits with EXIT.waitFailed. */
export async function endpointInService(
  client: UnderstudyClient,
  name: string,
  progress: Progress,
  timeoutSeconds = 300,
): Promise<DescribeEndpointCommandOutput> {
  const endpoint = await waitFor(
    async () => {
      const described = await client.sagemaker.send(new DescribeEndpointCommand({ EndpointName: name }));
      const status = described.EndpointStatus ?? '';
      return {
        done: !['Creating', 'Updating', 'SystemUpdating', 'RollingBack'].includes(status),
        value: described,
        status,
      };
    },
    {
      timeoutSeconds,
      what: `endpoint ${name}`,
      intervalMs: 500,
      onStatus: (s) => progress.update(`${name}: ${s}`),
    },
  );
  if (endpoint.EndpointStatus !== 'InService') {
    progress.fail(`${name}: ${endpoint.EndpointStatus}`);
    throw new CliError(
      `endpoint ${name} is ${endpoint.EndpointStatus}: ${endpoint.FailureReason ?? ''}`,
      EXIT.waitFailed,
    );
  }
  progress.succeed(`${name}: InService`);
  return endpoint;
}

function variantRows(endpoint: Omit<DescribeEndpointCommandOutput, '$metadata'>) {
  const variants = endpoint.ProductionVariants ?? [];
  const total = variants.reduce((sum, v) => sum + (v.CurrentWeight ?? 0), 0);
  return [
    ...variants.map((v) => [
      v.VariantName,
      'production',
      v.CurrentWeight,
      total > 0 ? `${(((v.CurrentWeight ?? 0) / total) * 100).toFixed(1)}%` : '-',
      v.DeployedImages?.[0]?.SpecifiedImage,
    ]),
    ...(endpoint.ShadowProductionVariants ?? []).map((v) => [
      v.VariantName,
      'shadow',
      v.CurrentWeight,
      'copy',
      undefined,
    ]),
  ];
}

async function currentCapture(client: UnderstudyClient, endpoint: string) {
  const current = await client.sagemaker
    .send(new DescribeEndpointCommand({ EndpointName: endpoint }))
    .catch((error: Error) => {
      if (/ValidationException|ResourceNotFound/.test(error.name)) return undefined;
      throw error;
    });
  if (!current?.EndpointConfigName) return undefined;
  const config = await client.sagemaker.send(
    new DescribeEndpointConfigCommand({ EndpointConfigName: current.EndpointConfigName }),
  );
  return config.DataCaptureConfig;
}

/** The endpoint config `deploy` and `rollout` create from `VARIANT=SOURCE@WEIGHT` specs. */
async function createConfig(
  client: UnderstudyClient,
  endpoint: string,
  specs: readonly string[],
  options: { capture?: string; shadow?: string[] },
): Promise<string> {
  const id = stamp();
  const variants = specs.map(parseVariant);
  const shadows = (options.shadow ?? []).map(parseVariant);
  if (variants.length === 0)
    throw new CliError('name at least one variant: NAME=MODEL_OR_PACKAGE[@WEIGHT]', EXIT.usage);
  const variant = async (v: (typeof variants)[number]): Promise<ProductionVariant> => ({
    VariantName: v.name,
    ModelName: await modelFor(client, v.source, `${endpoint}-${v.name}-${id}`),
    InitialVariantWeight: v.weight,
  });
  const configName = `${endpoint}-${id}`;
  const capture = options.capture === undefined ? undefined : positiveNumber(options.capture, '--capture');
  // Without --capture, a new config captures as the one it replaces did: monitoring and trace keep working.
  const inherited = capture === undefined ? await currentCapture(client, endpoint) : undefined;
  await client.sagemaker.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: configName,
      ProductionVariants: await Promise.all(variants.map(variant)),
      ...(shadows.length > 0 ? { ShadowProductionVariants: await Promise.all(shadows.map(variant)) } : {}),
      ...(capture !== undefined
        ? {
            DataCaptureConfig: {
              EnableCapture: true,
              InitialSamplingPercentage: capture,
              DestinationS3Uri: `s3://${client.bucket()}/captures/${endpoint}`,
              CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
            },
          }
        : inherited
          ? { DataCaptureConfig: inherited }
          : {}),
    }),
  );
  return configName;
}

export function endpointCommands(program: Command, cli: Cli): void {
  const endpoints = program
    .command('endpoints')
    .description('Endpoints: deploy, shift traffic, roll out, roll back');

  endpoints
    .command('deploy <endpoint> <variants...>')
    .description(
      'Create (or update) an endpoint serving VARIANT=SOURCE[@WEIGHT] variants, SOURCE a model package (ARN, GROUP/VERSION, GROUP = latest) or a model name',
    )
    .option(
      '--capture <percent>',
      'capture inputs and outputs of this share of requests (needed by monitoring and trace)',
    )
    .option(
      '--shadow <variant>',
      'a shadow variant NAME=SOURCE (gets a copy of production traffic), repeatable',
      collect,
      [],
    )
    .option('--no-wait', 'return once the change is accepted')
    .addHelpText(
      'after',
      '\nExample:\n  understudy endpoints deploy churn champion=churn/1@90 challenger=churn/2@10 --capture 100',
    )
    .action(async (name: string, specs: string[], options, command: Command) => {
      const client = cli.client(command);
      const out = cli.output(command);
      const progress = out.progress(`deploying ${name}`);
      const configName = await createConfig(client, name, specs, options);
      const exists = await client.sagemaker
        .send(new DescribeEndpointCommand({ EndpointName: name }))
        .then(() => true)
        .catch((error: Error) => {
          if (/ValidationException|ResourceNotFound/.test(error.name)) return false;
          throw error;
        });
      await client.sagemaker.send(
        exists
          ? new UpdateEndpointCommand({ EndpointName: name, EndpointConfigName: configName })
          : new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: configName }),
      );
      const endpoint = options.wait
        ? await endpointInService(client, name, progress)
        : await client.sagemaker.send(new DescribeEndpointCommand({ EndpointName: name }));
      const { $metadata: _, ...view } = endpoint;
      out.result(view, () => {
        out.line(`${name} (${endpoint.EndpointStatus}) serves config ${configName}`);
        out.table(['variant', 'kind', 'weight', 'traffic', 'image'], variantRows(endpoint));
      });
    });

  endpoints
    .command('list')
    .description('Endpoints and their status')
    .addHelpText('after', '\nExample:\n  understudy endpoints list --json')
    .action(async (_options, command: Command) => {
      const client = cli.client(command);
      const out = cli.output(command);
      const { Endpoints = [] } = await client.sagemaker.send(new ListEndpointsCommand({ MaxResults: 100 }));
      out.result(Endpoints, () =>
        out.table(
          ['endpoint', 'status', 'created', 'modified'],
          Endpoints.map((e) => [
            e.EndpointName,
            e.EndpointStatus,
            time(e.CreationTime),
            time(e.LastModifiedTime),
          ]),
        ),
      );
    });

  endpoints
    .command('describe <endpoint>')
    .description('One endpoint: its variants, weights and traffic shares')
    .addHelpText('after', '\nExample:\n  understudy endpoints describe churn')
    .action(async (name: string, _options, command: Command) => {
      const client = cli.client(command);
      const out = cli.output(command);
      const { $metadata: _, ...endpoint } = await client.sagemaker.send(
        new DescribeEndpointCommand({ EndpointName: name }),
      );
      out.result(endpoint, () => {
        out.fields([
          ['endpoint', endpoint.EndpointName],
          ['status', endpoint.EndpointStatus],
          ['config', endpoint.EndpointConfigName],
          ['failure', endpoint.FailureReason],
        ]);
        out.table(['variant', 'kind', 'weight', 'traffic', 'image'], variantRows(endpoint));
      });
    });

  endpoints
    .command('weights <endpoint> <weights...>')
    .description('Shift traffic between the variants now (UpdateEndpointWeightsAndCapacities)')
    .addHelpText('after', '\nExample:\n  understudy endpoints weights churn champion=50 challenger=50')
    .action(async (name: string, specs: string[], _options, command: Command) => {
      const client = cli.client(command);
      const out = cli.output(command);
      const weights = specs.map(parseWeight);
      await client.sagemaker.send(
        new UpdateEndpointWeightsAndCapacitiesCommand({
          EndpointName: name,
          DesiredWeightsAndCapacities: weights.map((w) => ({ VariantName: w.name, DesiredWeight: w.weight })),
        }),
      );
      const endpoint = await endpointInService(client, name, out.progress(`updating ${name}`));
      const { $metadata: _, ...view } = endpoint;
      out.result(view, () =>
        out.table(['variant', 'kind', 'weight', 'traffic', 'image'], variantRows(endpoint)),
      );
    });

  endpoints
    .command('rollout <endpoint> <variants...>')
    .description(
      'Move the endpoint to new variants step by step (blue/green: canary or linear), rolled back on an alarm',
    )
    .option('--canary <percent>', 'send this share first, then the rest')
    .option('--linear <percent>', 'move this share at each step')
    .option('--bake <seconds>', 'wait between steps', '60')
    .option('--alarm <name>', 'CloudWatch alarm that rolls the change back, repeatable', collect, [])
    .option('--capture <percent>', 'capture share on the new config')
    .option('--no-wait', 'return once the rollout has started')
    .addHelpText(
      'after',
      '\nExample:\n  understudy endpoints rollout churn champion=churn/2 --canary 10 --bake 300 --alarm churn-5xx',
    )
    .action(async (name: string, specs: string[], options, command: Command) => {
      const client = cli.client(command);
      const out = cli.output(command);
      if (options.canary && options.linear)
        throw new CliError('give --canary or --linear, not both', EXIT.usage);
      const bake = positiveNumber(options.bake, '--bake');
      const routing = options.canary
        ? {
            Type: 'CANARY' as const,
            WaitIntervalInSeconds: bake,
            CanarySize: {
              Type: 'CAPACITY_PERCENT' as const,
              Value: positiveNumber(options.canary, '--canary'),
            },
          }
        : options.linear
          ? {
              Type: 'LINEAR' as const,
              WaitIntervalInSeconds: bake,
              LinearStepSize: {
                Type: 'CAPACITY_PERCENT' as const,
                Value: positiveNumber(options.linear, '--linear'),
              },
            }
          : { Type: 'ALL_AT_ONCE' as const, WaitIntervalInSeconds: bake };
      const progress = out.progress(`rolling out ${name}`);
      const configName = await createConfig(client, name, specs, options);
      await client.sagemaker.send(
        new UpdateEndpointCommand({
          EndpointName: name,
          EndpointConfigName: configName,
          DeploymentConfig: {
            BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: routing, TerminationWaitInSeconds: 0 },
            ...(options.alarm.length > 0
              ? {
                  AutoRollbackConfiguration: {
                    Alarms: options.alarm.map((AlarmName: string) => ({ AlarmName })),
                  },
                }
              : {}),
          },
        }),
      );
      const endpoint = options.wait
        ? await endpointInService(client, name, progress, 3600)
        : await client.sagemaker.send(new DescribeEndpointCommand({ EndpointName: name }));
      const { $metadata: _, ...view } = endpoint;
      out.result(view, () =>
        out.line(`${name}: ${endpoint.EndpointStatus}, config ${endpoint.EndpointConfigName}`),
      );
    });

  endpoints
    .command('rollback <endpoint>')
    .description(
      'Back to the previous endpoint config in one call, or stop a rollout in progress (Understudy.RollbackEndpoint)',
    )
    .addHelpText('after', '\nExample:\n  understudy endpoints rollback churn')
    .action(async (name: string, _options, command: Command) => {
      const client = cli.client(command);
      const out = cli.output(command);
      const result = await client.call('RollbackEndpoint', { EndpointName: name });
      const endpoint = await endpointInService(client, name, out.progress(`rolling back ${name}`));
      out.result({ ...result, EndpointConfigName: endpoint.EndpointConfigName }, () =>
        out.line(`${name} serves ${endpoint.EndpointConfigName} again`),
      );
    });

  endpoints
    .command('history <endpoint>')
    .description(
      'What the endpoint served when: creation, rollouts and their steps, weight changes, rollbacks, promotions',
    )
    .addHelpText('after', '\nExample:\n  understudy endpoints history churn')
    .action(async (name: string, _options, command: Command) => {
      const client = cli.client(command);
      const out = cli.output(command);
      const { Deployments = [] } = await client.call<{ Deployments?: Deployment[] }>(
        'ListDeploymentHistory',
        {
          EndpointName: name,
          SortOrder: 'Ascending',
        },
      );
      out.result(Deployments, () =>
        out.table(
          ['started', 'change', 'status', 'from', 'to', 'why'],
          Deployments.map((d) => [
            time(d.StartTime),
            d.DeploymentType,
            d.DeploymentStatus,
            d.SourceEndpointConfigName,
            d.TargetEndpointConfigName,
            d.Reason ?? d.FailureReason,
          ]),
        ),
      );
    });

  program
    .command('invoke <endpoint> [file]')
    .description('Send CSV or JSON rows to an endpoint, from a file or stdin; prints the answer')
    .option('-t, --content-type <type>', 'text/csv or application/json (default: guessed from the body)')
    .option('--accept <type>', 'answer as application/json or text/csv')
    .option('--inference-id <id>', 'your id for this request (ground truth and trace find it by this id)')
    .option('--target-variant <name>', 'bypass the weights and call this variant')
    .addHelpText(
      'after',
      '\nExamples:\n  understudy invoke churn rows.csv\n  echo "1.5,2,0.3" | understudy invoke churn --inference-id order-17',
    )
    .action(async (name: string, file: string | undefined, options, command: Command) => {
      const client = cli.client(command);
      const out = cli.output(command);
      const body = await readInput(cli.io, file);
      const text = body.toString('utf8').trimStart();
      const contentType: string =
        options.contentType ??
        (file?.endsWith('.json') || text.startsWith('{') || text.startsWith('[')
          ? 'application/json'
          : 'text/csv');
      const answer = await client.runtime.send(
        new InvokeEndpointCommand({
          EndpointName: name,
          ContentType: contentType,
          Body: body,
          ...(options.accept ? { Accept: options.accept } : {}),
          ...(options.inferenceId ? { InferenceId: options.inferenceId } : {}),
          ...(options.targetVariant ? { TargetVariant: options.targetVariant } : {}),
        }),
      );
      const decoded = new TextDecoder().decode(answer.Body);
      let parsed: unknown = decoded;
      try {
        parsed = JSON.parse(decoded);
      } catch {
        parsed = decoded;
      }
      out.result(
        {
          Body: parsed,
          ContentType: answer.ContentType,
          InvokedProductionVariant: answer.InvokedProductionVariant,
        },
        () => cli.io.stdout(decoded.endsWith('\n') ? decoded : `${decoded}\n`),
      );
    });

  program
    .command('trace <endpoint> <id>')
    .description(
      'One captured prediction back to its variant, model version, artifact digest, approval and training data',
    )
    .option(
      '--event-id',
      'the id is a capture eventId (default: tried as an InferenceId, then as an eventId)',
    )
    .addHelpText('after', '\nExample:\n  understudy trace churn order-17')
    .action(async (name: string, id: string, options: { eventId?: boolean }, command: Command) => {
      const client = cli.client(command);
      const out = cli.output(command);
      const trace = async (key: 'EventId' | 'InferenceId') =>
        client.call<Trace>('TraceInference', { EndpointName: name, [key]: id });
      let result: Trace;
      if (options.eventId || id.length > 64) result = await trace('EventId');
      else {
        try {
          result = await trace('InferenceId');
        } catch (error) {
          if (!/ResourceNotFound/.test((error as Error).name)) throw error;
          result = await trace('EventId');
        }
      }
      out.result(result, () => {
        out.fields([
          ['endpoint', result.EndpointName],
          ['event', result.EventId],
          ['inference id', result.InferenceId],
          ['time', time(result.InferenceTime)],
          ['capture', result.CaptureS3Uri],
          ['variant', result.VariantName],
          ['config', result.EndpointConfigName],
          ['model', result.ModelName],
          ['package', result.ModelPackageArn],
          ['artifact', result.ModelArtifact?.S3Uri],
          ['sha256', result.ModelArtifact?.Sha256],
          ['approval', result.Approval?.StatusWhenDeployed],
          ...(result.Lineage?.TrainingData ?? []).map(
            (d) => ['training data', d.SourceUri ?? d.ArtifactArn] as const,
          ),
        ]);
      });
    });
}

interface Deployment {
  StartTime: number;
  DeploymentType: string;
  DeploymentStatus: string;
  SourceEndpointConfigName?: string;
  TargetEndpointConfigName?: string;
  Reason?: string;
  FailureReason?: string;
}

export interface Trace {
  EndpointName: string;
  EventId: string;
  InferenceId?: string;
  InferenceTime?: string | number;
  CaptureS3Uri?: string;
  VariantName?: string;
  EndpointConfigName?: string;
  ModelName?: string;
  ModelPackageArn?: string;
  ModelArtifact?: { S3Uri?: string; Sha256?: string };
  Approval?: { StatusWhenDeployed?: string };
  Lineage?: { TrainingData?: { ArtifactArn: string; SourceUri?: string }[] };
}
