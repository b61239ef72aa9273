import { describe, expect, it } from 'vitest';
import { newEventId } from '../../lambdas/domain/capture/capture-record.js';
import { buildMirrorMessage } from '../../lambdas/domain/capture/mirror.js';
import {
  type CaptureSink,
  type Delivery,
  processShadowBatch,
  type ShadowObservation,
} from '../../lambdas/domain/capture/shadow-batch.js';
import { sha256Hex } from '../../lambdas/domain/inference/artifact.js';
import { ModelCache } from '../../lambdas/domain/inference/model-cache.js';
import type { RuntimeShadow } from '../../lambdas/domain/registry/records.js';
import { expected, fixture, MemoryArtifactSource } from '../support/models.js';

const source = new MemoryArtifactSource();
const v2 = fixture('regressor-v2.onnx');
const clf = fixture('classifier.onnx');
const v2Artifact = { uri: source.put('s3://m/v2.onnx', v2), sha256: sha256Hex(v2), sizeBytes: v2.length };
const clfArtifact = {
  uri: source.put('s3://m/clf.onnx', clf),
  sha256: sha256Hex(clf),
  sizeBytes: clf.length,
};
const models = new ModelCache(source);

const rules = { csvContentTypes: ['text/csv'], jsonContentTypes: ['application/json'] };
const shadow = (over: Partial<RuntimeShadow> = {}): RuntimeShadow => ({
  VariantName: 'challenger',
  weight: 0,
  ModelName: 'v2',
  artifact: v2Artifact,
  samplingPercentage: 100,
  sourceVariant: 'main',
  destination: 's3://captures/shadow',
  experimentName: 'exp',
  ...rules,
  ...over,
});
const capture = {
  enabled: true,
  samplingPercentage: 100,
  destination: 's3://captures/prod',
  captureInput: true,
  captureOutput: true,
  ...rules,
};

function message(row: number[], shadows = [shadow()], eventId = newEventId()) {
  const score = expected.models['regressor.onnx'].score[0] as number;
  return buildMirrorMessage(
    {
      eventId,
      inferenceId: 'inf-1',
      inferenceTime: new Date('2026-11-25T10:59:59.500Z'),
      endpointName: 'ep',
      variantName: 'main',
      requestBody: new TextEncoder().encode(`${row.join(',')}\n`),
      requestContentType: 'text/csv',
      responseBody: JSON.stringify({ predictions: [score], outputs: { score: [[score]] } }),
      responseContentType: 'application/json',
      modelLatencyUs: 120,
    },
    { capture, shadows },
  );
}

class FakeSink implements CaptureSink {
  readonly files = new Map<string, string>();
  failOn?: (key: string) => boolean;
  async write(location: { bucket: string; key: string }, body: string) {
    if (this.failOn?.(location.key)) throw new Error('S3 is refusing writes');
    this.files.set(`${location.bucket}/${location.key}`, body);
  }
  async readSpilled() {
    return undefined;
  }
  lines(prefix: string) {
    return [...this.files.entries()]
      .filter(([k]) => k.startsWith(prefix))
      .flatMap(([, body]) =>
        body
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l)),
      );
  }
}

function harness() {
  const sink = new FakeSink();
  const deadLetters: { body: string; reason: string }[] = [];
  const observations: { id: string; variant: string; obs: readonly ShadowObservation[] }[] = [];
  const progress = new Map<string, Set<string>>();
  const claimed = new Set<string>();
  const deps = {
    models,
    sink,
    deadLetters: { send: async (body: string, reason: string) => void deadLetters.push({ body, reason }) },
    comparisons: {
      record: async (id: string, variant: string, obs: readonly ShadowObservation[]) =>
        void observations.push({ id, variant, obs }),
    },
    progress: {
      done: async (id: string) => progress.get(id) ?? new Set<string>(),
      save: async (id: string, parts: ReadonlySet<string>) => void progress.set(id, new Set(parts)),
    },
    claims: {
      claimAll: async (ids: readonly string[]) => {
        const fresh = new Set(ids.filter((id) => !claimed.has(id)));
        for (const id of fresh) claimed.add(id);
        return fresh;
      },
    },
  };
  return { sink, deadLetters, observations, progress, deps };
}

const deliver = (body: unknown, messageId = newEventId(), receiveCount = 1): Delivery => ({
  messageId,
  body: typeof body === 'string' ? body : JSON.stringify(body),
  receiveCount,
});

