import { readFileSync } from 'node:fs';
import type { Context } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../lambdas/control/control-plane.js';
import {
  type CaptureRedaction,
  checkCaptureRedaction,
  redactRequestBody,
} from '../../lambdas/domain/data-capture/redaction.js';
import type { EndpointRecord } from '../../lambdas/domain/hosting/endpoints.js';
import { ModelCache } from '../../lambdas/domain/inference/model-cache.js';
import type { ControlContext } from '../../lambdas/domain/kernel/context.js';
import { ValidationException } from '../../lambdas/domain/kernel/errors.js';
import { COLLECTIONS, type EndpointInternal } from '../../lambdas/domain/kernel/records.js';
import { processShadowBatch } from '../../lambdas/domain/mirroring/mirror-batch.js';
import { DatasetAccumulator } from '../../lambdas/domain/model-monitor/statistics/index.js';
import { onnxModelProbe } from '../../lambdas/shared/model-probe.js';
import { InMemoryDeliveryLedger } from '../support/delivery-ledger.js';
import { InMemoryRegistryStore } from '../support/in-memory-registry-store.js';
import { INVOKER_KEY, invokeHandlerFor } from '../support/invoke-handler.js';
import { fixture, MemoryArtifactSource } from '../support/models.js';
import { signedInvokeEvent } from '../support/signed-event.js';

/** Written by scripts/fixtures/capture-redaction.py with Python's hmac and json. */
const reference = JSON.parse(
  readFileSync(new URL('../fixtures/capture/redaction.json', import.meta.url), 'utf8'),
) as {
  key: string;
  cases: {
    name: string;
    contentType: string;
    body: string;
    drop: CaptureRedaction['Drop'];
    hash: CaptureRedaction['Hash'];
    expected: string;
  }[];
};
const key = async () => Buffer.from(reference.key, 'utf8');
const rules = { csvContentTypes: ['text/csv'], jsonContentTypes: ['application/json'] };
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');
const csvCase = reference.cases.find((c) => c.contentType === 'text/csv');
const metadataCase = reference.cases.find((c) => c.name.startsWith('json metadata'));
if (!csvCase || !metadataCase) throw new Error('the fixture lacks a case this test reads');

describe('redactRequestBody', () => {
  it.each(reference.cases)('$name: equals the Python reference', async (c) => {
    const redacted = await redactRequestBody(
      Buffer.from(c.body, 'utf8'),
      c.contentType,
      rules,
      { Drop: c.drop, Hash: c.hash },
      key,
    );
    expect(text(redacted)).toBe(c.expected);
  });

  it('withholds a body it cannot redact field by field rather than pass it on', async () => {
    const redaction = { Drop: [{ CsvColumn: 0 }], Hash: [] };
    expect(
      await redactRequestBody(Buffer.from('secret'), 'application/x-image', rules, redaction, key),
    ).toEqual(new Uint8Array());
    const json = { Drop: [{ JsonPath: '$.a' }], Hash: [] };
    expect(
      text(await redactRequestBody(Buffer.from('{not json'), 'application/json', rules, json, key)),
    ).toBe('');
  });

  it('refuses a path that does not compile, the whole payload, and a field in both lists', () => {
    const refused = (redaction: CaptureRedaction) => () => checkCaptureRedaction(redaction);
    expect(refused({ Drop: [{ JsonPath: 'customer.email' }], Hash: [] })).toThrow(ValidationException);
    expect(refused({ Drop: [{ JsonPath: '$' }], Hash: [] })).toThrow(/not the whole payload/);
    expect(refused({ Drop: [{ CsvColumn: 2 }], Hash: [{ CsvColumn: 2 }] })).toThrow(/not both/);
    expect(refused({ Drop: [{ JsonPath: '$.a' }], Hash: [{ CsvColumn: 0 }] })).not.toThrow();
  });
});

