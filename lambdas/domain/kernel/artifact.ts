import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** Where a model's artifact lives and what it must hash to. */
export interface ArtifactRef {
  /** `s3://bucket/key` of a `.onnx` file or a `.tar.gz` holding `model.onnx`. */
  readonly uri: string;
  /** Hex sha256 of the object's bytes, recorded when the model was registered. */
  readonly sha256: string;
}

/** Port: reads artifact bytes (S3 in production). */
export interface ArtifactSource {
  /** Throws ArtifactNotFoundError when there is no such object. */
  fetch(uri: string): Promise<Uint8Array>;
}

export class ArtifactNotFoundError extends Error {
  constructor(
    readonly uri: string,
    options?: { cause?: unknown },
  ) {
    super(`no object at ${uri}`, options);
    this.name = 'ArtifactNotFoundError';
  }
}

/** Artifact bytes are not what was registered, or cannot be unpacked into an ONNX file. */
export class ArtifactIntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArtifactIntegrityError';
  }
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function parseS3Uri(uri: string): { bucket: string; key: string } | undefined {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  return match ? { bucket: match[1] as string, key: match[2] as string } : undefined;
}

const MODEL_FILE = 'model.onnx';

/** Returns the ONNX bytes of an artifact: the object itself, or `model.onnx` inside a tar.gz. */
export async function unpackArtifact(bytes: Uint8Array): Promise<Uint8Array> {
  const gzipped = bytes[0] === 0x1f && bytes[1] === 0x8b;
  if (!gzipped) return bytes;
  // Loaded only for a tar.gz: a plain .onnx artifact's cold start does not pay for it.
  const { extract } = await import('tar-stream');
  const tar = extract();
  let found: Uint8Array | undefined;
  const entries: string[] = [];
  const done = new Promise<void>((resolve, reject) => {
    tar.on('entry', (header, stream, next) => {
      const name = header.name.replace(/^\.\//, '');
      entries.push(name);
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: unknown) => {
        if (name === MODEL_FILE) chunks.push(chunk as Buffer);
      });
      stream.on('end', () => {
        if (name === MODEL_FILE) found = Buffer.concat(chunks);
        next();
      });
      stream.resume();
    });
    tar.on('finish', resolve);
    tar.on('error', reject);
  });
  const gunzip = createGunzip();
  const failed = new Promise<never>((_, reject) => gunzip.on('error', reject));
  Readable.from([Buffer.from(bytes)])
    .pipe(gunzip)
    .pipe(tar);
  try {
    await Promise.race([done, failed]);
  } catch (error) {
    throw new ArtifactIntegrityError(`the artifact is not a readable .tar.gz: ${(error as Error).message}`);
  }
  if (!found) {
    throw new ArtifactIntegrityError(
      `the .tar.gz holds no ${MODEL_FILE} at its root (entries: ${entries.slice(0, 10).join(', ') || 'none'})`,
    );
  }
  return found;
}

/** Fetches, verifies and unpacks an artifact. */
export async function readVerifiedModelBytes(
  source: ArtifactSource,
  artifact: ArtifactRef,
): Promise<Uint8Array> {
  const bytes = await source.fetch(artifact.uri);
  const actual = sha256Hex(bytes);
  if (actual !== artifact.sha256) {
    throw new ArtifactIntegrityError(
      `artifact ${artifact.uri} changed since registration: sha256 ${actual} instead of ${artifact.sha256}`,
    );
  }
  return unpackArtifact(bytes);
}