describe('processShadowBatch', () => {
  it('writes one capture file per variant with the same events, and compares the shadow', async () => {
    const { sink, observations, deps } = harness();
    const messages = expected.inputs.map((row) => message(row));
    const retry = await processShadowBatch(
      messages.map((m) => deliver(m)),
      deps,
    );
    expect(retry).toEqual([]);
    expect([...sink.files.keys()].map((k) => k.replace(/[0-9a-f-]{36}\.jsonl$/, 'ID.jsonl'))).toEqual([
      'captures/prod/ep/main/2026/11/25/10/59-59-500-ID.jsonl',
      'captures/shadow/ep/challenger/2026/11/25/10/59-59-500-ID.jsonl',
    ]);
    const prod = sink.lines('captures/prod/');
    const shadowLines = sink.lines('captures/shadow/');
    expect(prod.map((l) => l.eventMetadata.eventId)).toEqual(messages.map((m) => m.eventId));
    expect(shadowLines.map((l) => l.eventMetadata.eventId)).toEqual(messages.map((m) => m.eventId));
    expect(prod[0]).toMatchObject({
      captureData: {
        endpointInput: { observedContentType: 'text/csv', mode: 'INPUT', data: '1,2,3,4\n', encoding: 'CSV' },
        endpointOutput: { observedContentType: 'application/json', mode: 'OUTPUT', encoding: 'JSON' },
      },
      eventMetadata: { inferenceId: 'inf-1', inferenceTime: '2026-11-25T10:59:59.500Z' },
      eventVersion: '0',
    });
    const shadowAnswers = shadowLines.map(
      (l) => JSON.parse(l.captureData.endpointOutput.data).predictions[0],
    );
    shadowAnswers.forEach((v: number, i: number) => {
      expect(v).toBeCloseTo(expected.models['regressor-v2.onnx'].score[i] as number, 4);
    });
    expect(observations).toHaveLength(1);
    expect(observations[0]?.id).toBe('exp');
    expect(observations[0]?.obs.map((o) => o.shadow?.[0])).toEqual(shadowAnswers);
  });

  it('drops a second copy of an event and parks an unreadable message with its reason', async () => {
    const { sink, deadLetters, deps } = harness();
    const m = message([1, 2, 3, 4]);
    const retry = await processShadowBatch([deliver(m), deliver(m), deliver('{"v":1,"oops":true}')], deps);
    expect(retry).toEqual([]);
    expect(sink.lines('captures/prod/')).toHaveLength(1);
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]?.reason).toMatch(/not a mirror message: .*eventId/);
  });

  it('keeps production captures when the shadow model fails on the input', async () => {
    const { sink, observations, deps } = harness();
    // The classifier takes 4 features too, but a 3-wide row breaks it: the shadow errs alone.
    const bad = message([1, 2, 3], [shadow({ VariantName: 'clf', ModelName: 'clf', artifact: clfArtifact })]);
    const good = message(
      [1, 2, 3, 4],
      [shadow({ VariantName: 'clf', ModelName: 'clf', artifact: clfArtifact })],
    );
    const retry = await processShadowBatch([deliver(bad), deliver(good)], deps);
    expect(retry).toEqual([]);
    expect(sink.lines('captures/prod/')).toHaveLength(2);
    expect(sink.lines('captures/shadow/').map((l) => l.eventMetadata.eventId)).toEqual([good.eventId]);
    const obs = observations[0]?.obs ?? [];
    expect(obs.find((o) => o.eventId === bad.eventId)?.shadowError).toMatch(/input rejected/);
    expect(obs.find((o) => o.eventId === good.eventId)?.shadow).toEqual([
      expected.models['classifier.onnx'].label[0],
    ]);
  });

  it('drops a copy of an event that arrives in a later batch', async () => {
    const { sink, observations, deps } = harness();
    const m = message([1, 2, 3, 4]);
    expect(await processShadowBatch([deliver(m)], deps)).toEqual([]);
    expect(await processShadowBatch([deliver(m)], deps)).toEqual([]);
    expect(sink.lines('captures/prod/')).toHaveLength(1);
    expect(sink.lines('captures/shadow/')).toHaveLength(1);
    expect(observations.flatMap((o) => o.obs)).toHaveLength(1);
  });

  it('retries only what failed: a redelivery neither loses nor repeats a capture line', async () => {
    const { sink, observations, progress, deps } = harness();
    const m = message([1, 2, 3, 4]);
    sink.failOn = (key) => key.startsWith('shadow/');
    const first = deliver(m, 'msg-1');
    expect(await processShadowBatch([first], deps)).toEqual(['msg-1']);
    expect(progress.get(m.eventId)).toEqual(new Set(['capture', 'compare:exp\u0000challenger']));
    sink.failOn = undefined;
    expect(await processShadowBatch([deliver(m, 'msg-1', 2)], deps)).toEqual([]);
    expect(sink.lines('captures/prod/')).toHaveLength(1);
    expect(sink.lines('captures/shadow/')).toHaveLength(1);
    expect(observations.flatMap((o) => o.obs)).toHaveLength(1);
  });
});
