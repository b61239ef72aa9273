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
