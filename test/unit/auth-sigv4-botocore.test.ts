import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { AccessKey } from '../../lambdas/domain/auth/identity.js';
import { type SignedRequest, verifySigV4 } from '../../lambdas/domain/auth/sigv4.js';
import { AuthError } from '../../lambdas/domain/kernel/errors.js';

/**
 * Requests signed by botocore itself (scripts/fixtures/sign-botocore.py): the signer of
 * boto3 and the AWS CLI, an implementation independent of ours.
 */
interface Fixture {
  description: string;
  method: string;
  url: string;
  headers: Array<[string, string]>;
  bodyBase64: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  service: string;
  signingTime: string;
}

const dir = fileURLToPath(new URL('../fixtures/sigv4/', import.meta.url));
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => [f, JSON.parse(readFileSync(`${dir}${f}`, 'utf8')) as Fixture] as const);

/** The request as an API Gateway v2.0 event carries it: raw path and query, lower-case headers joined by commas. */
function received(fixture: Fixture): SignedRequest {
  const afterAuthority = fixture.url.replace(/^[a-z]+:\/\/[^/?]+/, '');
  const q = afterAuthority.indexOf('?');
  const headers: Record<string, string> = {};
  for (const [name, value] of fixture.headers) {
    const lower = name.toLowerCase();
    headers[lower] = headers[lower] === undefined ? value : `${headers[lower]},${value}`;
  }
  return {
    method: fixture.method,
    path: q < 0 ? afterAuthority : afterAuthority.slice(0, q),
    rawQueryString: q < 0 ? '' : afterAuthority.slice(q + 1),
    headers,
    body: Buffer.from(fixture.bodyBase64, 'base64'),
  };
}

const keysOf = (fixture: Fixture) => ({
  resolve: async (id: string): Promise<AccessKey | undefined> =>
    id === fixture.accessKeyId
      ? { accessKeyId: id, secretAccessKey: fixture.secretAccessKey, role: 'deployer' }
      : undefined,
});

describe('verifySigV4 against requests signed by botocore', () => {
  it('has fixtures', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(5);
  });

  describe.each(fixtures)('%s', (_, fixture) => {
    const now = new Date(fixture.signingTime);

    it(`accepts it: ${fixture.description}`, async () => {
      await expect(verifySigV4(received(fixture), keysOf(fixture), { now })).resolves.toEqual({
        accessKeyId: fixture.accessKeyId,
        role: 'deployer',
      });
    });

    it('refuses it with a body changed or added', async () => {
      const request = received(fixture);
      const body = Buffer.concat([request.body, Buffer.from([0])]);
      const error = await verifySigV4({ ...request, body }, keysOf(fixture), { now }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(AuthError);
      expect((error as AuthError).type).toBe('InvalidSignatureException');
    });

    it('refuses it with another secret', async () => {
      const keys = {
        resolve: async (id: string): Promise<AccessKey> => ({
          accessKeyId: id,
          secretAccessKey: `${fixture.secretAccessKey}x`,
          role: 'admin',
        }),
      };
      const error = await verifySigV4(received(fixture), keys, { now }).catch((e: unknown) => e);
      expect((error as AuthError).type).toBe('InvalidSignatureException');
    });

    it('refuses it six minutes later', async () => {
      const later = new Date(now.getTime() + 360_000);
      const error = await verifySigV4(received(fixture), keysOf(fixture), { now: later }).catch(
        (e: unknown) => e,
      );
      expect((error as AuthError).message).toMatch(/^Signature expired: /);
    });
  });
});
