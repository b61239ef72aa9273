import { describe, expect, it } from 'vitest';
import { ModelCache } from '../../lambdas/domain/inference/model-cache.js';
import { OnnxModel } from '../../lambdas/domain/inference/onnx-model.js';
import {
  type ArtifactRef,
  readVerifiedModelBytes,
  sha256Hex,
  unpackArtifact,
} from '../../lambdas/domain/kernel/artifact.js';
import { ValidationError } from '../../lambdas/domain/kernel/errors.js';
import { classifierPairs, expected, fixture, MemoryArtifactSource } from '../support/models.js';

describe('OnnxModel', () => {
  it('answers the regressor as NumPy computed it', async () => {
    const model = await OnnxModel.load(fixture('regressor.onnx'));
    expect(model.input).toEqual({ name: 'features', type: 'float32', rowShape: [4], fixedBatch: undefined });
    const [score] = await model.predict(expected.inputs);
    expect(score?.name).toBe('score');
    const values = (score?.rows ?? []) as number[][];
    const want = expected.models['regressor.onnx'].score;
    expect(values).toHaveLength(want.length);
    for (const [i, row] of values.entries()) expect(row[0]).toBeCloseTo(want[i] as number, 5);
  });

  it('answers the classifier with labels and probabilities', async () => {
    const model = await OnnxModel.load(fixture('classifier.onnx'));
    const [label, probabilities] = await model.predict(expected.inputs);
    expect(label?.rows).toEqual(expected.models['classifier.onnx'].label);
    const want = expected.models['classifier.onnx'].probabilities;
    const rows = (probabilities?.rows ?? []) as number[][];
    expect(rows).toHaveLength(want.length);
    for (const [i, row] of rows.entries()) {
      for (const [j, p] of row.entries()) expect(p).toBeCloseTo(want[i]?.[j] as number, 5);
    }
  });

  it('serves a scikit-learn classifier with ZipMap: its label, without the sequence of maps onnxruntime-node cannot return', async () => {
    const { rows, productionLabels } = classifierPairs.pairs.agree;
    const model = await OnnxModel.load(fixture('classifier-logreg.onnx'));
    expect(model.outputs).toEqual([
      { name: 'output_label', type: 'int64', shape: [undefined] },
      { name: 'output_probability' },
    ]);
    const outputs = await model.predict(rows.slice(0, 20));
    expect(outputs.map((o) => o.name)).toEqual(['output_label']);
    expect(outputs[0]?.rows).toEqual(productionLabels?.slice(0, 20));
  });

  it('checks rows against the declared input before running', async () => {
    const model = await OnnxModel.load(fixture('regressor.onnx'));
    await expect(model.predict([[1, 2, 3]])).rejects.toThrow(ValidationError);
    await expect(
      model.predict([
        [1, 2, 3, 4],
        [1, 2, 3],
      ]),
    ).rejects.toThrow(/row 2: the model expects 4 features, got 3/);
    await expect(model.predict([1, 2, 3, 4])).rejects.toThrow(
      /row 1: expected a list of 4 values, got a number/,
    );
    await expect(model.predict([[[1], 2, 3, 4]])).rejects.toThrow(/expected a number, got a list/);
  });

  it('refuses bytes that are not ONNX, naming the cause', async () => {
    await expect(OnnxModel.load(fixture('not-a-model.onnx'))).rejects.toThrow(/not a valid ONNX model/);
  });
});

describe('artifacts', () => {
  it('unpacks model.onnx from a tar.gz and passes plain ONNX through', async () => {
    expect(Buffer.from(await unpackArtifact(fixture('regressor.tar.gz')))).toEqual(fixture('regressor.onnx'));
    expect(Buffer.from(await unpackArtifact(fixture('regressor.onnx')))).toEqual(fixture('regressor.onnx'));
  });

  it('refuses an artifact whose digest changed since registration', async () => {
    const source = new MemoryArtifactSource();
    const uri = source.put('s3://b/m.onnx', fixture('regressor.onnx'));
    const sha256 = sha256Hex(fixture('regressor-v2.onnx'));
    await expect(readVerifiedModelBytes(source, { uri, sha256 })).rejects.toThrow(
      /changed since registration/,
    );
  });
});

describe('ModelCache', () => {
  it('loads each artifact once across requests', async () => {
    const source = new MemoryArtifactSource();
    const uri = source.put('s3://b/m.onnx', fixture('regressor.onnx'));
    const cache = new ModelCache(source);
    const artifact = { uri, sha256: sha256Hex(fixture('regressor.onnx')) };
    const [a, b] = await Promise.all([cache.get(artifact), cache.get(artifact)]);
    expect(a).toBe(b);
    expect(await cache.get(artifact)).toBe(a);
    expect(source.fetches).toBe(1);
  });

  it('releases the least recently used model past its capacity', async () => {
    const source = new MemoryArtifactSource();
    const files = ['regressor.onnx', 'regressor-v2.onnx', 'regression-ridge.onnx'];
    const [a, b, c] = files.map((file) => ({
      uri: source.put(`s3://b/${file}`, fixture(file)),
      sha256: sha256Hex(fixture(file)),
    })) as [ArtifactRef, ArtifactRef, ArtifactRef];
    const cache = new ModelCache(source, 2);
    const first = await cache.get(a);
    await cache.get(b);
    // a was set first, b last: using a twice makes b the least recently used one.
    expect(await cache.get(a)).toBe(first);
    expect(await cache.get(a)).toBe(first);
    await cache.get(c);
    expect(cache.size).toBe(2);
    expect(source.fetches).toBe(3);
    expect(await cache.get(a)).toBe(first);
    expect(source.fetches).toBe(3);
    await cache.get(b);
    expect(source.fetches).toBe(4);
  });

  it('does not keep a failed load', async () => {
    const source = new MemoryArtifactSource();
    const cache = new ModelCache(source);
    const artifact = { uri: 's3://b/late.onnx', sha256: sha256Hex(fixture('regressor.onnx')) };
    await expect(cache.get(artifact)).rejects.toThrow(/no object/);
    source.put(artifact.uri, fixture('regressor.onnx'));
    await expect(cache.get(artifact)).resolves.toBeInstanceOf(OnnxModel);
  });
});
