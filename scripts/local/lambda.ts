/**
 * Running a handler module the way Lambda's Node.js runtime does: one module instance per
 * function (warm across invocations), a context object per invocation, and the function's
 * timeout enforced on the result.
 */
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { Deadline, DeadlineQueue } from '../../lambdas/shared/deadline-queue.js';

export type Handler = (
  event: unknown,
  context: Context,
  callback?: (error?: unknown, result?: unknown) => void,
) => unknown;

export interface FunctionIdentity {
  /** Physical function name. */
  readonly functionName: string;
  readonly region: string;
  readonly accountId: string;
  readonly memorySizeMb: number;
  readonly timeoutSeconds: number;
}

export function functionArn(fn: Pick<FunctionIdentity, 'functionName' | 'region' | 'accountId'>): string {
  return `arn:aws:lambda:${fn.region}:${fn.accountId}:function:${fn.functionName}`;
}

function unsupported(): never {
  throw new Error('context.done/succeed/fail are not supported: return a value or a promise');
}

/** What every invocation of one function shares: Lambda fixes these when it starts the environment. */
interface FunctionConstants {
  readonly arn: string;
  readonly memoryLimitInMB: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
}
const constants = new WeakMap<FunctionIdentity, FunctionConstants>();

function constantsOf(fn: FunctionIdentity, startedAt: number): FunctionConstants {
  let found = constants.get(fn);
  if (!found) {
    // One log stream per execution environment, named after the day it started.
    const day = new Date(startedAt).toISOString().slice(0, 10).replaceAll('-', '/');
    found = {
      arn: functionArn(fn),
      memoryLimitInMB: String(fn.memorySizeMb),
      logGroupName: `/aws/lambda/${fn.functionName}`,
      logStreamName: `${day}/[$LATEST]local`,
    };
    constants.set(fn, found);
  }
  return found;
}

/**
 * The context object: a class, so that an invocation makes one object and no closures (the
 * local platform serves thousands of invocations a second; see issue 16).
 */
class LocalLambdaContext implements Context {
  callbackWaitsForEmptyEventLoop = true;
  readonly functionName: string;
  readonly functionVersion = '$LATEST';
  readonly invokedFunctionArn: string;
  readonly memoryLimitInMB: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
  readonly #deadline: number;
  readonly #now: () => number;
  #requestId: string | undefined;

  constructor(fn: FunctionIdentity, requestId: string | undefined, startedAt: number, now: () => number) {
    const shared = constantsOf(fn, startedAt);
    this.functionName = fn.functionName;
    this.invokedFunctionArn = shared.arn;
    this.memoryLimitInMB = shared.memoryLimitInMB;
    this.#requestId = requestId;
    this.logGroupName = shared.logGroupName;
    this.logStreamName = shared.logStreamName;
    this.#deadline = startedAt + fn.timeoutSeconds * 1000;
    this.#now = now;
  }

  /** Made when first read: most invocations that answer never read it. */
  get awsRequestId(): string {
    this.#requestId ??= randomUUID();
    return this.#requestId;
  }

  getRemainingTimeInMillis(): number {
    return Math.max(0, this.#deadline - this.#now());
  }

  done(): never {
    return unsupported();
  }

  fail(): never {
    return unsupported();
  }

  succeed(): never {
    return unsupported();
  }
}

/** The context object Lambda passes as the handler's second argument. */
export function createLambdaContext(
  fn: FunctionIdentity,
  options: { requestId?: string; startedAt?: number; now?: () => number } = {},
): Context {
  const now = options.now ?? Date.now;
  return new LocalLambdaContext(fn, options.requestId, options.startedAt ?? now(), now);
}

export class LambdaTimeoutError extends Error {
  constructor(seconds: number) {
    super(`Task timed out after ${seconds.toFixed(2)} seconds`);
    this.name = 'LambdaTimeoutError';
  }
}

/** One invocation until it settles: with its result, its error, or a timeout error. */
class Invocation extends Deadline<unknown> {
  constructor(
    deadline: number,
    readonly timeoutMs: number,
  ) {
    super(deadline);
  }
}

/**
 * Invokes handlers and settles each invocation with its result, its error, or a timeout error
 * once the function's timeout has passed (the handler itself cannot be stopped and runs on).
 * Callback-style handlers (three parameters) are supported. `idle()` waits for every
 * invocation in flight (the runtime's stop). Timeouts share one timer (DeadlineQueue): a
 * timer per invocation cost more than the rest of the local invocation path together.
 */
export class Invocations {
  private readonly deadlines = new DeadlineQueue<Invocation>(
    (invocation) => this.timeOut(invocation),
    () => this.becameIdle(),
  );
  private idleWaiters: (() => void)[] = [];

  run(handler: Handler, event: unknown, context: Context): Promise<unknown> {
    const timeoutMs = context.getRemainingTimeInMillis();
    const invocation = new Invocation(Date.now() + timeoutMs, timeoutMs);
    this.deadlines.watch(invocation);
    if (handler.length < 3) {
      this.settleWith(invocation, handler, event, context);
    } else {
      const callback = (error?: unknown, result?: unknown) => this.settle(invocation, error, result);
      try {
        const returned = handler(event, context, callback);
        if (returned && typeof (returned as Promise<unknown>).then === 'function') {
          (returned as Promise<unknown>).then((result) => callback(null, result), callback);
        }
      } catch (error) {
        callback(error);
      }
    }
    return invocation.promise;
  }

  /** Resolves once no invocation is in flight. */
  idle(): Promise<void> {
    if (this.deadlines.inFlight === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** A promise-style (or synchronous) handler: awaited here, so an invocation makes no closures. */
  private async settleWith(
    invocation: Invocation,
    handler: Handler,
    event: unknown,
    context: Context,
  ): Promise<void> {
    try {
      this.settle(invocation, undefined, await handler(event, context));
    } catch (error) {
      this.settle(invocation, error ?? new Error(String(error)), undefined);
    }
  }

  private settle(invocation: Invocation, error: unknown, result: unknown): void {
    const failed = error !== undefined && error !== null;
    this.deadlines.settle(invocation, !failed, failed ? error : result);
  }

  private timeOut(invocation: Invocation): void {
    this.settle(invocation, new LambdaTimeoutError(invocation.timeoutMs / 1000), undefined);
  }

  private becameIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

const standalone = new Invocations();

/** Invokes one handler as Lambda would (see Invocations), outside a runtime. */
export function invokeHandler(handler: Handler, event: unknown, context: Context): Promise<unknown> {
  return standalone.run(handler, event, context);
}

/** Imports a handler module (TypeScript, through tsx) and returns its `handler` export. */
export async function loadHandler(
  projectRoot: string,
  entry: string,
  exportName = 'handler',
): Promise<Handler> {
  const module = (await import(pathToFileURL(path.resolve(projectRoot, entry)).href)) as Record<
    string,
    unknown
  >;
  const handler = module[exportName];
  if (typeof handler !== 'function')
    throw new Error(`${entry} does not export a function named ${exportName}`);
  return handler as Handler;
}

/** Lambda's error payload for a failed invocation. */
export function errorPayload(error: unknown): { errorType: string; errorMessage: string } {
  if (error instanceof Error) return { errorType: error.name || 'Error', errorMessage: error.message };
  return { errorType: 'Error', errorMessage: String(error) };
}
