import { checkCaptureRedaction } from '../data-capture/redaction.js';
import type { ControlContext } from '../kernel/context.js';
import { ValidationException } from '../kernel/errors.js';
import { type CaptureRedaction, COLLECTIONS } from '../kernel/records.js';
import { retryOnConflict } from '../kernel/store.js';
import { type EndpointConfigRecord, getEndpointConfig } from './endpoint-configs.js';
import type { EndpointRecord } from './endpoints.js';

/**
 * Understudy.ConfigureCaptureRedaction: which request fields the captures of endpoints
 * deployed from this endpoint config never hold as sent — dropped, or replaced by their keyed
 * HMAC (data-capture/redaction.ts). SageMaker's DataCaptureConfig has no such field, and the
 * SDKs refuse fields the service model does not know, so it is an operation of its own; the
 * setting is kept on the config's record, beside SageMaker's fields, and DescribeEndpointConfig
 * shows it as `CaptureRedaction`. Empty lists remove it.
 *
 * Like everything else in an endpoint config it takes effect when an endpoint is created or
 * updated with the config; a config some endpoint already runs on is refused rather than
 * changed under it without effect (SageMaker's endpoint configs do not change either).
 */
export async function configureCaptureRedaction(
  ctx: ControlContext,
  input: { EndpointConfigName: string; Drop?: CaptureRedaction['Drop']; Hash?: CaptureRedaction['Hash'] },
) {
  const redaction: CaptureRedaction = { Drop: input.Drop ?? [], Hash: input.Hash ?? [] };
  checkCaptureRedaction(redaction);
  const config = await getEndpointConfig(ctx, input.EndpointConfigName);
  const users = (await ctx.store.list<EndpointRecord>(COLLECTIONS.endpoint)).filter(
    (e) =>
      e.EndpointConfigName === config.EndpointConfigName ||
      e.PendingDeploymentSummary?.EndpointConfigName === config.EndpointConfigName,
  );
  if (users.length > 0) {
    throw new ValidationException(
      `Endpoint configuration "${config.EndpointConfigArn}" is in use by endpoint ${users.map((e) => `"${e.EndpointName}"`).join(', ')}: configure redaction on a new endpoint configuration and update the endpoint to it.`,
    );
  }
  const empty = redaction.Drop.length === 0 && redaction.Hash.length === 0;
  await retryOnConflict(async () => {
    const current = await ctx.store.get<EndpointConfigRecord>(
      COLLECTIONS.endpointConfig,
      input.EndpointConfigName,
    );
    if (!current)
      throw new ValidationException(`Could not find endpoint configuration "${config.EndpointConfigArn}".`);
    const record = current.data;
    const { captureRedaction: _old, ...internal } = record.internal ?? {};
    await ctx.store.replace(
      COLLECTIONS.endpointConfig,
      input.EndpointConfigName,
      { ...record, internal: empty ? internal : { ...internal, captureRedaction: redaction } },
      current.version,
    );
  });
  return { EndpointConfigArn: config.EndpointConfigArn, ...(!empty && { CaptureRedaction: redaction }) };
}
