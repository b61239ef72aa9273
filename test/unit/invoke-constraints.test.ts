import { readFileSync } from 'node:fs';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  checkInvokeEndpointInput,
  INVOKE_ENDPOINT_CONSTRAINTS,
} from '../../lambdas/domain/inference/invoke-constraints.js';
import { INVOKER_KEY, invokeHandlerFor } from '../support/invoke-handler.js';
import { MemoryArtifactSource } from '../support/models.js';
import { signedInvokeEvent } from '../support/signed-event.js';

/** botocore's SageMaker Runtime model, by scripts/fixtures/invoke-endpoint-constraints.py. */
interface ModelMember {
  readonly member: string;
  readonly location: 'uri' | 'header';
  readonly locationName: string;
  readonly min: number | null;
  readonly max: number | null;
  readonly pattern: string | null;
  readonly sensitive: boolean;
}
const MODEL: { members: ModelMember[] } = JSON.parse(
  readFileSync(new URL('../fixtures/runtime/invoke-endpoint-constraints.json', import.meta.url), 'utf8'),
);
const HEADERS = MODEL.members.filter((m) => m.location === 'header');
const NOW = new Date('2026-11-25T12:00:00Z');

/** A value of `length` characters that satisfies the member's pattern (every pattern takes alphanumerics). */
const fitting = (length: number) => 'a1'.repeat(length).slice(0, length);
const check =
  (headers: Record<string, string>, endpoint = 'ep') =>
  () =>
    checkInvokeEndpointInput(endpoint, headers);

describe('InvokeEndpoint constraints', () => {
  it('holds every URI and header member of the service model, with its limits and pattern', () => {
    const table = INVOKE_ENDPOINT_CONSTRAINTS as Record<
      string,
      { header?: string; min?: number; max: number; modelPattern: string; sensitive?: boolean }
    >;
    expect(Object.keys(table).sort()).toEqual(MODEL.members.map((m) => m.member).sort());
    for (const m of MODEL.members) {
      const mine = table[m.member];
      expect(mine?.header, m.member).toBe(m.location === 'header' ? m.locationName.toLowerCase() : undefined);
      expect(mine?.min, m.member).toBe(m.min ?? undefined);
      expect(mine?.max, m.member).toBe(m.max);
      expect(mine?.modelPattern, m.member).toBe(m.pattern);
      expect(mine?.sensitive ?? false, m.member).toBe(m.sensitive);
    }
  });

  it('accepts each header at its longest and refuses it one character longer, naming the limit', () => {
    for (const m of HEADERS) {
      const max = m.max as number;
      const name = m.locationName.toLowerCase();
      expect(check({ [name]: fitting(max) }), m.member).not.toThrow();
      expect(check({ [name]: fitting(max + 1) }), m.member).toThrow(
        `failed to satisfy constraint: Member must have length less than or equal to ${max}`,
      );
    }
  });

  it('refuses an empty value where the model sets a minimum length', () => {
    for (const m of HEADERS.filter((h) => h.min !== null)) {
      expect(check({ [m.locationName.toLowerCase()]: '' }), m.member).toThrow(
        `Member must have length greater than or equal to ${m.min}`,
      );
    }
    // Without a minimum an empty header is a valid (empty) value.
    expect(check({ 'x-amzn-sagemaker-custom-attributes': '' })).not.toThrow();
  });

  it('refuses values outside the patterns, and takes those inside', () => {
    const refused: Array<[string, string]> = [
      ['x-amzn-sagemaker-target-variant', 'blue_green'],
      ['x-amzn-sagemaker-target-variant', '-blue'],
      ['x-amzn-sagemaker-target-variant', 'blue-'],
      ['x-amzn-sagemaker-inference-id', ' leading-space'],
      ['x-amzn-sagemaker-inference-id', 'tab\tinside'],
      ['x-amzn-sagemaker-inference-id', 'café'],
      ['x-amzn-sagemaker-custom-attributes', 'trace=☃'],
      ['content-type', 'text/csv; charset=ütf-8'],
      ['x-amzn-sagemaker-session-id', 'NEW_SESSION2'],
      ['x-amzn-sagemaker-inference-component', 'ic-'],
    ];
    for (const [name, value] of refused) {
      expect(check({ [name]: value }), `${name}: ${value}`).toThrow(
        'Member must satisfy regular expression pattern',
      );
    }
    const accepted: Array<[string, string]> = [
      ['x-amzn-sagemaker-target-variant', 'blue--green2'],
      ['x-amzn-sagemaker-inference-id', 'id with spaces, ~ and {braces}'],
      ['x-amzn-sagemaker-custom-attributes', 'c000b4f9-df62-4c85-a0bf-7c525f9104a4,trace=1'],
      ['content-type', 'text/csv; charset=utf-8'],
      ['accept', '*/*'],
      ['x-amzn-sagemaker-session-id', 'NEW_SESSION'],
    ];
    for (const [name, value] of accepted) expect(check({ [name]: value }), `${name}: ${value}`).not.toThrow();
  });

  it('checks the endpoint name against its own constraints', () => {
    expect(check({}, fitting(63))).not.toThrow();
    expect(check({}, fitting(64))).toThrow(
      "Value '" +
        fitting(64) +
        "' at 'endpointName' failed to satisfy constraint: Member must have length less than or equal to 63",
    );
    expect(check({}, 'my_endpoint')).toThrow("at 'endpointName' failed to satisfy constraint");
  });

  it('lists every violation in one message, and never echoes a sensitive value', () => {
    const secret = 'é'.repeat(5);
    expect(
      check({
        'x-amzn-sagemaker-inference-id': 'x'.repeat(65),
        'x-amzn-sagemaker-custom-attributes': secret,
      }),
    ).toThrow(
      "2 validation errors detected: Value at 'customAttributes' failed to satisfy constraint: " +
        'Member must satisfy regular expression pattern: \\p{ASCII}*; ' +
        `Value '${'x'.repeat(65)}' at 'inferenceId' failed to satisfy constraint: ` +
        'Member must have length less than or equal to 64',
    );
  });

  it('answers a bad header with the typed ValidationError (400) the SDKs parse, before any model runs', async () => {
    const artifacts = new MemoryArtifactSource();
    const artifact = artifacts.register('regressor.onnx', 's3://m');
    const { handler, models } = await invokeHandlerFor(
      { variants: [{ VariantName: 'main', weight: 1, ModelName: 'm', artifact }] },
      artifacts,
      { now: NOW, seed: 1 },
    );
    const event = await signedInvokeEvent({
      key: INVOKER_KEY,
      now: NOW,
      endpoint: 'ep',
      body: '0.5,-1.5,2.25,0\n',
      headers: { 'x-amzn-sagemaker-inference-id': 'i'.repeat(65) },
    });
    const result = await handler(event, {} as Context);
    expect(result.statusCode).toBe(400);
    expect(result.headers?.['x-amzn-ErrorType']).toBe('ValidationError');
    expect(JSON.parse(result.body as string).message).toContain(
      "at 'inferenceId' failed to satisfy constraint",
    );
    expect(models.size).toBe(0);
  });
});
