/**
 * Shadow comparisons of real scikit-learn and LightGBM models, through the data plane's
 * handler (which sends the mirror message) and the shadow consumer (which runs the shadow and
 * records the comparison). Expected labels, values and rates come from the libraries
 * themselves (scripts/fixtures/make-classifier-models.py → test/fixtures/models/classifiers.json).
 */
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { OutputSpec } from '../../lambdas/domain/inference/onnx-model.js';
import {
  COLLECTIONS,
  type ComparisonConfig,
  type EndpointInternal,
} from '../../lambdas/domain/kernel/records.js';
import { processShadowBatch } from '../../lambdas/domain/mirroring/mirror-batch.js';
import {
  RegistryComparisonRecorder,
  type StoredComparison,
} from '../../lambdas/domain/shadow-tests/comparison-recorder.js';
import {
  comparableRows,
  createAggregate,
  inferModelTask,
  parseAggregate,
  type ShadowReport,
  summarize,
} from '../../lambdas/domain/shadow-tests/index.js';
import { InMemoryDeliveryLedger } from '../support/delivery-ledger.js';
import { InMemoryRegistryStore } from '../support/in-memory-registry-store.js';
import { INVOKER_KEY, invokeHandlerFor } from '../support/invoke-handler.js';
import { classifierPairs, type FixturePair, MemoryArtifactSource } from '../support/models.js';
import { signedInvokeEvent } from '../support/signed-event.js';

const KEY = INVOKER_KEY;
const NOW = new Date('2026-11-25T12:00:00Z');
const rules = { csvContentTypes: ['text/csv'], jsonContentTypes: ['application/json'] };
const { agree, differ, regression } = classifierPairs.pairs;

/** Sends the pair's rows to production in requests of `rowsPerRequest` rows, shadows all, reports. */
async function compare(
  pair: FixturePair,
  options: { shadowModel?: string; comparison?: ComparisonConfig; rowsPerRequest?: number } = {},
): Promise<ShadowReport> {
  const artifacts = new MemoryArtifactSource();
  const internal: EndpointInternal = {
    variants: [
      { VariantName: 'main', weight: 1, ModelName: 'p', artifact: artifacts.register(pair.production) },
    ],
    shadows: [
      {
        VariantName: 'shadow',
        weight: 0,
        ModelName: 's',
        artifact: artifacts.register(options.shadowModel ?? pair.shadow),
        samplingPercentage: 100,
        sourceVariant: 'main',
        experimentName: 'exp',
        ...(options.comparison && { comparison: options.comparison }),
        ...rules,
      },
    ],
  };
  const { handler, messages, models, store } = await invokeHandlerFor(internal, artifacts, {
    now: NOW,
    seed: 5,
  });
  const size = options.rowsPerRequest ?? 10;
  for (let i = 0; i < pair.rows.length; i += size) {
    const body = `${pair.rows
      .slice(i, i + size)
      .map((r) => r.join(','))
      .join('\n')}\n`;
    const event = await signedInvokeEvent({ key: KEY, now: NOW, endpoint: 'ep', body });
    expect((await handler(event, {} as Context)).statusCode).toBe(200);
  }
  const outcome = await processShadowBatch(
    messages.map((m, i) => ({ messageId: `m${i}`, body: JSON.stringify(m) })),
    {
      models,
      sink: { write: async () => undefined, readSpilled: async () => undefined, exists: async () => false },
      deadLetters: { send: async () => undefined },
      comparisons: new RegistryComparisonRecorder(store),
      ledger: new InMemoryDeliveryLedger(),
    },
  );
  expect(outcome.tally.completed).toBe(messages.length);
  const stored = await store.get<StoredComparison>(COLLECTIONS.shadowComparison, 'exp/shadow');
  return summarize(parseAggregate(stored?.data.aggregate));
}

/** Rows where the libraries' labels agree, and each side's count per label. */
function reference(pair: FixturePair) {
  const production = pair.productionLabels ?? [];
  const shadow = pair.shadowLabels ?? [];
  const counts = (labels: number[]) => {
    const out = new Map<string, number>();
    for (const l of labels) out.set(String(l), (out.get(String(l)) ?? 0) + 1);
    return out;
  };
  return {
    agreed: production.filter((l, i) => l === shadow[i]).length,
    production: counts(production),
    shadow: counts(shadow),
  };
}

