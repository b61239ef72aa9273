import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadBucketCommand,
  ListObjectsV2Command,
  NoSuchBucket,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import type { ObjectStore, ObjectSummary } from '../domain/kernel/ports.js';

function location(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) throw new Error(`not an s3:// URI: ${uri}`);
  return { bucket: match[1] as string, key: match[2] as string };
}

/** Objects on S3 by `s3://bucket/key` URI: datasets, baselines, capture files, reports. */
export class S3ObjectStore implements ObjectStore {
  constructor(private readonly s3: S3Client) {}

  async getText(uri: string): Promise<string | undefined> {
    const body = await this.body(uri);
    return body === undefined ? undefined : ((await body?.transformToString('utf8')) ?? '');
  }

  async getStream(uri: string): Promise<AsyncIterable<Uint8Array> | undefined> {
    const body = await this.body(uri);
    if (body === undefined) return undefined;
    // In Node the SDK's body is an http.IncomingMessage: a Readable, so async-iterable.
    return (body as AsyncIterable<Uint8Array> | null) ?? (async function* () {})();
  }

  /** The GetObject body (null when the answer has none), or undefined when there is no such object. */
  private async body(uri: string): Promise<GetObjectCommandOutput['Body'] | null | undefined> {
    const { bucket, key } = location(uri);
    if (key === '' || key.endsWith('/')) return undefined;
    try {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return object.Body ?? null;
    } catch (error) {
      const missing =
        error instanceof NoSuchKey ||
        error instanceof NoSuchBucket ||
        (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404);
      if (missing) return undefined;
      throw error;
    }
  }

  async putText(
    uri: string,
    body: string,
    contentType: string,
    options: { kmsKeyId?: string } = {},
  ): Promise<void> {
    const { bucket, key } = location(uri);
    await this.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentType: contentType,
        ...(options.kmsKeyId ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: options.kmsKeyId } : {}),
      }),
    );
  }

  async putBytes(uri: string, body: Uint8Array, contentType: string): Promise<void> {
    const { bucket, key } = location(uri);
    await this.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }),
    );
  }

  async list(prefixUri: string): Promise<ObjectSummary[]> {
    const { bucket, key: prefix } = location(prefixUri);
    const out: ObjectSummary[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.s3.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        );
        for (const o of page.Contents ?? []) {
          if (o.Key) out.push({ uri: `s3://${bucket}/${o.Key}`, key: o.Key, size: o.Size ?? 0 });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (error) {
      if (error instanceof NoSuchBucket) return [];
      throw error;
    }
    return out;
  }

  async bucketExists(uri: string): Promise<boolean> {
    const { bucket } = location(uri);
    try {
      await this.s3.send(new HeadBucketCommand({ Bucket: bucket }));
      return true;
    } catch (error) {
      const status = error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
      // 403: the bucket exists but is not ours to read; writing there fails later with a reason.
      if (error instanceof NoSuchBucket || status === 404) return false;
      if (status === 403) return true;
      throw error;
    }
  }
}
