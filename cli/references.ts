/**
 * How the CLI names things on its command line: a model package as its ARN or `group/version`
 * (`group` alone: the latest version), a variant as `NAME=SOURCE[@WEIGHT]`.
 */
import {
  CreateModelCommand,
  DescribeModelPackageGroupCommand,
  ListModelPackagesCommand,
} from '@aws-sdk/client-sagemaker';
import type { UnderstudyClient } from './client.js';
import { CliError, EXIT } from './errors.js';

const PACKAGE_ARN = /^arn:aws[a-z-]*:sagemaker:[^:]+:\d{12}:model-package\/[^/]+\/\d+$/;

/** The versioned ARN of `ref`: an ARN, `group/version`, or `group` (its latest version). */
export async function modelPackageArn(client: UnderstudyClient, ref: string): Promise<string> {
  if (PACKAGE_ARN.test(ref)) return ref;
  const [group, version, ...rest] = ref.split('/');
  if (!group || rest.length > 0 || (version !== undefined && !/^\d+$/.test(version))) {
    throw new CliError(`'${ref}' is not a model package: give its ARN, GROUP/VERSION or GROUP`, EXIT.usage);
  }
  if (version === undefined) {
    const { ModelPackageSummaryList = [] } = await client.sagemaker.send(
      new ListModelPackagesCommand({
        ModelPackageGroupName: group,
        SortBy: 'CreationTime',
        SortOrder: 'Descending',
        MaxResults: 1,
      }),
    );
    const latest = ModelPackageSummaryList[0]?.ModelPackageArn;
    if (!latest) throw new CliError(`model package group ${group} has no versions`, EXIT.notFound);
    return latest;
  }
  const { ModelPackageGroupArn } = await client.sagemaker.send(
    new DescribeModelPackageGroupCommand({ ModelPackageGroupName: group }),
  );
  return `${(ModelPackageGroupArn ?? '').replace(':model-package-group/', ':model-package/')}/${version}`;
}

export function looksLikePackage(source: string): boolean {
  return source.startsWith('arn:') || source.includes('/');
}

/**
 * A model to deploy from `source`: a model package (ARN or group/version) gets a model of its
 * own named after the endpoint and variant; anything else names an existing model.
 */
export async function modelFor(client: UnderstudyClient, source: string, modelName: string): Promise<string> {
  if (!looksLikePackage(source)) return source;
  const packageArn = await modelPackageArn(client, source);
  await client.sagemaker.send(
    new CreateModelCommand({ ModelName: modelName, PrimaryContainer: { ModelPackageName: packageArn } }),
  );
  return modelName;
}

export interface VariantSpec {
  readonly name: string;
  readonly source: string;
  readonly weight: number;
}

/** `NAME=SOURCE[@WEIGHT]` (weight 1 when absent). */
export function parseVariant(spec: string): VariantSpec {
  const match = /^([A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))=([^@]+)(?:@([0-9]*\.?[0-9]+))?$/.exec(spec);
  if (!match?.[1] || !match[2]) {
    throw new CliError(
      `variant '${spec}' must be NAME=MODEL_OR_PACKAGE[@WEIGHT], e.g. champion=churn/1@90`,
      EXIT.usage,
    );
  }
  return { name: match[1], source: match[2], weight: match[3] === undefined ? 1 : Number(match[3]) };
}

/** `NAME=WEIGHT`. */
export function parseWeight(spec: string): { name: string; weight: number } {
  const match = /^([A-Za-z0-9][A-Za-z0-9-]{0,62})=([0-9]*\.?[0-9]+)$/.exec(spec);
  if (!match?.[1] || !match[2])
    throw new CliError(`weight '${spec}' must be VARIANT=WEIGHT, e.g. champion=90`, EXIT.usage);
  return { name: match[1], weight: Number(match[2]) };
}

/** A name unique enough for the resources one command creates (endpoint configs, models). */
export function stamp(now = new Date()): string {
  return (
    now.toISOString().replace(/[-:T]/g, '').slice(0, 14) +
    Math.floor(Math.random() * 1296)
      .toString(36)
      .padStart(2, '0')
  );
}
