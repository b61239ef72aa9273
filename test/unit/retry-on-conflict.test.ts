import { describe, expect, it } from 'vitest';
import {
  RecordExistsError,
  retryOnConflict,
  VersionConflictError,
} from '../../lambdas/domain/kernel/store.js';

describe('retryOnConflict', () => {
  const noSleep = { sleep: async () => undefined };

  it('tries again after a version conflict or a taken id, until the write goes through', async () => {
    const errors = [new VersionConflictError('C', 'x'), new RecordExistsError('C', 'x')];
    const seen: number[] = [];
    const result = await retryOnConflict(async (n) => {
      seen.push(n);
      const error = errors[n];
      if (error) throw error;
      return 'written';
    }, noSleep);
    expect(result).toBe('written');
    expect(seen).toEqual([0, 1, 2]);
  });

  it('gives up with the conflict after maxAttempts', async () => {
    let calls = 0;
    const attempt = retryOnConflict(
      async () => {
        calls++;
        throw new VersionConflictError('C', 'x');
      },
      { ...noSleep, maxAttempts: 4 },
    );
    await expect(attempt).rejects.toBeInstanceOf(VersionConflictError);
    expect(calls).toBe(4);
  });

  it('does not retry other errors', async () => {
    let calls = 0;
    const attempt = retryOnConflict(async () => {
      calls++;
      throw new Error('network');
    }, noSleep);
    await expect(attempt).rejects.toThrow('network');
    expect(calls).toBe(1);
  });

  it('backs off exponentially with full jitter, capped', async () => {
    const delays: number[] = [];
    await retryOnConflict(
      async (n) => {
        if (n < 6) throw new VersionConflictError('C', 'x');
      },
      { baseDelayMs: 10, maxDelayMs: 100, random: () => 0.5, sleep: async (ms) => void delays.push(ms) },
    );
    expect(delays).toEqual([5, 10, 20, 40, 50, 50]);
  });
});
