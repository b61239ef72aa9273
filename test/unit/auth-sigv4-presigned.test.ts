import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import type { AccessKey } from '../../lambdas/domain/auth/identity.js';
import { type SignedRequest, verifyPresignedSigV4 } from '../../lambdas/domain/auth/sigv4.js';
import { AuthError } from '../../lambdas/domain/kernel/errors.js';

/**
 * Presigned URLs made by botocore (scripts/fixtures/presign-botocore.py: SigV4QueryAuth and
 * the S3-style S3SigV4QueryAuth) and by @smithy/signature-v4 (what `understudy console`
 * uses): signers independent of the verifier.
 */
interface Fixture {
  description: string;
  url: string;
  expires: number;
  accessKeyId: string;
  secretAccessKey: string;
  signingTime: string;
}

const dir = fileURLToPath(new URL('../fixtures/sigv4-presigned/', import.meta.url));
const load = (name: string) => JSON.parse(readFileSync(`${dir}${name}.json`, 'utf8')) as Fixture;
const accepted = readdirSync(dir)
  .filter((f) => f.endsWith('.json') && f !== 'query-too-long.json')
  .sort()
  .map((f) => [f, load(f.replace(/\.json$/, ''))] as const);

function requestOf(url: string): SignedRequest {
  const parsed = new URL(url);
  return {
    method: 'GET',
    path: parsed.pathname,
    rawQueryString: parsed.search.replace(/^\?/, ''),
    headers: { host: parsed.host, 'user-agent': 'Mozilla/5.0 (unsigned)' },
    body: new Uint8Array(),
  };
}

const keysOf = (fixture: Pick<Fixture, 'accessKeyId' | 'secretAccessKey'>) => ({
  resolve: async (id: string): Promise<AccessKey | undefined> =>
    id === fixture.accessKeyId
      ? { accessKeyId: id, secretAccessKey: fixture.secretAccessKey, role: 'viewer' }
      : undefined,
});

async function typeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuthError);
  expect((error as AuthError).statusCode).toBe(403);
  return (error as AuthError).type;
}

/** The URL with one query parameter's value replaced (or removed with `undefined`). */
function withParam(url: string, name: string, value: string | undefined): string {
  const [base, query = ''] = url.split('?');
  const parts = query
    .split('&')
    .flatMap((part) =>
      part.split('=')[0] === name ? (value === undefined ? [] : [`${name}=${value}`]) : [part],
    );
  return `${base}?${parts.join('&')}`;
}