describe('a redacted endpoint, from the request path to the files', () => {
  async function mirrored(
    redactionKey: (() => Promise<Uint8Array>) | undefined,
    c: (typeof reference.cases)[number] = csvCase as (typeof reference.cases)[number],
  ) {
    const redaction: CaptureRedaction = { Drop: c.drop, Hash: c.hash };
    const artifacts = new MemoryArtifactSource();
    const artifact = (file: string) => artifacts.register(file, 's3://m');
    const internal: EndpointInternal = {
      variants: [{ VariantName: 'main', weight: 1, ModelName: 'v1', artifact: artifact('regressor.onnx') }],
      capture: {
        enabled: true,
        samplingPercentage: 100,
        destination: 's3://captures/prod',
        captureInput: true,
        captureOutput: true,
        ...rules,
      },
      shadows: [
        {
          VariantName: 'shadow',
          weight: 0,
          ModelName: 'v2',
          artifact: artifact('regressor-v2.onnx'),
          samplingPercentage: 100,
          sourceVariant: 'main',
          destination: 's3://captures/shadow',
          experimentName: 'exp',
          ...rules,
        },
      ],
      redaction,
    };
    const now = new Date('2026-11-25T12:00:00Z');
    const { handler, messages } = await invokeHandlerFor(internal, artifacts, { now, seed: 3, redactionKey });
    const event = await signedInvokeEvent({
      key: INVOKER_KEY,
      now,
      endpoint: 'ep',
      body: c.body,
      headers: { 'content-type': c.contentType },
    });
    const result = await handler(event, {} as Context);
    return { result, messages, models: new ModelCache(artifacts) };
  }

  it('answers from the real input, and the one message carries only the redacted body', async () => {
    const { result, messages } = await mirrored(key);
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(String(result.body)).predictions).toHaveLength(2);
    expect(messages).toHaveLength(1);
    const body = Buffer.from(messages[0]?.request.body ?? '', 'base64').toString('utf8');
    expect(body).toBe(csvCase.expected);
    // What SQS, a spilled object and a dead letter would hold: the message as sent.
    expect(JSON.stringify(messages[0])).not.toContain(Buffer.from('5.1,3.5,1.4').toString('base64'));
  });

  it('writes captures and shadow captures without the raw fields, and parks a poison copy redacted', async () => {
    const { messages, models } = await mirrored(key, metadataCase);
    const files = new Map<string, string>();
    const deadLetters: string[] = [];
    const good = JSON.stringify(messages[0]);
    // A copy the consumer cannot read (a version it does not know) is parked as it came.
    const poison = JSON.stringify({ ...messages[0], v: 2, eventId: 'poison-1' });
    await processShadowBatch(
      [
        { messageId: 'm1', body: good },
        { messageId: 'm2', body: poison },
      ],
      {
        models,
        sink: {
          write: async (location, body) => void files.set(`${location.bucket}/${location.key}`, body),
          readSpilled: async () => undefined,
          exists: async () => false,
        },
        deadLetters: { send: async (body) => void deadLetters.push(body) },
        comparisons: { record: async () => undefined },
        ledger: new InMemoryDeliveryLedger(),
        maxAttempts: 1,
      } as Parameters<typeof processShadowBatch>[1],
    );
    const inputs = [...files.entries()].map(([k, body]) => [
      k.split('/').slice(0, 3).join('/'),
      JSON.parse(body.trim().split('\n')[0] ?? '').captureData.endpointInput.data,
    ]);
    expect(inputs).toEqual([
      ['captures/prod/ep', metadataCase.expected],
      ['captures/shadow/ep', metadataCase.expected],
    ]);
    expect(deadLetters).toHaveLength(1);
    for (const letter of deadLetters) {
      expect(Buffer.from(JSON.parse(letter).request.body, 'base64').toString('utf8')).toBe(
        metadataCase.expected,
      );
    }
    for (const body of [...files.values(), ...deadLetters]) {
      expect(body).not.toContain('ada@example.com');
      expect(body).not.toContain('Ada');
    }
  });

  it('withholds the copy (a counted drop) when the key cannot be read, never sends it unredacted', async () => {
    const { result, messages } = await mirrored(async () => {
      throw new Error('AccessDenied');
    });
    expect(result.statusCode).toBe(200);
    expect(messages).toHaveLength(0);
  });

  it('leaves hashed columns to the monitor as categorical strings', async () => {
    const { messages } = await mirrored(key);
    const body = Buffer.from(messages[0]?.request.body ?? '', 'base64').toString('utf8');
    const acc = new DatasetAccumulator(['_c0', '_c1', '_c2', '_c3']);
    const record = {
      captureData: {
        endpointInput: { observedContentType: 'text/csv', mode: 'INPUT', data: body, encoding: 'CSV' },
      },
      eventMetadata: { eventId: 'e', inferenceTime: '2026-11-25T12:00:00Z' },
      eventVersion: '0',
    };
    acc.addCaptureFile(`${JSON.stringify(record)}\n`, { side: 'endpointInput' });
    const stats = acc.toStatistics();
    const types = Object.fromEntries(stats.features.map((f) => [f.name, f.inferred_type]));
    expect(types._c2).toBe('String');
    expect(types._c1).toBe('Fractional');
    expect(stats.features.find((f) => f.name === '_c2')?.string_statistics?.distinct_count).toBe(2);
  });
});

