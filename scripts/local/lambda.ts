/**
 * Running a handler module the way Lambda's Node.js runtime does: one module instance per
 * function (warm across invocations), a context object per invocation, and the function's
 * timeout enforced on the result.
 */
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';

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

const unsupported = () => {
  throw new Error('context.done/succeed/fail are not supported: return a value or a promise');
};

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

/** The context object Lambda passes as the handler's second argument. */
export function createLambdaContext(
  fn: FunctionIdentity,
  options: { requestId?: string; startedAt?: number; now?: () => number } = {},
): Context {
  const now = options.now ?? Date.now;
  const startedAt = options.startedAt ?? now();
  const deadline = startedAt + fn.timeoutSeconds * 1000;
  const shared = constantsOf(fn, startedAt);
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: fn.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: shared.arn,
    memoryLimitInMB: shared.memoryLimitInMB,
    awsRequestId: options.requestId ?? randomUUID(),
    logGroupName: shared.logGroupName,
    logStreamName: shared.logStreamName,
    getRemainingTimeInMillis: () => Math.max(0, deadline - now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

export class LambdaTimeoutError extends Error {
  constructor(seconds: number) {
    super(`Task timed out after ${seconds.toFixed(2)} seconds`);
    this.name = 'LambdaTimeoutError';
  }
}

/**
 * Invokes a handler and settles with its result, its error, or a timeout error once the
 * function's timeout has passed (the handler itself cannot be stopped and runs on).
 * Callback-style handlers (three parameters) are supported.
 */
export function invokeHandler(handler: Handler, event: unknown, context: Context): Promise<unknown> {
  const timeoutMs = context.getRemainingTimeInMillis();
  // One promise settled by whichever comes first: the handler's result or error, or the timeout.
  return new Promise<unknown>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      reject(new LambdaTimeoutError(timeoutMs / 1000));
    }, timeoutMs);
    const callback = (error?: unknown, result?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error !== undefined && error !== null) reject(error);
      else resolve(result);
    };
    try {
      const returned = handler(event, context, callback);
      if (handler.length < 3 || (returned && typeof (returned as Promise<unknown>).then === 'function')) {
        Promise.resolve(returned).then((result) => callback(null, result), callback);
      }
    } catch (error) {
      callback(error);
    }
  });
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
