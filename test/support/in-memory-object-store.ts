import type { ObjectStore, ObjectSummary } from '../../lambdas/domain/kernel/ports.js';

const STREAM_CHUNK = 4096;

/**
 * An ObjectStore in memory, for tests and tools. A bucket exists when it is named in
 * `buckets` or holds an object; without `buckets`, every bucket exists.
 */
export class InMemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, { body: string; contentType: string; kmsKeyId?: string }>();

  constructor(private readonly buckets?: readonly string[]) {}

  async bucketExists(uri: string): Promise<boolean> {
    const bucket = /^s3:\/\/([^/]+)/.exec(uri)?.[1] ?? '';
    if (!this.buckets) return true;
    return (
      this.buckets.includes(bucket) || [...this.objects.keys()].some((u) => u.startsWith(`s3://${bucket}/`))
    );
  }

  async getText(uri: string): Promise<string | undefined> {
    return this.objects.get(uri)?.body;
  }

  /** The text's UTF-8 bytes in small chunks (so readers meet lines cut between chunks, as on S3). */
  async getStream(uri: string): Promise<AsyncIterable<Uint8Array> | undefined> {
    const body = this.objects.get(uri)?.body;
    if (body === undefined) return undefined;
    const bytes = Buffer.from(body, 'utf8');
    return (async function* () {
      for (let from = 0; from < bytes.length; from += STREAM_CHUNK)
        yield bytes.subarray(from, from + STREAM_CHUNK);
    })();
  }

  async putText(
    uri: string,
    body: string,
    contentType: string,
    options: { kmsKeyId?: string } = {},
  ): Promise<void> {
    this.objects.set(uri, { body, contentType, ...(options.kmsKeyId && { kmsKeyId: options.kmsKeyId }) });
  }

  /** Binary objects (model.tar.gz), apart from the text ones. */
  readonly binaries = new Map<string, Uint8Array>();

  async putBytes(uri: string, body: Uint8Array): Promise<void> {
    this.binaries.set(uri, body);
  }

  async list(prefixUri: string): Promise<ObjectSummary[]> {
    const bucket = /^s3:\/\/([^/]+)/.exec(prefixUri)?.[1] ?? '';
    return [...this.objects.keys()]
      .filter((uri) => uri.startsWith(prefixUri))
      .sort()
      .map((uri) => ({
        uri,
        key: uri.slice(`s3://${bucket}/`.length),
        size: Buffer.byteLength(this.objects.get(uri)?.body ?? ''),
      }));
  }
}