describe('two scikit-learn classifiers that agree on every label but not on probabilities', () => {
  it('reports agreement 1 under the SameLabel rule inferred from both models, and NoDifference', async () => {
    // The pair is what the issue describes: every probability differs.
    const gaps = agree.rows.map((_, i) =>
      Math.abs((agree.productionProbabilities?.[i] ?? 0) - (agree.shadowProbabilities?.[i] ?? 0)),
    );
    expect(Math.min(...gaps)).toBeGreaterThan(1e-6);
    const report = await compare(agree);
    expect(report.TaskKind).toBe('Classification');
    expect(report.ComparisonRule).toEqual({
      Kind: 'Classification',
      Agreement: 'SameLabel',
      Source: 'ModelOutputs',
      InferredFrom:
        'ONNX outputs of production output_label (int64 [N]) + output_probability (sequence of maps) and of the shadow label (int64 [N]) + probabilities (float [N,2])',
      ProductionModel: {
        Kind: 'Classification',
        Outputs: 'output_label (int64 [N]) + output_probability (sequence of maps)',
      },
      ShadowModel: { Kind: 'Classification', Outputs: 'label (int64 [N]) + probabilities (float [N,2])' },
      KindsDiffer: false,
    });
    expect(report.RowsCompared).toBe(agree.rows.length);
    expect(report.AgreementRate.Value).toBe(agree.agreementRate);
    expect(report.AgreementRate.Value).toBe(1);
    expect(report.Verdict).toBe('NoDifference');
    const want = reference(agree);
    expect(report.Labels?.Counts).toEqual(
      [...want.production.keys()].sort().map((Label) => ({
        Label,
        Production: want.production.get(Label),
        Shadow: want.shadow.get(Label),
      })),
    );
    expect(report.Labels).toMatchObject({ OnlyProduction: [], OnlyShadow: [] });
  });

  it('is never Different, however the rows are split into requests', async () => {
    for (const rowsPerRequest of [1, 7, 300]) {
      const report = await compare({ ...agree, rows: agree.rows.slice(0, 120) }, { rowsPerRequest });
      expect(report.ComparisonRule.Agreement).toBe('SameLabel');
      expect(report.AgreementRate.Value).toBe(1);
      expect(report.Verdict).not.toBe('Different');
    }
  });

  it('follows ConfigureShadowComparison when it says otherwise, and says so', async () => {
    const report = await compare(agree, { comparison: { kind: 'regression' } });
    expect(report.TaskKind).toBe('Regression');
    expect(report.ComparisonRule).toMatchObject({
      Kind: 'Regression',
      Agreement: 'WithinTolerance',
      AbsoluteTolerance: 1e-6,
      Source: 'ConfigureShadowComparison',
      InferredFrom:
        "ConfigureShadowComparison set TaskKind regression (production's ONNX outputs would make it classification)",
    });
  });
});

describe('a scikit-learn classifier shadowed by a LightGBM one that disagrees on 10% of labels', () => {
  it("reports scikit-learn's agreement rate (0.9) with its interval, and Different", async () => {
    const report = await compare(differ);
    const want = reference(differ);
    expect(differ.agreementRate).toBe(0.9);
    expect(report.ComparisonRule).toMatchObject({ Kind: 'Classification', Agreement: 'SameLabel' });
    expect(report.AgreementRate).toMatchObject({
      Value: differ.agreementRate,
      RowsAgreed: want.agreed,
      RowsCompared: differ.rows.length,
    });
    expect(report.AgreementRate.ConfidenceInterval.Lower).toBeLessThan(0.9);
    expect(report.AgreementRate.ConfidenceInterval.Upper).toBeGreaterThan(0.9);
    expect(report.AgreementRate.ConfidenceInterval.Upper).toBeLessThan(0.99);
    expect(report.Verdict).toBe('Different');
    for (const { Label, Production, Shadow } of report.Labels?.Counts ?? []) {
      expect([Production, Shadow]).toEqual([want.production.get(Label) ?? 0, want.shadow.get(Label) ?? 0]);
    }
  });
});

describe('a regression pair', () => {
  it('keeps the tolerance rule: agreement within 1e-6 of production, at the rate NumPy found', async () => {
    const report = await compare(regression);
    expect(report.TaskKind).toBe('Regression');
    expect(report.ComparisonRule).toMatchObject({
      Kind: 'Regression',
      Agreement: 'WithinTolerance',
      AbsoluteTolerance: 1e-6,
      RelativeTolerance: 0,
      Source: 'ModelOutputs',
      InferredFrom: 'ONNX outputs variable (float [N,1]) of both models',
    });
    expect(report.AgreementRate.Value).toBe(regression.agreementRate);
    expect(report.Verdict).toBe('Different');
    const p = regression.productionValues ?? [];
    const s = regression.shadowValues ?? [];
    const meanGap = p.reduce((sum, v, i) => sum + Math.abs(v - (s[i] as number)), 0) / p.length;
    // float32 inference and values rounded to 4 decimals in the fixture.
    expect(report.Difference.Mean).toBeCloseTo(meanGap, 2);
    expect(report.Labels).toBeUndefined();
  });
});

