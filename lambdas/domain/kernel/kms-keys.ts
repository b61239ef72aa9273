import type { ControlContext } from './context.js';
import { ValidationException } from './errors.js';

/**
 * A customer KMS key named by a configuration (DataCaptureConfig.KmsKeyId, a monitoring job's
 * MonitoringOutputConfig.KmsKeyId, a processing job's ProcessingOutputConfig.KmsKeyId) must be
 * one of the keys the stack was deployed with (`allowedKmsKeyArns`): those are the only keys
 * the functions may encrypt with, so any other would fail every write later, out of sight.
 * A key ARN matches itself, and a bare key id matches the ARN that ends in `key/<id>`;
 * aliases match only when the alias ARN itself is in the list.
 */
export function checkKmsKey(ctx: ControlContext, keyId: string | undefined, field: string): void {
  if (keyId === undefined || keyId === '') return;
  const allowed = ctx.allowedKmsKeys ?? [];
  if (allowed.some((arn) => arn === keyId || arn.endsWith(`:key/${keyId}`))) return;
  throw new ValidationException(
    allowed.length === 0
      ? `${field} '${keyId}' cannot be used: this deployment allows no customer KMS keys (deploy with the allowedKmsKeyArns context to name some).`
      : `${field} '${keyId}' is not one of the KMS keys this deployment may encrypt with: ${allowed.join(', ')}.`,
  );
}
