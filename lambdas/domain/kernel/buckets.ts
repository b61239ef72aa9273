import { ValidationException } from './errors.js';
import type { Shape } from './shape-validator.js';

/**
 * Which buckets requests may name (model artifacts, capture destinations, job inputs and
 * outputs): the platform's own, and those an operator allows (UNDERSTUDY_ALLOWED_BUCKETS).
 * Anything else is refused before it is recorded: a model read from, or captured traffic
 * written to, a bucket nobody meant would otherwise fail later, or worse, succeed.
 */
export class BucketPolicy {
  private readonly allowed: ReadonlySet<string>;

  constructor(platformBucket: string, others: readonly string[] = []) {
    this.allowed = new Set([platformBucket, ...others]);
  }

  /** Reads the allowed list as the environment gives it: bucket names separated by commas or spaces. */
  static parseList(value: string | undefined): string[] {
    return (value ?? '').split(/[\s,]+/).filter((name) => name !== '');
  }

  /** Throws ValidationException naming the first `s3://` URI outside the allowed buckets. */
  check(uris: readonly { path: string; value: string }[]): void {
    for (const { path, value } of uris) {
      const bucket = /^s3:\/\/([^/]+)/i.exec(value)?.[1];
      if (bucket !== undefined && !this.allowed.has(bucket)) {
        throw new ValidationException(
          `Value '${value.slice(0, 200)}' at '${path}' names bucket ${bucket}, which this platform does not use: ` +
            `allowed are ${[...this.allowed].sort().join(', ')} (set UNDERSTUDY_ALLOWED_BUCKETS to allow others).`,
        );
      }
    }
  }
}

/** Whether a service-model string shape holds an S3 URI (S3Uri, Url, DestinationS3Uri, ...): by its pattern. */
export function isS3UriShape(shape: Shape): boolean {
  return shape.pattern !== undefined && /^\^?\(https\|s3\):\/\//.test(shape.pattern);
}