describe('Understudy.ConfigureCaptureRedaction', () => {
  const NOW = new Date('2026-11-25T12:00:00Z');
  let store: InMemoryRegistryStore;
  let ctx: ControlContext;
  const call = (op: string, input: unknown) => dispatch(ctx, op, input) as Promise<Record<string, unknown>>;
  const redaction = { Drop: [{ JsonPath: '$.customer.name' }], Hash: [{ CsvColumn: 2 }] };

  beforeEach(async () => {
    const artifacts = new MemoryArtifactSource();
    artifacts.put('s3://m/v1.onnx', fixture('regressor.onnx'));
    store = new InMemoryRegistryStore();
    ctx = {
      store,
      artifacts,
      models: onnxModelProbe,
      region: 'us-east-1',
      accountId: '123456789012',
      caller: { accessKeyId: 'AKUSADMIN00000000000', role: 'admin' },
      now: () => NOW,
    };
    await call('CreateModel', { ModelName: 'm', PrimaryContainer: { ModelDataUrl: 's3://m/v1.onnx' } });
    await call('CreateEndpointConfig', {
      EndpointConfigName: 'cfg',
      ProductionVariants: [{ VariantName: 'main', ModelName: 'm' }],
    });
  });

  it('keeps the redaction beside the config, shows it, and deploys it with the endpoint', async () => {
    const answer = await call('Understudy.ConfigureCaptureRedaction', {
      EndpointConfigName: 'cfg',
      ...redaction,
    });
    expect(answer).toEqual({
      EndpointConfigArn: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/cfg',
      CaptureRedaction: redaction,
    });
    expect((await call('DescribeEndpointConfig', { EndpointConfigName: 'cfg' })).CaptureRedaction).toEqual(
      redaction,
    );
    await call('CreateEndpoint', { EndpointName: 'ep', EndpointConfigName: 'cfg' });
    const endpoint = await store.get<EndpointRecord>(COLLECTIONS.endpoint, 'ep');
    expect(endpoint?.data.internal.redaction).toEqual(redaction);
  });

  it('refuses a config an endpoint runs on, an unknown config and a bad path, changing nothing', async () => {
    await call('CreateEndpoint', { EndpointName: 'ep', EndpointConfigName: 'cfg' });
    const before = await store.get(COLLECTIONS.endpointConfig, 'cfg');
    await expect(
      call('Understudy.ConfigureCaptureRedaction', { EndpointConfigName: 'cfg', ...redaction }),
    ).rejects.toThrow(/in use by endpoint "ep"/);
    await expect(
      call('Understudy.ConfigureCaptureRedaction', { EndpointConfigName: 'nope', ...redaction }),
    ).rejects.toBeInstanceOf(ValidationException);
    await expect(
      call('Understudy.ConfigureCaptureRedaction', {
        EndpointConfigName: 'cfg',
        Drop: [{ JsonPath: 'a..b' }],
      }),
    ).rejects.toBeInstanceOf(ValidationException);
    await expect(
      call('Understudy.ConfigureCaptureRedaction', { EndpointConfigName: 'cfg', Drop: [{ CsvColumn: -1 }] }),
    ).rejects.toBeInstanceOf(ValidationException);
    expect(await store.get(COLLECTIONS.endpointConfig, 'cfg')).toEqual(before);
  });
});
