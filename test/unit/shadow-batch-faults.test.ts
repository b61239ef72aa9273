import { describe, expect, it } from 'vitest';
import { RegistryCaptureIndex } from '../../lambdas/domain/data-capture/capture-index.js';
import { newEventId } from '../../lambdas/domain/data-capture/capture-record.js';
import { ModelCache } from '../../lambdas/domain/inference/model-cache.js';
import { sha256Hex } from '../../lambdas/domain/kernel/artifact.js';
import { COLLECTIONS, type RuntimeShadow } from '../../lambdas/domain/kernel/records.js';
import type { RegistryStore, StoredRecord, StoreWrite } from '../../lambdas/domain/kernel/store.js';
import type { Admission, DeliveryLedger } from '../../lambdas/domain/mirroring/delivery-ledger.js';
import { buildMirrorMessage } from '../../lambdas/domain/mirroring/mirror.js';
import {
  type CaptureSink,
  type Delivery,
  processShadowBatch,
} from '../../lambdas/domain/mirroring/mirror-batch.js';
import {
  RegistryComparisonRecorder,
  type StoredComparison,
} from '../../lambdas/domain/shadow-tests/comparison-recorder.js';
import { parseAggregate, summarize } from '../../lambdas/domain/shadow-tests/index.js';
import { SimulatedCrash } from '../support/crashing-store.js';
import { InMemoryDeliveryLedger } from '../support/delivery-ledger.js';
import { InMemoryRegistryStore } from '../support/in-memory-registry-store.js';
import { expected, fixture, MemoryArtifactSource } from '../support/models.js';
import { seeded } from '../support/seeded-random.js';

/**
 * Issue 14, part 6: every answered, sampled request yields exactly one production capture
 * line, one shadow capture line and one comparison, whatever write of the shadow consumer's
 * batch path fails: each write (ledger admission, capture intents, the capture index, each
 * capture object, the comparison merge, the ledger's completion) is made to fail once, to
 * land and then fail (a timeout after success), or to kill the process before or after it
 * lands. The batch is then delivered again as SQS would (a dead process deletes nothing),
 * and once more after success (a late duplicate), and the outputs are counted.
 */

const source = new MemoryArtifactSource();
const v2 = fixture('regressor-v2.onnx');
const v2Artifact = { uri: source.put('s3://m/v2.onnx', v2), sha256: sha256Hex(v2), sizeBytes: v2.length };
const models = new ModelCache(source);
const rules = { csvContentTypes: ['text/csv'], jsonContentTypes: ['application/json'] };
const shadow: RuntimeShadow = {
  VariantName: 'challenger',
  weight: 0,
  ModelName: 'v2',
  artifact: v2Artifact,
  samplingPercentage: 100,
  sourceVariant: 'main',
  destination: 's3://captures/shadow',
  experimentName: 'exp',
  ...rules,
};
const capture = {
  enabled: true,
  samplingPercentage: 100,
  destination: 's3://captures/prod',
  captureInput: true,
  captureOutput: true,
  ...rules,
};

function message(row: number[], hour: number) {
  const score = expected.models['regressor.onnx'].score[0] as number;
  return buildMirrorMessage(
    {
      eventId: newEventId(),
      inferenceTime: new Date(Date.UTC(2026, 10, 25, hour, 59, 59)),
      endpointName: 'ep',
      variantName: 'main',
      requestBody: new TextEncoder().encode(`${row.join(',')}\n`),
      requestContentType: 'text/csv',
      responseBody: JSON.stringify({ predictions: [score] }),
      responseContentType: 'application/json',
      predictions: [score],
      modelLatencyUs: 120,
    },
    { capture, shadows: [shadow] },
  );
}

type Mode = 'fail-before' | 'fail-after' | 'crash-before' | 'crash-after';

/** Counts the batch path's writes across every port, and injects one fault at write `at`. */
class Faults {
  readonly names: string[] = [];
  dead = false;
  constructor(
    private readonly at = -1,
    private readonly mode: Mode = 'fail-before',
  ) {}

  read(): void {
    if (this.dead) throw new SimulatedCrash(this.names.length);
  }

  async write<T>(name: string, apply: () => Promise<T>): Promise<T> {
    this.read();
    const n = this.names.push(name) - 1;
    if (n !== this.at) return apply();
    if (this.mode.startsWith('crash')) this.dead = true;
    if (this.mode.endsWith('after')) await apply();
    throw this.dead ? new SimulatedCrash(n) : new Error(`injected failure at write ${n} (${name})`);
  }
}

