import { fromEnv } from '@aws-sdk/credential-provider-env';
import { fromHttp } from '@aws-sdk/credential-provider-http';
import { chain, memoize } from '@smithy/core/config';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, Logger } from '@smithy/types';

/** Refreshed this long before they expire, as the SDK's own chain does. */
const REFRESH_BEFORE_EXPIRY_MS = 5 * 60_000;

/**
 * The default credential provider of the deployed functions' SDK clients: the bundles put this
 * module where the SDK's clients import `@aws-sdk/credential-provider-node`
 * (BUNDLING.alias in lambdas/functions.ts). Lambda gives a function its role's credentials in
 * the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), and where it
 * runs functions in containers of its own, through the container credentials endpoint
 * (AWS_CONTAINER_CREDENTIALS_FULL_URI / _RELATIVE_URI). The other sources of the SDK's chain
 * (shared config and credentials files, SSO, credential_process, web identity token files, EC2
 * instance metadata) are not there, yet each bundle carried their code: ~110 KB of the invoke
 * function's 680 KB, with the STS and SSO clients they call and `child_process`. The local
 * platform runs the TypeScript, not the bundles, and keeps the SDK's whole chain.
 */
export function defaultProvider(init: { logger?: Logger } = {}): AwsCredentialIdentityProvider {
  return memoize(
    // fromHttp reads its endpoint when it is created, and throws when none is set: created only
    // when the environment had no credentials.
    chain(fromEnv(init), () => fromHttp(init)()),
    (credentials: AwsCredentialIdentity) =>
      credentials.expiration !== undefined &&
      credentials.expiration.getTime() - Date.now() < REFRESH_BEFORE_EXPIRY_MS,
    (credentials: AwsCredentialIdentity) => credentials.expiration !== undefined,
  );
}
