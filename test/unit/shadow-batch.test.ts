import { describe, expect, it } from 'vitest';
import { newEventId } from '../../lambdas/domain/data-capture/capture-record.js';
import { ModelCache } from '../../lambdas/domain/inference/model-cache.js';
import { sha256Hex } from '../../lambdas/domain/kernel/artifact.js';
import { COLLECTIONS, type RuntimeShadow } from '../../lambdas/domain/kernel/records.js';
import { VersionConflictError } from '../../lambdas/domain/kernel/store.js';
import { buildMirrorMessage } from '../../lambdas/domain/mirroring/mirror.js';
import {
  type CaptureSink,
  type Delivery,
  processShadowBatch,
  type ShadowBatchDeps,
} from '../../lambdas/domain/mirroring/mirror-batch.js';
import {
  RegistryComparisonRecorder,
  type ShadowObservation,
  type StoredComparison,
} from '../../lambdas/domain/shadow-tests/comparison-recorder.js';
import { parseAggregate, summarize } from '../../lambdas/domain/shadow-tests/index.js';
import { InMemoryDeliveryLedger } from '../support/delivery-ledger.js';
import { InMemoryRegistryStore } from '../support/in-memory-registry-store.js';
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
      predictions: [score],
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
  async exists(uri: string) {
    return this.files.has(uri.replace(/^s3:\/\//, ''));
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
  const ledger = new InMemoryDeliveryLedger();
  const deps = {
    models,
    sink,
    deadLetters: { send: async (body: string, reason: string) => void deadLetters.push({ body, reason }) },
    comparisons: {
      record: async (id: string, variant: string, obs: readonly ShadowObservation[]) =>
        void observations.push({ id, variant, obs }),
    },
    ledger,
  };
  return { sink, deadLetters, observations, ledger, deps };
}

const deliver = (body: unknown, messageId = newEventId()): Delivery => ({
  messageId,
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

/** The ids of the messages to retry. */
const retried = async (deliveries: Delivery[], deps: ShadowBatchDeps) =>
  (await processShadowBatch(deliveries, deps)).retry;

describe('processShadowBatch', () => {
  it('writes one capture file per variant with the same events, and compares the shadow', async () => {
    const { sink, observations, deps } = harness();
    const messages = expected.inputs.map((row) => message(row));
    const retry = await retried(
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
    const retry = await retried([deliver(m), deliver(m), deliver('{"v":1,"oops":true}')], deps);
    expect(retry).toEqual([]);
    expect(sink.lines('captures/prod/')).toHaveLength(1);
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]?.reason).toMatch(/not a mirror message: .*eventId/);
  });

  it('reads a message spilled to S3 through its pointer: processed once there, retried until then, parked when unreadable', async () => {
    const { sink, deadLetters, deps } = harness();
    const whole = message([1, 2, 3, 4]);
    const stored = new Map<string, string>([
      ['s3://spill/whole.json', JSON.stringify(whole)],
      ['s3://spill/broken.json', '{"v":1,'],
    ]);
    const spilling = {
      ...deps,
      sink: Object.assign(sink, { readSpilled: async (uri: string) => stored.get(uri) }),
    };
    const pointer = (eventId: string, spilledTo: string) => deliver({ v: 1, eventId, spilledTo });
    const late = pointer('ev-late', 's3://spill/not-yet.json');
    const retry = await retried(
      [pointer(whole.eventId, 's3://spill/whole.json'), late, pointer('ev-broken', 's3://spill/broken.json')],
      spilling,
    );
    expect(retry).toEqual([late.messageId]);
    expect(sink.lines('captures/prod/').map((l) => l.eventMetadata.eventId)).toEqual([whole.eventId]);
    expect(deadLetters.map((d) => d.reason)).toEqual([expect.stringMatching(/^not JSON: /)]);
  });

  it('keeps production captures when the shadow model fails on the input', async () => {
    const { sink, observations, deps } = harness();
    // The classifier takes 4 features too, but a 3-wide row breaks it: the shadow errs alone.
    const bad = message([1, 2, 3], [shadow({ VariantName: 'clf', ModelName: 'clf', artifact: clfArtifact })]);
    const good = message(
      [1, 2, 3, 4],
      [shadow({ VariantName: 'clf', ModelName: 'clf', artifact: clfArtifact })],
    );
    const retry = await retried([deliver(bad), deliver(good)], deps);
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
    expect(await retried([deliver(m)], deps)).toEqual([]);
    expect(await retried([deliver(m)], deps)).toEqual([]);
    expect(sink.lines('captures/prod/')).toHaveLength(1);
    expect(sink.lines('captures/shadow/')).toHaveLength(1);
    expect(observations.flatMap((o) => o.obs)).toHaveLength(1);
  });

  it('retries only what failed: a redelivery neither loses nor repeats a capture line', async () => {
    const { sink, observations, ledger, deps } = harness();
    const m = message([1, 2, 3, 4]);
    sink.failOn = (key) => key.startsWith('shadow/');
    const first = deliver(m, 'msg-1');
    expect(await retried([first], deps)).toEqual(['msg-1']);
    expect(ledger.entries.get(m.eventId)).toMatchObject({
      state: 'released',
      parts: ['capture', 'compare:exp\u0000challenger'],
    });
    sink.failOn = undefined;
    expect(await retried([deliver(m, 'msg-1')], deps)).toEqual([]);
    expect(sink.lines('captures/prod/')).toHaveLength(1);
    expect(sink.lines('captures/shadow/')).toHaveLength(1);
    expect(observations.flatMap((o) => o.obs)).toHaveLength(1);
  });
});

describe('processShadowBatch over the delivery ledger', () => {
  it('retries a copy another live attempt holds, then drops it once that attempt is done', async () => {
    const { sink, observations, ledger, deps } = harness();
    const m = message([1, 2, 3, 4]);
    await ledger.admit([m.eventId], 'another-attempt');
    const early = await processShadowBatch([deliver(m, 'copy')], deps);
    expect(early.retry).toEqual(['copy']);
    expect(early.tally).toMatchObject({ deferred: 1, completed: 0 });
    expect(sink.files.size).toBe(0);
    await ledger.complete([m.eventId], 'another-attempt');
    const late = await processShadowBatch([deliver(m, 'copy')], deps);
    expect(late.retry).toEqual([]);
    expect(late.tally).toMatchObject({ duplicates: 1, completed: 0 });
    expect(sink.files.size).toBe(0);
    expect(observations).toHaveLength(0);
  });

  it('takes over an event whose holder died, resuming after the parts it released', async () => {
    let now = 1_000_000;
    const { sink, observations, deps } = harness();
    const ledger = new InMemoryDeliveryLedger(90_000, () => now);
    const m = message([1, 2, 3, 4]);
    await ledger.admit([m.eventId], 'dead-attempt');
    const withLedger = { ...deps, ledger };
    expect(await retried([deliver(m)], withLedger)).toHaveLength(1);
    now += 90_001;
    expect(await retried([deliver(m)], withLedger)).toEqual([]);
    expect(sink.lines('captures/prod/')).toHaveLength(1);
    expect(observations.flatMap((o) => o.obs)).toHaveLength(1);
  });

  it('retries every message when the ledger cannot be asked, and writes nothing', async () => {
    const { sink, deps } = harness();
    const m = message([1, 2, 3, 4]);
    const asked: string[] = [];
    const released: { eventId: string; holder: string; done: string[] }[] = [];
    const outcome = await processShadowBatch([deliver(m, 'only')], {
      ...deps,
      ledger: {
        admit: async (ids, holder) => {
          asked.push(holder);
          return new Map(ids.map((id) => [id, { kind: 'unavailable', reason: 'timeout' }]));
        },
        complete: async () => [],
        release: async (eventId, holder, done) => void released.push({ eventId, holder, done: [...done] }),
        intend: async () => undefined,
      },
    });
    expect(outcome.retry).toEqual(['only']);
    expect(outcome.tally.deferred).toBe(1);
    expect(sink.files.size).toBe(0);
    // An admission that timed out may have landed: it is given back under the batch's token.
    expect(released).toEqual([{ eventId: m.eventId, holder: asked[0], done: [] }]);
  });

  it('counts every message of a batch exactly once', async () => {
    const { sink, deps } = harness();
    const ok = message([1, 2, 3, 4]);
    const failing = message([4, 3, 2, 1], [shadow({ destination: 's3://refusing/shadow' })]);
    const outcome = await processShadowBatch(
      [deliver(ok), deliver(ok), deliver(failing), deliver('not json')],
      {
        ...deps,
        sink: {
          write: async (location, body) => {
            if (location.bucket === 'refusing') throw new Error('S3 is refusing writes');
            await sink.write(location, body);
          },
          readSpilled: async () => undefined,
          exists: async () => false,
        },
      },
    );
    expect(outcome.tally).toEqual({
      completed: 1,
      duplicates: 1,
      deferred: 0,
      failed: 1,
      pending: 0,
      deadLettered: 1,
    });
    expect(outcome.retry).toHaveLength(1);
  });
});

describe('RegistryComparisonRecorder', () => {
  const observation = (eventId: string): ShadowObservation => ({
    eventId,
    production: [1],
    shadow: [1],
    productionLatencyMs: 1,
    shadowLatencyMs: 1,
    rows: [[1, 2, 3, 4]],
  });

  it('merges a delta once when a write that had succeeded is retried', async () => {
    const store = new InMemoryRegistryStore();
    // The first replace lands but its caller is told it failed (a timed-out call): the retry
    // then sees a conflict, re-reads, and must find its own delta already merged.
    let lost = 0;
    const flaky = Object.create(store) as InMemoryRegistryStore;
    flaky.replace = async (...args: Parameters<InMemoryRegistryStore['replace']>) => {
      await store.replace(...args);
      if (lost++ === 0) throw new VersionConflictError(args[0], args[1]);
    };
    const recorder = new RegistryComparisonRecorder(flaky);
    await recorder.record('exp', 'shadow', [observation('a')]);
    await recorder.record('exp', 'shadow', [observation('b'), observation('c')]);
    const stored = await store.get<StoredComparison>(COLLECTIONS.shadowComparison, 'exp/shadow');
    expect(summarize(parseAggregate(stored?.data.aggregate)).RequestsCompared).toBe(3);
  });

  it('loses no delta when many batches merge into one comparison at once', async () => {
    const store = new InMemoryRegistryStore();
    const recorder = new RegistryComparisonRecorder(store);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => recorder.record('exp', 'shadow', [observation(`e${i}`)])),
    );
    const stored = await store.get<StoredComparison>(COLLECTIONS.shadowComparison, 'exp/shadow');
    expect(summarize(parseAggregate(stored?.data.aggregate)).RequestsCompared).toBe(20);
  });
});

describe('production predictions in the mirror message', () => {
  it('compares the predictions the data plane computed, without parsing the answer again', async () => {
    const { observations, deps } = harness();
    const m = message([1, 2, 3, 4]);
    const carried = { ...m, response: { ...m.response, predictions: [42] } };
    await processShadowBatch([deliver(carried)], deps);
    expect(observations[0]?.obs[0]?.production).toEqual([42]);
  });

  it('parses the answer of a message sent before predictions were carried', async () => {
    const { observations, deps } = harness();
    const m = message([1, 2, 3, 4]);
    const { predictions: _dropped, ...older } = m.response;
    await processShadowBatch([deliver({ ...m, response: older })], deps);
    expect(observations[0]?.obs[0]?.production).toEqual([expected.models['regressor.onnx'].score[0]]);
  });
});