class FaultyStore implements RegistryStore {
  constructor(
    private readonly inner: RegistryStore,
    private readonly faults: Faults,
  ) {}
  async get<T>(collection: string, id: string): Promise<StoredRecord<T> | undefined> {
    this.faults.read();
    return this.inner.get(collection, id);
  }
  async list<T>(collection: string, idPrefix?: string): Promise<T[]> {
    this.faults.read();
    return this.inner.list(collection, idPrefix);
  }
  create<T>(collection: string, id: string, data: T) {
    return this.faults.write(`create ${collection}`, () => this.inner.create(collection, id, data));
  }
  replace<T>(collection: string, id: string, data: T, expectedVersion?: number) {
    return this.faults.write(`replace ${collection}`, () =>
      this.inner.replace(collection, id, data, expectedVersion),
    );
  }
  delete(collection: string, id: string) {
    return this.faults.write(`delete ${collection}`, () => this.inner.delete(collection, id));
  }
  increment(collection: string, id: string) {
    return this.faults.write(`increment ${collection}`, () => this.inner.increment(collection, id));
  }
  transact(writes: readonly StoreWrite[]) {
    const what = [...new Set(writes.map((w) => w.collection))].join('+');
    return this.faults.write(`transact ${what}`, () => this.inner.transact(writes));
  }
}

class FaultyLedger implements DeliveryLedger {
  constructor(
    private readonly inner: DeliveryLedger,
    private readonly faults: Faults,
  ) {}
  async admit(eventIds: readonly string[], holder: string): Promise<ReadonlyMap<string, Admission>> {
    try {
      return await this.faults.write('ledger admit', () => this.inner.admit(eventIds, holder));
    } catch (error) {
      if (error instanceof SimulatedCrash) throw error;
      // As the DynamoDB adapter answers a call that failed: every id unavailable.
      return new Map(eventIds.map((id) => [id, { kind: 'unavailable', reason: (error as Error).message }]));
    }
  }
  complete(eventIds: readonly string[], holder: string) {
    return this.faults.write('ledger complete', () => this.inner.complete(eventIds, holder));
  }
  release(eventId: string, holder: string, done: ReadonlySet<string>) {
    return this.faults.write('ledger release', () => this.inner.release(eventId, holder, done));
  }
  intend(eventId: string, holder: string, intents: ReadonlyMap<string, string>) {
    return this.faults.write('ledger intend', () => this.inner.intend(eventId, holder, intents));
  }
}

/** Capture objects by URI; writes and reads go through the faults. */
class Objects implements CaptureSink {
  readonly files = new Map<string, string>();
  constructor(private readonly faults: () => Faults) {}
  write(location: { bucket: string; key: string }, body: string) {
    return this.faults().write('s3 put', async () => {
      this.files.set(`s3://${location.bucket}/${location.key}`, body);
    });
  }
  async readSpilled() {
    this.faults().read();
    return undefined;
  }
  async exists(uri: string) {
    this.faults().read();
    return this.files.has(uri);
  }
  /** Capture lines under a prefix, by event id. */
  eventIds(prefix: string): string[] {
    return [...this.files.entries()]
      .filter(([uri]) => uri.startsWith(prefix))
      .flatMap(([, body]) =>
        body
          .trim()
          .split('\n')
          .map((line) => (JSON.parse(line) as { eventMetadata: { eventId: string } }).eventMetadata.eventId),
      );
  }
}

const STALE_MS = 90_000;

function world() {
  const store = new InMemoryRegistryStore();
  const clock = { now: Date.parse('2026-11-25T12:00:00Z') };
  const ledger = new InMemoryDeliveryLedger(STALE_MS, () => clock.now);
  let faults = new Faults();
  const objects = new Objects(() => faults);
  const deadLetters: string[] = [];
  const deps = () => {
    const faultyStore = new FaultyStore(store, faults);
    return {
      models,
      sink: objects,
      deadLetters: {
        send: (body: string) => faults.write('dead letter', async () => void deadLetters.push(body)),
      },
      comparisons: new RegistryComparisonRecorder(faultyStore, { log: silent }),
      captureIndex: new RegistryCaptureIndex(faultyStore),
      ledger: new FaultyLedger(ledger, faults),
      log: silent,
    };
  };
  return {
    store,
    clock,
    objects,
    deadLetters,
    deps,
    useFaults: (next: Faults) => {
      faults = next;
    },
  };
}
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

type World = ReturnType<typeof world>;

/**
 * Delivers `deliveries` as SQS would until none is left: a batch that threw (its process
 * died) is delivered again in full once its holds are stale; a batch that answered leaves
 * only its retries. Returns the number of rounds.
 */
async function deliverUntilDrained(
  w: World,
  deliveries: Delivery[],
  { concurrent = false } = {},
): Promise<number> {
  let pending = deliveries;
  let rounds = 0;
  const limit = concurrent ? 200 : 10;
  while (pending.length > 0) {
    if (++rounds > limit) throw new Error(`not drained after ${limit} rounds: ${pending.length} left`);
    try {
      const outcome = await processShadowBatch(pending, w.deps());
      const retry = new Set(outcome.retry);
      pending = pending.filter((d) => retry.has(d.messageId));
    } catch (error) {
      if (!(error instanceof SimulatedCrash)) throw error;
    }
    if (concurrent) {
      // Events held by a live batch beside this one: delivered again once it has moved on.
      await new Promise((resolve) => setTimeout(resolve, 2));
    } else {
      // The next delivery comes after the visibility timeout, past any hold of a dead attempt.
      w.useFaults(new Faults());
      w.clock.now += STALE_MS + 1000;
    }
  }
  return rounds;
}

