import type { MirrorMessage, MirrorQueue } from './mirror.js';

/**
 * How long the request path waits on the mirror, both attempts included, unless the invoke
 * function's settings say otherwise. SendMessage normally answers in tens of milliseconds; a
 * queue that has not answered in half a second is in trouble, and the caller has been
 * waiting for an answer that is already computed.
 */
export const DEFAULT_MIRROR_BUDGET_MS = 500;

/** At most one retry: a second attempt rescues a transient failure; more would only wait longer. */
const MAX_ATTEMPTS = 2;

export type MirrorDelivery =
  | {
      readonly delivered: true;
      readonly attempts: number;
      /** Why the first attempt failed, when the retry delivered. */
      readonly retriedAfter?: string;
    }
  | { readonly delivered: false; readonly attempts: number; readonly reason: string };

/**
 * Sends one mirror message within `budgetMs`: one deadline (AbortSignal.timeout) covers the
 * first attempt and the retry, and goes to the queue, whose SDK calls then give up their
 * connections. A failure that comes back before the deadline is retried once with the same
 * message (same eventId, so a copy that did arrive twice is dropped by the consumer's
 * event-id claim); the deadline itself is never retried. The wait ends at the deadline even
 * when the queue ignores the signal, so the request path's added time is bounded by the
 * budget whatever the queue does.
 *
 * Not delivered means *not known to be delivered*: a SendMessage aborted at the deadline may
 * still have reached SQS (the request was written, the answer had not come back), and the
 * copy may then be captured and compared after all while being counted as dropped.
 */
export async function sendWithinBudget(
  queue: MirrorQueue,
  message: MirrorMessage,
  budgetMs: number,
): Promise<MirrorDelivery> {
  const deadline = AbortSignal.timeout(budgetMs);
  let attempts = 0;
  let lastError: unknown;
  while (attempts < MAX_ATTEMPTS && !deadline.aborted) {
    attempts++;
    try {
      await untilAborted(queue.send(message, { abortSignal: deadline }), deadline);
      return attempts === 1
        ? { delivered: true, attempts }
        : { delivered: true, attempts, retriedAfter: messageOf(lastError) };
    } catch (error) {
      lastError = error;
    }
  }
  const reason = deadline.aborted
    ? `no answer from the mirror queue within the ${budgetMs} ms budget`
    : `the mirror queue failed: ${messageOf(lastError)}`;
  return { delivered: false, attempts, reason };
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Settles as `work` does, or rejects with the signal's reason as soon as it fires, whichever
 * comes first. `work` may settle later; its outcome is then ignored (never unhandled).
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
