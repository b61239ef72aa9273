import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/**
 * A symmetric key kept as a Secrets Manager secret string, read on first use and then kept for
 * the container's life (a failed read is not remembered, so the next call tries again).
 */
export function secretsManagerKey(
  secrets: SecretsManagerClient,
  secretId: string,
): () => Promise<Uint8Array> {
  let key: Promise<Uint8Array> | undefined;
  return () => {
    key ??= secrets.send(new GetSecretValueCommand({ SecretId: secretId })).then(
      ({ SecretString }) => {
        if (!SecretString || SecretString.length < 32) {
          throw new Error(`Secret ${secretId} must hold a key of at least 32 characters.`);
        }
        return Buffer.from(SecretString, 'utf8');
      },
      (error: unknown) => {
        key = undefined;
        throw error;
      },
    );
    return key;
  };
}
