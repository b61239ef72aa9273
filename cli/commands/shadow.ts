import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  CreateInferenceExperimentCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeInferenceExperimentCommand,
  StartInferenceExperimentCommand,
  StopInferenceExperimentCommand,
} from '@aws-sdk/client-sagemaker';
import type { Command } from 'commander';
import { renderShadowReportPage, type ShadowReportPage } from '../../lambdas/domain/shadow-tests/index.js';
import { type Cli, positiveNumber } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { num, time } from '../output.js';
import { modelFor, stamp } from '../references.js';

/** The role recorded on experiments: Understudy runs them itself. */
const DEFAULT_ROLE = 'arn:aws:iam::123456789012:role/understudy';
const INFRASTRUCTURE = {
  InfrastructureType: 'RealTimeInference' as const,
  RealTimeInferenceConfig: { InstanceType: 'ml.m5.large' as const, InstanceCount: 1 },
};

interface ShadowReport {
  InferenceExperimentName?: string;
  EndpointName: string;
  Status?: string;
  ShadowVariants: {
    ShadowVariantName: string;
    Verdict: string;
    TaskKind: string;
    RequestsMirrored: number;
    RequestsCompared: number;
    RowsCompared: number;
    AgreementRate: { Value: number | null };
    Difference?: { P50: number | null; P99: number | null };
    Latency: {
      Production: { P50: number | null; P99: number | null };
      Shadow: { P50: number | null; P99: number | null };
    };
    MirrorsDropped?: number;
  }[];
}

