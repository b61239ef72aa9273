import { type ArtifactRef, type ArtifactSource, readVerifiedModelBytes } from '../kernel/artifact.js';
import { OnnxModel } from './onnx-model.js';

/**
 * Loaded models by artifact digest, kept across warm invocations. Concurrent requests for
 * the same model share one load; the least recently used model is released past `capacity`.
 */
export class ModelCache {
  private readonly models = new Map<string, Promise<OnnxModel>>();
  /** The key set last, so the endpoint's one model is not deleted and re-set on every request. */
  private newest: string | undefined;

  constructor(
    private readonly source: ArtifactSource,
    private readonly capacity = 16,
  ) {}

  get(artifact: ArtifactRef): Promise<OnnxModel> {
    const key = artifact.sha256;
    const cached = this.models.get(key);
    if (cached) {
      // Re-insert to mark as most recently used (it already is when it was set last).
      if (key !== this.newest) {
        this.models.delete(key);
        this.models.set(key, cached);
        this.newest = key;
      }
      return cached;
    }
    const loading = readVerifiedModelBytes(this.source, artifact).then((bytes) => OnnxModel.load(bytes));
    this.models.set(key, loading);
    this.newest = key;
    // A failed load is not cached: the next request tries again.
    loading.catch(() => {
      if (this.models.get(key) === loading) this.models.delete(key);
    });
    this.evict();
    return loading;
  }

  get size(): number {
    return this.models.size;
  }

  private evict(): void {
    while (this.models.size > this.capacity) {
      const oldest = this.models.keys().next().value as string;
      const model = this.models.get(oldest);
      this.models.delete(oldest);
      model?.then((m) => m.release()).catch(() => undefined);
    }
  }
}
