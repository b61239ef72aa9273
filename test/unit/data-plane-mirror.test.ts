import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { EndpointInternal } from '../../lambdas/domain/kernel/records.js';
import type { MirrorMessage } from '../../lambdas/domain/mirroring/mirror.js';
import { INVOKER_KEY, invokeHandlerFor } from '../support/invoke-handler.js';
import { expected, MemoryArtifactSource } from '../support/models.js';
import { signedInvokeEvent } from '../support/signed-event.js';

const KEY = INVOKER_KEY;
const NOW = new Date('2026-11-25T12:00:00Z');
const rules = { csvContentTypes: ['text/csv'], jsonContentTypes: ['application/json'] };

async function setup(
  capturePercent: number,
  shadowPercent: number,
  send?: (m: MirrorMessage) => Promise<void>,
) {
  const artifacts = new MemoryArtifactSource();
  const artifact = (file: string) => artifacts.register(file, 's3://m');
  const internal: EndpointInternal = {
    variants: [{ VariantName: 'main', weight: 1, ModelName: 'v1', artifact: artifact('regressor.onnx') }],
    capture: {
      enabled: true,
      samplingPercentage: capturePercent,
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
        samplingPercentage: shadowPercent,
        sourceVariant: 'main',
        destination: 's3://captures/shadow',
        experimentName: 'exp',
        ...rules,
      },
    ],
  };
  const { handler, messages } = await invokeHandlerFor(internal, artifacts, { now: NOW, seed: 11, send });
  return { handler, messages };
}

const row = (i: number) => expected.inputs[i % expected.inputs.length] as number[];

describe('mirroring from the InvokeEndpoint handler', () => {
  it('samples 30% of 10,000 requests for the shadow, inside the 99.9% binomial interval, with one message per request', async () => {
    const { handler, messages } = await setup(0, 30);
    const event = await signedInvokeEvent({ key: KEY, now: NOW, endpoint: 'ep', body: '1,2,3,4\n' });
    const n = 10_000;
    for (let i = 0; i < n; i++) expect((await handler(event, {} as Context)).statusCode).toBe(200);
    const mirrored = messages.filter((m) => m.shadows.length > 0).length;
    expect(messages).toHaveLength(mirrored);
    expect(Math.abs(mirrored - 0.3 * n)).toBeLessThan(3.2905 * Math.sqrt(n * 0.3 * 0.7));
    expect(new Set(messages.map((m) => m.eventId)).size).toBe(messages.length);
    expect(messages.every((m) => m.capture === undefined)).toBe(true);
  });

  it('captures every request at 100% and answers with production, never the shadow', async () => {
    const { handler, messages } = await setup(100, 100);
    for (let i = 0; i < 20; i++) {
      const event = await signedInvokeEvent({
        key: KEY,
        now: NOW,
        endpoint: 'ep',
        body: `${row(i).join(',')}\n`,
        headers: { 'x-amzn-sagemaker-inference-id': `inf-${i}` },
      });
      const result = await handler(event, {} as Context);
      const answer = JSON.parse(String(result.body)).predictions[0];
      expect(answer).toBeCloseTo(expected.models['regressor.onnx'].score[i % 4] as number, 4);
    }
    expect(messages).toHaveLength(20);
    expect(messages[3]).toMatchObject({
      inferenceId: 'inf-3',
      endpointName: 'ep',
      variantName: 'main',
      capture: { destination: 's3://captures/prod', captureInput: true, captureOutput: true },
      shadows: [{ VariantName: 'shadow', ModelName: 'v2', experimentName: 'exp' }],
    });
    expect(Buffer.from(messages[3]?.request.body ?? '', 'base64').toString()).toBe(`${row(3).join(',')}\n`);
  });

  it('answers normally when the mirror queue fails', async () => {
    const { handler } = await setup(100, 100, async () => {
      throw new Error('SQS is down');
    });
    const event = await signedInvokeEvent({ key: KEY, now: NOW, endpoint: 'ep', body: '1,2,3,4\n' });
    const result = await handler(event, {} as Context);
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(String(result.body)).predictions[0]).toBeCloseTo(
      expected.models['regressor.onnx'].score[0] as number,
      4,
    );
  });
});