async function expectExactlyOnce(w: World, eventIds: readonly string[]) {
  const sorted = [...eventIds].sort();
  expect(w.objects.eventIds('s3://captures/prod/').sort()).toEqual(sorted);
  expect(w.objects.eventIds('s3://captures/shadow/').sort()).toEqual(sorted);
  const stored = await w.store.get<StoredComparison>(COLLECTIONS.shadowComparison, 'exp/challenger');
  const report = summarize(parseAggregate(stored?.data.aggregate));
  expect(report.RequestsCompared).toBe(eventIds.length);
  expect(w.deadLetters).toEqual([]);
}

/** Six events over two hours (two objects per variant), one of them delivered twice. */
function traffic() {
  const random = seeded(14);
  const messages = Array.from({ length: 6 }, (_, i) =>
    message(
      Array.from({ length: 4 }, () => Math.round(random() * 100) / 10),
      10 + (i % 2),
    ),
  );
  const deliveries = messages.map((m, i) => ({ messageId: `m${i}`, body: JSON.stringify(m) }));
  deliveries.push({ messageId: 'm0-copy', body: deliveries[0]?.body as string });
  return { eventIds: messages.map((m) => m.eventId), deliveries };
}

describe('the shadow consumer with a fault at any write of its batch path', () => {
  it('makes the writes this test injects faults into', async () => {
    const w = world();
    const { eventIds, deliveries } = traffic();
    const counting = new Faults();
    w.useFaults(counting);
    await processShadowBatch(deliveries, w.deps());
    expect(new Set(counting.names)).toEqual(
      new Set([
        'ledger admit',
        'replace CaptureIndex',
        'ledger intend',
        's3 put',
        `transact ${COLLECTIONS.shadowComparison}+${COLLECTIONS.shadowCompared}`,
        'ledger complete',
      ]),
    );
    await expectExactlyOnce(w, eventIds);
  });

  for (const mode of ['fail-before', 'fail-after', 'crash-before', 'crash-after'] as const) {
    it(`${mode}: one capture line per variant and one comparison per event, for a fault at each write`, async () => {
      const counting = new Faults();
      const probe = world();
      probe.useFaults(counting);
      await processShadowBatch(traffic().deliveries, probe.deps());
      const writes = counting.names.length;
      expect(writes).toBeGreaterThan(10);
      let redelivered = 0;
      for (let at = 0; at < writes; at++) {
        const w = world();
        const { eventIds, deliveries } = traffic();
        w.useFaults(new Faults(at, mode));
        const rounds = await deliverUntilDrained(w, deliveries);
        if (rounds > 1) redelivered++;
        // A late copy of every message after success (a lost delete, an expired visibility timeout).
        const late = await processShadowBatch(deliveries, w.deps());
        expect(late.retry).toEqual([]);
        // Dropped as done, or (an event whose completion was never recorded) taken over and
        // found finished: nothing is written again, which expectExactlyOnce checks.
        expect(late.tally.duplicates + late.tally.completed).toBe(deliveries.length);
        await expectExactlyOnce(w, eventIds);
      }
      // The faults did cost deliveries (so the redelivery paths above were taken).
      expect(redelivered).toBeGreaterThan(writes / 2);
    });
  }

  it('crash after a capture object is written and before progress is recorded: the object is not written again', async () => {
    const w = world();
    const { eventIds, deliveries } = traffic();
    const counting = new Faults();
    w.useFaults(counting);
    const probe = world();
    const probeFaults = new Faults();
    probe.useFaults(probeFaults);
    await processShadowBatch(traffic().deliveries, probe.deps());
    const lastPut = probeFaults.names.lastIndexOf('s3 put');
    w.useFaults(new Faults(lastPut, 'crash-after'));
    await deliverUntilDrained(w, deliveries);
    // Four objects (two hours × two variants) from the first attempt, none rewritten.
    expect(w.objects.files.size).toBe(4);
    await expectExactlyOnce(w, eventIds);
  });
});

describe('five concurrent batches into one experiment', () => {
  it('compares and captures each event once, with copies spread across the batches', async () => {
    const w = world();
    const random = seeded(1414);
    const messages = Array.from({ length: 200 }, (_, i) =>
      message(
        Array.from({ length: 4 }, () => Math.round(random() * 100) / 10),
        i % 3,
      ),
    );
    const deliveries = messages.map((m, i) => ({ messageId: `m${i}`, body: JSON.stringify(m) }));
    // Every fifth message is delivered twice, into another batch.
    const copies = deliveries
      .filter((_, i) => i % 5 === 0)
      .map((d) => ({ ...d, messageId: `${d.messageId}-copy` }));
    const all = [...deliveries, ...copies].sort(() => random() - 0.5);
    const batches = Array.from({ length: 5 }, (_, b) => all.filter((_, i) => i % 5 === b));
    await Promise.all(batches.map((batch) => deliverUntilDrained(w, batch, { concurrent: true })));
    await expectExactlyOnce(
      w,
      messages.map((m) => m.eventId),
    );
  });
});
