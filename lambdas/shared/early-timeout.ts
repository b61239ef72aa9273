import type { Context } from 'aws-lambda';
import { Deadline, DeadlineQueue } from './deadline-queue.js';

/**
 * How long before the function's timeout a request still in flight is failed: enough for
 * its error answer and its metrics to be written before Lambda stops the process. middy's
 * default, which this replaces on the data plane.
 */
export const EARLY_TIMEOUT_MARGIN_MS = 5;

/** What a request that ran into its function's timeout fails with (answered as a 500 and counted as a 5XX). */
export class EarlyTimeoutError extends Error {
  constructor(marginMs: number) {
    super(`The invocation was stopped ${marginMs} ms before its function's timeout.`);
    this.name = 'TimeoutError';
  }
}

/**
 * Fails a request that is about to outlive its function's timeout, so that the caller gets a
 * typed error and the metrics count it, where Lambda would only cut the process off: middy's
 * `timeoutEarly`, for the data plane. middy arms and clears a timer of its own on every
 * invocation, which cost about 2.5 µs of the handler's 25 (issue 16, `npm run bench --
 * inference`); here the requests in flight share one timer (DeadlineQueue). The work itself
 * runs on, as it does under middy: nothing can stop it.
 *
 * The data plane's middy is built with `timeoutEarlyInMillis: 0`, and its handler body runs
 * inside `race`, where middy would have raced it: the error goes through the same onError
 * middlewares (the API error, the 5XX metric).
 */
export class EarlyTimeout {
  private readonly deadlines = new DeadlineQueue<Deadline<unknown>>((race) =>
    this.deadlines.settle(race, false, new EarlyTimeoutError(this.marginMs)),
  );

  constructor(private readonly marginMs = EARLY_TIMEOUT_MARGIN_MS) {}

  /**
   * The work's own outcome, or EarlyTimeoutError once the context has `marginMs` left. A
   * context without a clock (a test's plain object) leaves the work unwatched, as middy does.
   */
  race<T>(work: Promise<T>, context: Pick<Context, 'getRemainingTimeInMillis'>): Promise<T> {
    if (typeof context.getRemainingTimeInMillis !== 'function') return work;
    const race = new Deadline<T>(Date.now() + context.getRemainingTimeInMillis() - this.marginMs);
    this.deadlines.watch(race as Deadline<unknown>);
    this.follow(race as Deadline<unknown>, work);
    return race.promise;
  }

  /** Awaited here rather than with then(): a request makes no closures for it. */
  private async follow(race: Deadline<unknown>, work: Promise<unknown>): Promise<void> {
    try {
      this.deadlines.settle(race, true, await work);
    } catch (error) {
      this.deadlines.settle(race, false, error);
    }
  }
}
