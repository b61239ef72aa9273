import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { functionLogger, lambdaContext } from '../../lambdas/shared/logger.js';

const context = (requestId: string) =>
  ({
    awsRequestId: requestId,
    functionName: 'understudy-invoke',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:understudy-invoke',
    memoryLimitInMB: '1024',
  }) as Context;

/** The JSON lines a handler logs over four invocations, timestamps left out. */
async function linesWith(
  middleware: (logging: ReturnType<typeof functionLogger>) => MiddlewareObj<{ n: number }>,
) {
  const logging = functionLogger('logger-test');
  const handler = middy<{ n: number }>()
    .use(middleware(logging))
    .handler(async (event: { n: number }) => {
      // The third invocation writes nothing: the fourth's lines must still carry their own context.
      if (event.n !== 3) logging.log.info('answered', { n: event.n });
      if (event.n === 2) logging.log.error('failed', { n: event.n });
      return event.n;
    });
  const written: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    written.push(String(chunk));
    return true;
  });
  const errors = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    written.push(String(chunk));
    return true;
  });
  try {
    for (const n of [1, 2, 3, 4]) await handler({ n }, context(`request-${n}`));
  } finally {
    spy.mockRestore();
    errors.mockRestore();
  }
  return written
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => {
      const { timestamp, ...fields } = JSON.parse(line) as Record<string, unknown>;
      expect(typeof timestamp).toBe('string');
      return fields;
    });
}

describe('lambdaContext', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('logs the same fields as Powertools injectLambdaContext', async () => {
    const expected = await linesWith(({ logger }) => injectLambdaContext(logger));
    const actual = await linesWith(({ logger }) => lambdaContext(logger));
    expect(expected.map((line) => line.function_request_id)).toEqual([
      'request-1',
      'request-2',
      'request-2',
      'request-4',
    ]);
    // Cold start is one flag per process (the first test here takes it), so both read false.
    expect(expected.map((line) => [line.function_name, line.cold_start, line.level])).toEqual([
      ['understudy-invoke', false, 'INFO'],
      ['understudy-invoke', false, 'INFO'],
      ['understudy-invoke', false, 'ERROR'],
      ['understudy-invoke', false, 'INFO'],
    ]);
    expect(actual).toEqual(expected);
  });

  it('logs the event when POWERTOOLS_LOGGER_LOG_EVENT says so, as the middleware does', async () => {
    vi.stubEnv('POWERTOOLS_LOGGER_LOG_EVENT', 'true');
    const expected = await linesWith(({ logger }) => injectLambdaContext(logger));
    const actual = await linesWith(({ logger }) => lambdaContext(logger));
    expect(expected.filter((line) => line.message === 'Lambda invocation event')).toHaveLength(4);
    expect(actual).toEqual(expected);
  });

  it('is the Powertools middleware itself when debug sampling is configured', () => {
    vi.stubEnv('POWERTOOLS_LOGGER_SAMPLE_RATE', '0.5');
    const { logger } = functionLogger('logger-test');
    expect(Object.keys(lambdaContext(logger)).sort()).toEqual(['after', 'before', 'onError']);
  });
});
