/**
 * The stack's AWS::SecretsManager::Secret resources, which moto's CloudFormation skips: the
 * platform creates them itself through the Secrets Manager API, with their literal `Name`,
 * their `SecretString` or a string generated per `GenerateSecretString` (or the value saved
 * from the previous run, so the admin key survives restarts).
 */
import { randomInt } from 'node:crypto';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  RestoreSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import type { Clients } from './aws.js';
import { type CfnTemplate, resolveValue, resourcesOfType, type StackContext } from './template.js';

export interface GenerateSecretStringSpec {
  readonly SecretStringTemplate?: string;
  readonly GenerateStringKey?: string;
  readonly PasswordLength?: number;
  readonly ExcludeCharacters?: string;
  readonly ExcludeLowercase?: boolean;
  readonly ExcludeUppercase?: boolean;
  readonly ExcludeNumbers?: boolean;
  readonly ExcludePunctuation?: boolean;
  readonly IncludeSpace?: boolean;
  readonly RequireEachIncludedType?: boolean;
}

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';
const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

/** A random password with Secrets Manager's GetRandomPassword rules. */
export function generatePassword(
  spec: GenerateSecretStringSpec,
  random: (max: number) => number = (max) => randomInt(max),
): string {
  const length = spec.PasswordLength ?? 32;
  if (!Number.isInteger(length) || length < 1 || length > 4096)
    throw new Error(`bad PasswordLength ${length}`);
  const exclude = new Set(spec.ExcludeCharacters ?? '');
  const keep = (chars: string) => [...chars].filter((c) => !exclude.has(c)).join('');
  const classes = [
    spec.ExcludeLowercase ? '' : keep(LOWER),
    spec.ExcludeUppercase ? '' : keep(UPPER),
    spec.ExcludeNumbers ? '' : keep(DIGITS),
    spec.ExcludePunctuation ? '' : keep(PUNCTUATION),
    spec.IncludeSpace ? keep(' ') : '',
  ].filter((chars) => chars.length > 0);
  const all = classes.join('');
  if (all.length === 0) throw new Error('GenerateSecretString excludes every character');
  const required = spec.RequireEachIncludedType ?? true;
  if (required && classes.length > length)
    throw new Error('PasswordLength too short for RequireEachIncludedType');
  const chars = Array.from({ length }, () => all[random(all.length)] ?? '');
  if (required) {
    // Put one character of each class at distinct random positions.
    const positions = Array.from({ length }, (_, i) => i);
    for (const chars_ of classes) {
      const pick = random(positions.length);
      const [position] = positions.splice(pick, 1);
      if (position !== undefined) chars[position] = chars_[random(chars_.length)] ?? '';
    }
  }
  return chars.join('');
}

/** The secret string CloudFormation would generate for a GenerateSecretString property. */
export function generateSecretString(
  spec: GenerateSecretStringSpec,
  random?: (max: number) => number,
): string {
  const password = generatePassword(spec, random);
  if (spec.SecretStringTemplate === undefined) return password;
  if (!spec.GenerateStringKey) throw new Error('SecretStringTemplate needs GenerateStringKey');
  const template = JSON.parse(spec.SecretStringTemplate) as Record<string, unknown>;
  return JSON.stringify({ ...template, [spec.GenerateStringKey]: password });
}

export interface SavedSecret {
  readonly name: string;
  readonly secretString?: string;
  /** Base64. */
  readonly secretBinary?: string;
}

/** The secret's name as the template gives it, or a name made from stack and logical id. */
export function secretName(template: CfnTemplate, ctx: StackContext, logicalId: string): string {
  const props = template.Resources[logicalId]?.Properties ?? {};
  return resolveValue(template, ctx, props.Name) ?? `${ctx.stackName}-${logicalId}`;
}

export interface EnsuredSecret {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly action: 'kept' | 'restored' | 'generated' | 'created';
}

/**
 * Makes sure each of the template's secrets exists: an existing one is kept as it is, a
 * missing one is created with its saved value when there is one, else from the template.
 */
export async function ensureSecrets(
  clients: Clients,
  template: CfnTemplate,
  ctx: StackContext,
  saved: Readonly<Record<string, SavedSecret>> = {},
): Promise<EnsuredSecret[]> {
  const ensured: EnsuredSecret[] = [];
  for (const [logicalId, resource] of resourcesOfType(template, 'AWS::SecretsManager::Secret')) {
    const props = resource.Properties ?? {};
    const name = secretName(template, ctx, logicalId);
    const existing = await clients.secrets
      .send(new DescribeSecretCommand({ SecretId: name }))
      .catch((error) => {
        if ((error as Error).name === 'ResourceNotFoundException') return undefined;
        throw error;
      });
    if (existing?.ARN) {
      if (existing.DeletedDate) await clients.secrets.send(new RestoreSecretCommand({ SecretId: name }));
      ensured.push({ logicalId, name, arn: existing.ARN, action: 'kept' });
      continue;
    }
    const previous = saved[logicalId];
    let value: { SecretString: string } | { SecretBinary: Uint8Array };
    let action: EnsuredSecret['action'];
    if (previous?.secretString !== undefined) {
      value = { SecretString: previous.secretString };
      action = 'restored';
    } else if (previous?.secretBinary !== undefined) {
      value = { SecretBinary: Buffer.from(previous.secretBinary, 'base64') };
      action = 'restored';
    } else if (
      typeof props.SecretString === 'string' ||
      (props.SecretString && !props.GenerateSecretString)
    ) {
      const text = resolveValue(template, ctx, props.SecretString);
      if (text === undefined) throw new Error(`${logicalId}: cannot resolve SecretString`);
      value = { SecretString: text };
      action = 'created';
    } else {
      value = {
        SecretString: generateSecretString((props.GenerateSecretString ?? {}) as GenerateSecretStringSpec),
      };
      action = 'generated';
    }
    const description = resolveValue(template, ctx, props.Description);
    const created = await clients.secrets.send(
      new CreateSecretCommand({ Name: name, ...(description ? { Description: description } : {}), ...value }),
    );
    if (!created.ARN) throw new Error(`CreateSecret ${name} returned no ARN`);
    ensured.push({ logicalId, name, arn: created.ARN, action });
  }
  return ensured;
}

/** Current values of the template's secrets, by logical id (for saving). */
export async function readSecrets(
  clients: Clients,
  template: CfnTemplate,
  ctx: StackContext,
): Promise<Record<string, SavedSecret>> {
  const values: Record<string, SavedSecret> = {};
  for (const [logicalId] of resourcesOfType(template, 'AWS::SecretsManager::Secret')) {
    const name = secretName(template, ctx, logicalId);
    try {
      const value = await clients.secrets.send(new GetSecretValueCommand({ SecretId: name }));
      values[logicalId] = {
        name,
        ...(value.SecretString !== undefined ? { secretString: value.SecretString } : {}),
        ...(value.SecretBinary !== undefined
          ? { secretBinary: Buffer.from(value.SecretBinary).toString('base64') }
          : {}),
      };
    } catch (error) {
      if ((error as Error).name !== 'ResourceNotFoundException') throw error;
    }
  }
  return values;
}
