import { expect } from 'vitest';
import { ApiError } from '../../lambdas/domain/kernel/errors.js';

/** The typed API error `promise` rejects with; fails the test if it resolves or rejects otherwise. */
export async function errorOf(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}
