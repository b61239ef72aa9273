import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultProvider } from '../../lambdas/shared/lambda-credentials.js';

const CREDENTIAL_ENV = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_CREDENTIAL_EXPIRATION',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
  'AWS_PROFILE',
];

/** A container credentials endpoint (the ECS/Lambda wire format), counting its requests. */
async function credentialsEndpoint(expiresInMs: number) {
  const server: Server & { requests?: number } = createServer((_req, res) => {
    server.requests = (server.requests ?? 0) + 1;
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(
      JSON.stringify({
        AccessKeyId: `AKIDCONTAINER${server.requests}`,
        SecretAccessKey: 'container-secret',
        Token: 'container-token',
        Expiration: new Date(Date.now() + expiresInMs).toISOString(),
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/credentials`,
    requests: () => server.requests ?? 0,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe("the deployed functions' credential provider (Lambda's sources only)", () => {
  afterEach(() => vi.unstubAllEnvs());
  const clearEnv = () => {
    for (const name of CREDENTIAL_ENV) vi.stubEnv(name, undefined);
  };

  it("answers the role's credentials Lambda puts in the environment, read once", async () => {
    clearEnv();
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDLAMBDA');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'lambda-secret');
    vi.stubEnv('AWS_SESSION_TOKEN', 'lambda-token');
    const provider = defaultProvider();
    expect(await provider()).toMatchObject({
      accessKeyId: 'AKIDLAMBDA',
      secretAccessKey: 'lambda-secret',
      sessionToken: 'lambda-token',
    });
    // Environment credentials carry no expiry: the first answer stands.
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDCHANGED');
    expect((await provider()).accessKeyId).toBe('AKIDLAMBDA');
  });

  it('falls back to the container credentials endpoint, and renews near expiry', async () => {
    clearEnv();
    const longLived = await credentialsEndpoint(60 * 60_000);
    try {
      vi.stubEnv('AWS_CONTAINER_CREDENTIALS_FULL_URI', longLived.url);
      const provider = defaultProvider();
      expect(await provider()).toMatchObject({
        accessKeyId: 'AKIDCONTAINER1',
        sessionToken: 'container-token',
      });
      expect((await provider()).accessKeyId).toBe('AKIDCONTAINER1');
      expect(longLived.requests()).toBe(1);
    } finally {
      await longLived.close();
    }
    // Credentials within 5 minutes of their expiry are fetched again at the next call.
    const shortLived = await credentialsEndpoint(60_000);
    try {
      vi.stubEnv('AWS_CONTAINER_CREDENTIALS_FULL_URI', shortLived.url);
      const provider = defaultProvider();
      await provider();
      const afterFirst = shortLived.requests();
      await provider();
      expect(shortLived.requests()).toBeGreaterThan(afterFirst);
    } finally {
      await shortLived.close();
    }
  });

  it('fails with the SDK’s CredentialsProviderError when neither source is there', async () => {
    clearEnv();
    await expect(defaultProvider()()).rejects.toMatchObject({ name: 'CredentialsProviderError' });
  });
});