describe('verifyPresignedSigV4 against URLs presigned by botocore', () => {
  it('has fixtures', () => expect(accepted.length).toBeGreaterThanOrEqual(4));

  describe.each(accepted)('%s', (_, fixture) => {
    const signedAt = new Date(fixture.signingTime);

    it(`accepts it: ${fixture.description}`, async () => {
      await expect(
        verifyPresignedSigV4(requestOf(fixture.url), keysOf(fixture), { now: signedAt }),
      ).resolves.toEqual({ accessKeyId: fixture.accessKeyId, role: 'viewer' });
    });

    it('accepts it until X-Amz-Expires has run out, and not a second later', async () => {
      const last = new Date(signedAt.getTime() + fixture.expires * 1000);
      await expect(
        verifyPresignedSigV4(requestOf(fixture.url), keysOf(fixture), { now: last }),
      ).resolves.toBeDefined();
      const after = new Date(last.getTime() + 1000);
      expect(
        await typeOf(verifyPresignedSigV4(requestOf(fixture.url), keysOf(fixture), { now: after })),
      ).toBe('InvalidSignatureException');
    });

    it('refuses it before X-Amz-Date less the clock window (5 minutes)', async () => {
      const early = (ms: number) => new Date(signedAt.getTime() - ms);
      await expect(
        verifyPresignedSigV4(requestOf(fixture.url), keysOf(fixture), { now: early(300_000) }),
      ).resolves.toBeDefined();
      expect(
        await typeOf(verifyPresignedSigV4(requestOf(fixture.url), keysOf(fixture), { now: early(301_000) })),
      ).toBe('InvalidSignatureException');
    });

    it('refuses it with a wrong signature, another path, another host or a changed parameter', async () => {
      const signature = new URL(fixture.url).searchParams.get('X-Amz-Signature') ?? '';
      const flipped = `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`;
      const now = { now: signedAt };
      const tampered = [
        requestOf(withParam(fixture.url, 'X-Amz-Signature', flipped)),
        { ...requestOf(fixture.url), path: '/console/elsewhere' },
        { ...requestOf(fixture.url), headers: { host: 'evil.example.com' } },
        requestOf(`${fixture.url}&kind=monitor`),
        { ...requestOf(fixture.url), method: 'POST' },
      ];
      for (const request of tampered) {
        expect(await typeOf(verifyPresignedSigV4(request, keysOf(fixture), now))).toBe(
          'InvalidSignatureException',
        );
      }
    });

    it('refuses it under another secret or an unknown key', async () => {
      const now = { now: signedAt };
      expect(
        await typeOf(
          verifyPresignedSigV4(requestOf(fixture.url), keysOf({ ...fixture, secretAccessKey: 'other' }), now),
        ),
      ).toBe('InvalidSignatureException');
      expect(
        await typeOf(
          verifyPresignedSigV4(requestOf(fixture.url), keysOf({ ...fixture, accessKeyId: 'AKUSOTHER' }), now),
        ),
      ).toBe('UnrecognizedClientException');
    });
  });

  const fixture = load('query-console');
  const now = { now: new Date(fixture.signingTime) };

  it('honours X-Amz-Expires up to 604800 seconds and refuses a botocore URL for 604801', async () => {
    const week = load('query-week');
    const sixDaysLater = new Date(Date.parse(week.signingTime) + 6 * 86_400_000);
    await expect(
      verifyPresignedSigV4(requestOf(week.url), keysOf(week), { now: sixDaysLater }),
    ).resolves.toBeDefined();
    const tooLong = load('query-too-long');
    expect(
      await typeOf(
        verifyPresignedSigV4(requestOf(tooLong.url), keysOf(tooLong), { now: new Date(tooLong.signingTime) }),
      ),
    ).toBe('IncompleteSignatureException');
  });

  it('answers a request with no query authentication MissingAuthenticationTokenException', async () => {
    const bare = requestOf(fixture.url.split('?')[0] ?? '');
    expect(await typeOf(verifyPresignedSigV4(bare, keysOf(fixture), now))).toBe(
      'MissingAuthenticationTokenException',
    );
  });

  it.each(['X-Amz-Algorithm', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature'])(
    'answers a URL without %s IncompleteSignatureException',
    async (name) => {
      const url = withParam(fixture.url, name, undefined);
      expect(await typeOf(verifyPresignedSigV4(requestOf(url), keysOf(fixture), now))).toBe(
        'IncompleteSignatureException',
      );
    },
  );

  it.each([
    ['X-Amz-Algorithm', 'AWS4-HMAC-SHA1'],
    ['X-Amz-Expires', '0'],
    ['X-Amz-Expires', '-5'],
    ['X-Amz-Expires', '1e3'],
    ['X-Amz-Signature', 'abc'],
    ['X-Amz-SignedHeaders', 'x-amz-date'],
    ['X-Amz-Date', '2026-03-14T15:09:26Z'],
  ])('answers %s=%s IncompleteSignatureException', async (name, value) => {
    const url = withParam(fixture.url, name, encodeURIComponent(value));
    expect(await typeOf(verifyPresignedSigV4(requestOf(url), keysOf(fixture), now))).toBe(
      'IncompleteSignatureException',
    );
  });

  it('refuses a parameter given twice, a credential for another service and a body', async () => {
    const twice = `${fixture.url}&X-Amz-Expires=604800`;
    expect(await typeOf(verifyPresignedSigV4(requestOf(twice), keysOf(fixture), now))).toBe(
      'IncompleteSignatureException',
    );
    const credential = new URL(fixture.url).searchParams.get('X-Amz-Credential') ?? '';
    const s3 = withParam(
      fixture.url,
      'X-Amz-Credential',
      encodeURIComponent(credential.replace('/sagemaker/', '/s3/')),
    );
    expect(await typeOf(verifyPresignedSigV4(requestOf(s3), keysOf(fixture), now))).toBe(
      'InvalidSignatureException',
    );
    const withBody = { ...requestOf(fixture.url), body: new Uint8Array([1]) };
    expect(await typeOf(verifyPresignedSigV4(withBody, keysOf(fixture), now))).toBe(
      'InvalidSignatureException',
    );
  });

  it('accepts a URL presigned by @smithy/signature-v4 (the CLI signer), with a port and a query', async () => {
    const signingDate = new Date('2026-05-01T10:00:00Z');
    const signer = new SignatureV4({
      service: 'sagemaker',
      region: 'us-east-1',
      credentials: { accessKeyId: fixture.accessKeyId, secretAccessKey: fixture.secretAccessKey },
      sha256: Hash.bind(null, 'sha256'),
    });
    const presigned = await signer.presign(
      new HttpRequest({
        method: 'GET',
        protocol: 'http:',
        hostname: '127.0.0.1',
        port: 4567,
        path: '/console/report',
        query: { kind: 'shadow', name: 'a b+c' },
        headers: { host: '127.0.0.1:4567' },
      }),
      { expiresIn: 600, signingDate },
    );
    const query = Object.entries(presigned.query ?? {})
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
      .join('&');
    const request = requestOf(`http://127.0.0.1:4567/console/report?${query}`);
    await expect(
      verifyPresignedSigV4(request, keysOf(fixture), { now: new Date(signingDate.getTime() + 599_000) }),
    ).resolves.toEqual({ accessKeyId: fixture.accessKeyId, role: 'viewer' });
  });
});
