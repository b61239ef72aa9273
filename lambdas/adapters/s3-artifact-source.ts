import {
  GetObjectCommand,
  NoSuchBucket,
  NoSuchKey,
  type S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { ArtifactNotFoundError, type ArtifactSource, parseS3Uri } from '../domain/kernel/artifact.js';

/** Reads model artifacts from S3. */
export class S3ArtifactSource implements ArtifactSource {
  constructor(private readonly s3: S3Client) {}

  async fetch(uri: string): Promise<Uint8Array> {
    const location = parseS3Uri(uri);
    if (!location) throw new ArtifactNotFoundError(uri);
    try {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
      if (!object.Body) throw new ArtifactNotFoundError(uri);
      return await object.Body.transformToByteArray();
    } catch (error) {
      const missing =
        error instanceof NoSuchKey ||
        error instanceof NoSuchBucket ||
        (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404);
      if (missing) throw new ArtifactNotFoundError(uri, { cause: error });
      throw error;
    }
  }
}