export function shadowCommands(program: Command, cli: Cli): void {
  const shadow = program
    .command('shadow')
    .description('Shadow tests: a challenger answers a copy of production traffic, compared with production');

  shadow
    .command('start <endpoint> <challenger>')
    .description(
      'Start a shadow test of CHALLENGER (a model package or model name) beside the production variant',
    )
    .option('--name <experiment>', 'experiment name (default: the endpoint and a time stamp)')
    .option('--sampling <percent>', 'share of production requests copied to the shadow', '100')
    .option('--variant <name>', "production's variant (default: the endpoint's first)")
    .option('--task <kind>', 'compare as classification or regression (default: read from the models)')
    .option('--role <arn>', 'the role recorded on the experiment', DEFAULT_ROLE)
    .addHelpText('after', '\nExample:\n  understudy shadow start churn churn/2 --sampling 50')
    .action(async (endpointName: string, challenger: string, options, command: Command) => {
      const client = cli.client(command);
      const out = cli.output(command);
      const sampling = positiveNumber(options.sampling, '--sampling');
      const name: string = options.name ?? `${endpointName}-${stamp()}`.slice(0, 63);
      const endpoint = await client.sagemaker.send(
        new DescribeEndpointCommand({ EndpointName: endpointName }),
      );
      const config = await client.sagemaker.send(
        new DescribeEndpointConfigCommand({ EndpointConfigName: endpoint.EndpointConfigName }),
      );
      const production = options.variant
        ? config.ProductionVariants?.find((v) => v.VariantName === options.variant)
        : config.ProductionVariants?.[0];
      if (!production?.ModelName || !production.VariantName) {
        throw new CliError(
          `endpoint ${endpointName} has no production variant ${options.variant ?? ''}`,
          EXIT.notFound,
        );
      }
      const shadowModel = await modelFor(client, challenger, `${name}-shadow`);
      await client.sagemaker.send(
        new CreateInferenceExperimentCommand({
          Name: name,
          Type: 'ShadowMode',
          RoleArn: options.role,
          EndpointName: endpointName,
          ModelVariants: [
            {
              ModelName: production.ModelName,
              VariantName: production.VariantName,
              InfrastructureConfig: INFRASTRUCTURE,
            },
            { ModelName: shadowModel, VariantName: 'shadow', InfrastructureConfig: INFRASTRUCTURE },
          ],
          ShadowModeConfig: {
            SourceModelVariantName: production.VariantName,
            ShadowModelVariants: [{ ShadowModelVariantName: 'shadow', SamplingPercentage: sampling }],
          },
        }),
      );
      if (options.task) {
        await client.call('ConfigureShadowComparison', {
          InferenceExperimentName: name,
          TaskKind: options.task,
        });
      }
      await client.sagemaker.send(new StartInferenceExperimentCommand({ Name: name }));
      const { $metadata: _, ...experiment } = await client.sagemaker.send(
        new DescribeInferenceExperimentCommand({ Name: name }),
      );
      out.result(experiment, () =>
        out.line(
          `${name}: ${experiment.Status}, ${sampling}% of ${endpointName}'s traffic copied to ${challenger}`,
        ),
      );
    });

  const report = (command: Command, name: string) =>
    cli.client(command).call<ShadowReport>('DescribeShadowReport', { InferenceExperimentName: name });

  shadow
    .command('status <experiment>')
    .description("The experiment's state and its verdict so far")
    .addHelpText('after', '\nExample:\n  understudy shadow status churn-20260101120000ab')
    .action(async (name: string, _options, command: Command) => {
      const client = cli.client(command);
      const out = cli.output(command);
      const { $metadata: _, ...experiment } = await client.sagemaker.send(
        new DescribeInferenceExperimentCommand({ Name: name }),
      );
      const figures = await report(command, name);
      const first = figures.ShadowVariants[0];
      out.result({ ...experiment, Verdict: first?.Verdict, RequestsCompared: first?.RequestsCompared }, () =>
        out.fields([
          ['experiment', experiment.Name],
          ['endpoint', experiment.EndpointMetadata?.EndpointName],
          ['status', experiment.Status],
          ['started', time(experiment.Schedule?.StartTime)],
          ['verdict', first?.Verdict],
          ['compared', first?.RequestsCompared],
        ]),
      );
    });

  shadow
    .command('report <experiment>')
    .description('How the shadow predicts compared with production: agreement, differences, latency, verdict')
    .option('--html <file>', 'also write the comparison as a self-contained HTML page with charts')
    .addHelpText(
      'after',
      '\nExamples:\n  understudy shadow report churn-20260101120000ab --json\n  understudy shadow report churn-20260101120000ab --html shadow.html',
    )
    .action(async (name: string, options: { html?: string }, command: Command) => {
      const out = cli.output(command);
      const figures = await report(command, name);
      let html: string | undefined;
      if (options.html) {
        html = path.resolve(cli.io.cwd, options.html);
        writeFileSync(html, renderShadowReportPage(figures as unknown as ShadowReportPage, new Date()));
      }
      out.result(html ? { ...figures, Html: html } : figures, () => {
        if (html) out.line(`report: ${html}`);
        out.line(`${name} on ${figures.EndpointName} (${figures.Status ?? '-'})`);
        out.table(
          [
            'shadow',
            'verdict',
            'task',
            'mirrored',
            'compared',
            'rows',
            'agreement',
            'diff p50',
            'diff p99',
            'prod p50 ms',
            'shadow p50 ms',
          ],
          figures.ShadowVariants.map((v) => [
            v.ShadowVariantName,
            v.Verdict,
            v.TaskKind,
            v.RequestsMirrored,
            v.RequestsCompared,
            v.RowsCompared,
            v.AgreementRate.Value === null ? undefined : `${(v.AgreementRate.Value * 100).toFixed(2)}%`,
            num(v.Difference?.P50),
            num(v.Difference?.P99),
            num(v.Latency.Production.P50),
            num(v.Latency.Shadow.P50),
          ]),
        );
      });
    });

  const stop =
    (promote: boolean) =>
    async (name: string, options: { reason?: string; keepProduction?: boolean }, command: Command) => {
      const client = cli.client(command);
      const out = cli.output(command);
      const experiment = await client.sagemaker.send(new DescribeInferenceExperimentCommand({ Name: name }));
      const production = experiment.ShadowModeConfig?.SourceModelVariantName ?? '';
      const shadows = (experiment.ShadowModeConfig?.ShadowModelVariants ?? []).map(
        (s) => s.ShadowModelVariantName ?? '',
      );
      await client.sagemaker.send(
        new StopInferenceExperimentCommand({
          Name: name,
          ModelVariantActions: Object.fromEntries([
            [production, 'Retain'],
            ...shadows.map((s, i) => [s, promote && i === 0 ? 'Promote' : 'Remove']),
          ]),
          ...(promote ? {} : { DesiredState: 'Cancelled' as const }),
          ...(options.reason ? { Reason: options.reason } : {}),
        }),
      );
      const endpoint = await client.sagemaker.send(
        new DescribeEndpointCommand({ EndpointName: experiment.EndpointMetadata?.EndpointName }),
      );
      const result = {
        InferenceExperimentName: name,
        Promoted: promote ? shadows[0] : undefined,
        EndpointConfigName: endpoint.EndpointConfigName,
      };
      out.result(result, () =>
        out.line(
          promote
            ? `${shadows[0]} now serves ${experiment.EndpointMetadata?.EndpointName} (config ${endpoint.EndpointConfigName})`
            : `${name} stopped; production unchanged`,
        ),
      );
    };
  shadow
    .command('promote <experiment>')
    .description("End the test and make the shadow's model serve production's traffic")
    .option('--reason <text>', 'kept in the deployment history')
    .addHelpText(
      'after',
      '\nExample:\n  understudy shadow promote churn-20260101120000ab --reason "no difference on 10k rows, faster"',
    )
    .action(stop(true));
  shadow
    .command('stop <experiment>')
    .description('End the test without changing production')
    .option('--reason <text>', 'why')
    .addHelpText('after', '\nExample:\n  understudy shadow stop churn-20260101120000ab')
    .action(stop(false));
}