describe('models of different kinds', () => {
  it("compares a regressor shadowing a classifier as production's kind and reports it Different", async () => {
    const report = await compare(agree, { shadowModel: 'regression-linear.onnx' });
    expect(report.ComparisonRule).toMatchObject({
      Kind: 'Classification',
      Source: 'ModelOutputs',
      KindsDiffer: true,
      ShadowModel: { Kind: 'Regression', Outputs: 'variable (float [N,1])' },
    });
    expect(report.ComparisonRule.InferredFrom).toMatch(
      /^production is a classifier .* but the shadow a regressor/,
    );
    expect(report.ShadowErrors.InvalidOutput).toBe(report.RequestsMirrored);
    expect(report.Verdict).toBe('Different');
  });
});

describe('reading a model from its declared outputs', () => {
  it('knows the converters’ classifiers and regressors', () => {
    const cases: [OutputSpec[], string | undefined, string][] = [
      // skl2onnx with ZipMap; XGBoost via onnxmltools; a string label.
      [
        [out('output_label', 'int64', [undefined]), out('output_probability')],
        'classification',
        'label+prob',
      ],
      [
        [out('label', 'int64', [1]), out('probabilities', 'float32', [undefined, 3])],
        'classification',
        'label+prob',
      ],
      [[out('output_label', 'string', [undefined])], 'classification', 'label'],
      // A probability output alone.
      [[out('probabilities', 'float32', [undefined, 1])], 'classification', 'prob'],
      [[out('variable', 'float32', [undefined, 1])], 'regression', 'value'],
      [[out('score', 'float64', [undefined, 2])], 'regression', 'value'],
    ];
    for (const [outputs, kind, reads] of cases) {
      const task = inferModelTask(outputs);
      expect(task?.kind, JSON.stringify(outputs)).toBe(kind);
      const read = [task?.label && 'label', task?.probabilities && 'prob', task?.value && 'value'];
      expect(read.filter(Boolean).join('+')).toBe(reads);
    }
  });

  it('labels a probability output alone by argmax, or at 0.5 for a single column', () => {
    const labelsOf = (outputs: OutputSpec[], rows: number[][]) => {
      const read = comparableRows(inferModelTask(outputs), [{ name: outputs[0]?.name ?? '', rows }]);
      const report = summarize(
        createAggregate({ kind: 'classification' }, [{ production: read, shadow: read }]),
      );
      return report.Labels?.Counts.map((c) => [c.Label, c.Production]);
    };
    const two = [out('probabilities', 'float32', [undefined, 2])];
    expect(
      labelsOf(two, [
        [0.7, 0.3],
        [0.2, 0.8],
        [0.1, 0.9],
      ]),
    ).toEqual([
      ['0', 1],
      ['1', 2],
    ]);
    const one = [out('probability', 'float32', [undefined, 1])];
    expect(labelsOf(one, [[0.7], [0.2], [0.5]])).toEqual([
      ['0', 1],
      ['1', 2],
    ]);
  });
});

describe('the recorder under concurrent first batches', () => {
  it('rebuilds its delta under the rule a concurrent batch stored first, losing neither', async () => {
    const store = new InMemoryRegistryStore();
    const recorder = new RegistryComparisonRecorder(store);
    const task = inferModelTask([out('label', 'int64', [undefined])]);
    // One batch knows the shadow's outputs, the other's shadow model could not load: two rules.
    const batch = (eventId: string, withShadow: boolean) => [
      {
        eventId,
        production: [{ label: 1 }],
        shadow: [{ label: 1 }],
        productionLatencyMs: 1,
        rows: [[0]],
        productionModel: task,
        ...(withShadow && { shadowModel: task }),
      },
    ];
    await Promise.all([
      recorder.record('exp', 'shadow', batch('a', true)),
      recorder.record('exp', 'shadow', batch('b', false)),
    ]);
    const stored = await store.get<StoredComparison>(COLLECTIONS.shadowComparison, 'exp/shadow');
    const aggregate = parseAggregate(stored?.data.aggregate);
    expect([aggregate.requestsMirrored, aggregate.rowsAgreed]).toEqual([2, 2]);
  });
});

function out(name: string, type?: string, shape?: (number | undefined)[]): OutputSpec {
  return { name, ...(type && { type, shape }) };
}
