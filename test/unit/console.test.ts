import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Context } from 'aws-lambda';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createControlHandler } from '../../lambdas/control/control-plane.js';
import type { AccessKey } from '../../lambdas/domain/auth/identity.js';
import { type ConsoleData, renderConsolePage } from '../../lambdas/domain/console/page.js';
import type { EndpointRecord } from '../../lambdas/domain/hosting/endpoints.js';
import { ListingTokens } from '../../lambdas/domain/kernel/context.js';
import { COLLECTIONS } from '../../lambdas/domain/kernel/records.js';
import type { HttpEvent, HttpResult } from '../../lambdas/shared/http.js';
import { functionLogger } from '../../lambdas/shared/logger.js';
import { InMemoryObjectStore } from '../support/in-memory-object-store.js';
import { InMemoryRegistryStore } from '../support/in-memory-registry-store.js';

const NOW = new Date('2026-06-01T12:00:00Z');
const HOST = 'api.example.com';

describe('renderConsolePage', () => {
  const hostile = '<script>alert("x")</script>&\'';
  const data: ConsoleData = {
    endpoints: [
      {
        EndpointName: 'churn',
        EndpointStatus: 'Failed',
        EndpointConfigName: 'churn-config',
        FailureReason: hostile,
        LastModifiedTime: 1_780_000_000,
        ProductionVariants: [
          { VariantName: 'champion', ModelName: 'm1', CurrentWeight: 0.75 },
          { VariantName: 'challenger', ModelName: 'm2', CurrentWeight: 0.25, DesiredWeight: 0.5 },
        ],
        DataCapture: { EnableCapture: true, SamplingPercentage: 20 },
      },
    ],
    experiments: [
      {
        Name: 'churn-shadow',
        Status: 'Running',
        EndpointName: 'churn',
        ShadowVariants: [
          {
            ShadowVariantName: 'v2',
            Verdict: 'NoDifference',
            RequestsMirrored: 40,
            RequestsCompared: 38,
            AgreementRate: 0.9737,
          },
        ],
      },
    ],
    packageGroups: [
      {
        ModelPackageGroupName: 'churn-models',
        Packages: [{ ModelPackageArn: 'arn:x/1', ModelPackageVersion: 1, ModelApprovalStatus: 'Approved' }],
      },
    ],
    schedules: [
      {
        MonitoringScheduleName: 'churn-drift',
        MonitoringScheduleStatus: 'Scheduled',
        MonitoringType: 'DataQuality',
        EndpointName: 'churn',
        LastExecution: { MonitoringExecutionStatus: 'CompletedWithViolations', ScheduledTime: 1_780_000_000 },
        HasReport: true,
      },
    ],
    truncated: ['endpoints'],
  };
  const html = renderConsolePage(data, {
    caller: { accessKeyId: 'AKUSVIEW', role: 'viewer' },
    region: 'eu-west-1',
    generatedAt: NOW,
    expiresAt: new Date('2026-06-01T12:15:00Z'),
    reportHref: (kind, name) => `/console/report?kind=${kind}&name=${name}&X-Amz-Signature=ab"c`,
  });

  it('escapes what the registry holds, in text and in attributes', () => {
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
    expect(html).toContain(
      'href="/console/report?kind=shadow&amp;name=churn-shadow&amp;X-Amz-Signature=ab&quot;c"',
    );
  });

  it('shows statuses, variants and weights, figures, approvals and executions from its input', () => {
    expect(html).toMatch(/data-endpoint="churn">.*data-status="Failed"/s);
    expect(html).toContain('<b>champion</b> → m1 · weight <span class="weight">0.75</span>');
    expect(html).toContain('weight <span class="weight">0.25</span> (desired 0.5)');
    expect(html).toContain('capture 20%');
    expect(html).toContain('97.37%');
    expect(html).toContain('38 of 40');
    expect(html).toMatch(/data-package="arn:x\/1">v1 .*Approved/);
    expect(html).toContain('CompletedWithViolations</span> 2026-05-28T20:26:40Z');
    expect(html).toContain('href="/console/report?kind=monitor&amp;name=churn-drift');
    expect(html).toContain('Only the first entries are shown of: endpoints.');
    expect(html).toContain('2026-06-01T12:15:00.000Z');
  });
});

const keyOf = (role: AccessKey['role'], id: string): AccessKey => ({
  accessKeyId: `AKUSCONSOLE${id}`,
  secretAccessKey: `${role}-console-secret`.padEnd(40, 'x'),
  role,
});
const VIEWER = keyOf('viewer', 'VIEW');
const INVOKER = keyOf('invoker', 'INVK');

/** `GET path` presigned with @smithy/signature-v4, as the CLI presigns, and its query string. */
async function presign(key: AccessKey, path: string, expiresIn = 900, query: Record<string, string> = {}) {
  const signer = new SignatureV4({
    service: 'sagemaker',
    region: 'us-east-1',
    credentials: key,
    sha256: Hash.bind(null, 'sha256'),
  });
  const signed = await signer.presign(
    new HttpRequest({
      method: 'GET',
      protocol: 'https:',
      hostname: HOST,
      path,
      query,
      headers: { host: HOST },
    }),
    { expiresIn, signingDate: NOW },
  );
  return new URLSearchParams(signed.query as Record<string, string>).toString();
}

