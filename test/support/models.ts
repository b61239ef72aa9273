import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ArtifactNotFoundError,
  type ArtifactSource,
  sha256Hex,
} from '../../lambdas/domain/kernel/artifact.js';
import type { RegisteredArtifact } from '../../lambdas/domain/kernel/records.js';

export const FIXTURES = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'fixtures',
  'models',
);

export function fixture(name: string): Buffer {
  return readFileSync(path.join(FIXTURES, name));
}

/** Expected outputs computed with NumPy by scripts/fixtures/make-test-models.py. */
export const expected = JSON.parse(readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8')) as {
  inputs: number[][];
  models: {
    'regressor.onnx': { score: number[] };
    'regressor-v2.onnx': { score: number[] };
    'classifier.onnx': { label: number[]; probabilities: number[][] };
  };
};

/** A production/shadow pair of scripts/fixtures/make-classifier-models.py, with what the libraries predicted. */
export interface FixturePair {
  readonly production: string;
  readonly shadow: string;
  readonly rows: number[][];
  /** Mean of productionLabels[i] == shadowLabels[i] (classifiers), or of |Δ| ≤ 1e-6 (regressors). */
  readonly agreementRate: number;
  readonly productionLabels?: number[];
  readonly shadowLabels?: number[];
  readonly productionProbabilities?: number[];
  readonly shadowProbabilities?: number[];
  readonly productionValues?: number[];
  readonly shadowValues?: number[];
}

/** Labels and values scikit-learn and LightGBM predicted, by scripts/fixtures/make-classifier-models.py. */
export const classifierPairs = JSON.parse(readFileSync(path.join(FIXTURES, 'classifiers.json'), 'utf8')) as {
  /** Each model's outputs as onnxruntime (Python) describes them. */
  outputs: Record<string, string[]>;
  pairs: { agree: FixturePair; differ: FixturePair; regression: FixturePair };
};

/** An artifact source over in-memory objects keyed by s3:// URI. */
export class MemoryArtifactSource implements ArtifactSource {
  readonly objects = new Map<string, Uint8Array>();
  fetches = 0;

  put(uri: string, bytes: Uint8Array): string {
    this.objects.set(uri, bytes);
    return uri;
  }

  /** Puts a fixture model under `prefix` and returns it as a registered artifact (URI, digest, size). */
  register(file: string, prefix = 's3://fixtures'): RegisteredArtifact {
    const bytes = fixture(file);
    return { uri: this.put(`${prefix}/${file}`, bytes), sha256: sha256Hex(bytes), sizeBytes: bytes.length };
  }

  async fetch(uri: string): Promise<Uint8Array> {
    this.fetches++;
    const bytes = this.objects.get(uri);
    if (!bytes) throw new ArtifactNotFoundError(uri);
    return bytes;
  }
}
