import {
  GetObjectCommand,
  HeadObjectCommand,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { parseS3Uri } from '../domain/kernel/artifact.js';
import type { CaptureSink } from '../domain/mirroring/mirror-batch.js';
import type { ReportSink } from '../domain/shadow-tests/comparison-recorder.js';

/** Writes capture files to S3 (SSE-KMS when the capture config names a key). */
export class S3CaptureSink implements CaptureSink {
  constructor(private readonly s3: S3Client) {}

  async write(location: { bucket: string; key: string }, body: string, kmsKeyId?: string): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: location.bucket,
        Key: location.key,
        Body: body,
        ContentType: 'application/jsonlines',
        ...(kmsKeyId ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: kmsKeyId } : {}),
      }),
    );
  }

  async exists(uri: string): Promise<boolean> {
    const location = parseS3Uri(uri);
    if (!location) return false;
    try {
      await this.s3.send(new HeadObjectCommand({ Bucket: location.bucket, Key: location.key }));
      return true;
    } catch (error) {
      if (
        error instanceof NotFound ||
        (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404
      )
        return false;
      throw error;
    }
  }

  async readSpilled(uri: string): Promise<string | undefined> {
    const location = parseS3Uri(uri);
    if (!location) return undefined;
    try {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
      return await object.Body?.transformToString('utf8');
    } catch (error) {
      if (error instanceof NoSuchKey) return undefined;
      throw error;
    }
  }
}

/** Writes shadow reports as JSON under `shadow-reports/` in the platform's bucket. */
export class S3ReportSink implements ReportSink {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  uriFor(comparisonId: string, shadowVariant: string): string {
    return `s3://${this.bucket}/shadow-reports/${comparisonId}/${shadowVariant}/report.json`;
  }

  async write(uri: string, report: unknown): Promise<void> {
    const location = parseS3Uri(uri);
    if (!location) throw new Error(`not an s3:// URI: ${uri}`);
    await this.s3.send(
      new PutObjectCommand({
        Bucket: location.bucket,
        Key: location.key,
        Body: JSON.stringify(report, null, 2),
        ContentType: 'application/json',
      }),
    );
  }
}