function event(path: string, rawQueryString: string): HttpEvent {
  return {
    version: '2.0',
    routeKey: `GET ${path}`,
    rawPath: path,
    rawQueryString,
    headers: { host: HOST },
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'local',
      domainName: HOST,
      domainPrefix: 'api',
      http: { method: 'GET', path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'req',
      routeKey: `GET ${path}`,
      stage: '$default',
      time: '',
      timeEpoch: NOW.getTime(),
    },
  } as HttpEvent;
}

describe('GET /console', () => {
  let handler: ReturnType<typeof createControlHandler>;
  let clock: Date;
  const send = async (path: string, query: string) =>
    (await handler(event(path, query), {} as Context)) as HttpResult & { body: string };

  beforeAll(() => {
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });

  beforeEach(async () => {
    clock = NOW;
    const store = new InMemoryRegistryStore();
    for (const [name, status] of [
      ['alpha', 'InService'],
      ['beta', 'Updating'],
    ] as const) {
      await store.replace(COLLECTIONS.endpoint, name, {
        EndpointName: name,
        EndpointArn: `arn:aws:sagemaker:us-east-1:123456789012:endpoint/${name}`,
        EndpointConfigName: `${name}-config`,
        EndpointStatus: status,
        CreationTime: 1_780_000_000,
        LastModifiedTime: 1_780_000_000,
        ProductionVariants: [{ VariantName: 'main', CurrentWeight: 1, DesiredWeight: 1 }],
        internal: { variants: [] },
      } as unknown as EndpointRecord);
    }
    handler = createControlHandler({
      store,
      artifacts: { fetch: async () => new Uint8Array() },
      objects: new InMemoryObjectStore(),
      models: { check: async () => undefined },
      keys: { resolve: async (id) => [VIEWER, INVOKER].find((k) => k.accessKeyId === id) },
      region: 'us-east-1',
      now: () => clock,
      logging: functionLogger('console-test'),
      listingTokens: new ListingTokens(async () => Buffer.alloc(32, 7)),
    });
  });

  it('shows a viewer the endpoints and their statuses, as an HTML page no script may run in', async () => {
    const result = await send('/console', await presign(VIEWER, '/console'));
    expect(result.statusCode).toBe(200);
    expect(result.headers?.['Content-Type']).toBe('text/html; charset=utf-8');
    expect(result.headers?.['Content-Security-Policy']).toContain("default-src 'none'");
    expect(result.headers?.['Referrer-Policy']).toBe('no-referrer');
    expect(result.body).toMatch(/data-endpoint="alpha">.*data-status="InService"/s);
    expect(result.body).toMatch(/data-endpoint="beta">.*data-status="Updating"/s);
  });

  it('refuses unsigned, tampered and expired URLs, and invoker keys, with a typed 403 page', async () => {
    const query = await presign(VIEWER, '/console', 60);
    const tampered = query.replace(
      /X-Amz-Signature=([0-9a-f])/,
      (_, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`,
    );
    const cases: Array<[string, string, string]> = [
      ['/console', '', 'MissingAuthenticationTokenException'],
      ['/console', tampered, 'InvalidSignatureException'],
      ['/console', await presign(INVOKER, '/console'), 'AccessDeniedException'],
    ];
    for (const [path, q, type] of cases) {
      const result = await send(path, q);
      expect(result.statusCode).toBe(403);
      expect(result.headers?.['x-amzn-ErrorType']).toBe(type);
      expect(result.body).toContain(`<h1 class="error-type">${type}</h1>`);
    }
    clock = new Date(NOW.getTime() + 61_000);
    const expired = await send('/console', query);
    expect([expired.statusCode, expired.headers?.['x-amzn-ErrorType']]).toEqual([
      403,
      'InvalidSignatureException',
    ]);
  });

  it("accepts a report link carrying the page's signature, and refuses it with the signature changed", async () => {
    const query = await presign(VIEWER, '/console');
    const page = await send('/console', query);
    expect(page.statusCode).toBe(200);
    const link = `kind=monitor&name=nightly&${query}`;
    // Past the signature: the schedule does not exist (SageMaker's ResourceNotFound is a 400).
    const missing = await send('/console/report', link);
    expect([missing.statusCode, missing.headers?.['x-amzn-ErrorType']]).toEqual([400, 'ResourceNotFound']);
    const otherPage = await presign(VIEWER, '/console/elsewhere');
    const refused = await send('/console/report', `kind=monitor&name=nightly&${otherPage}`);
    expect([refused.statusCode, refused.headers?.['x-amzn-ErrorType']]).toEqual([
      403,
      'InvalidSignatureException',
    ]);
    const invoker = await send(
      '/console/report',
      `kind=monitor&name=nightly&${await presign(INVOKER, '/console')}`,
    );
    expect([invoker.statusCode, invoker.headers?.['x-amzn-ErrorType']]).toEqual([
      403,
      'AccessDeniedException',
    ]);
  });

  it('accepts a URL presigned for the report itself, and answers a bad kind ValidationException', async () => {
    const direct = await presign(VIEWER, '/console/report', 900, { kind: 'chart', name: 'x' });
    const result = await send('/console/report', direct);
    expect([result.statusCode, result.headers?.['x-amzn-ErrorType']]).toEqual([400, 'ValidationException']);
    const withParams = await send('/console', await presign(VIEWER, '/console', 900, { filter: 'a' }));
    expect([withParams.statusCode, withParams.headers?.['x-amzn-ErrorType']]).toEqual([
      400,
      'ValidationException',
    ]);
  });
});
