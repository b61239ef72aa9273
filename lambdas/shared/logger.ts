import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { MiddlewareObj } from '@middy/core';
import type { Log } from '../domain/kernel/log.js';

/**
 * The structured logger of a function: Powertools for AWS Lambda's Logger (JSON lines with
 * level, timestamp, service, and the invocation's request id once its middy middleware
 * `injectLambdaContext` runs), and the domain's Log port over it. Its level comes from
 * POWERTOOLS_LOG_LEVEL (default INFO). Nothing logs events, bodies, signatures or secrets.
 */
export interface FunctionLogging {
  /** For the `injectLambdaContext` middleware. */
  readonly logger: Logger;
  /** What the handler and the domain log through. */
  readonly log: Log;
}

export function functionLogger(serviceName: string): FunctionLogging {
  const logger = new Logger({ serviceName });
  const log: Log = {
    info: (message, fields) => (fields ? logger.info(message, fields) : logger.info(message)),
    warn: (message, fields) => (fields ? logger.warn(message, fields) : logger.warn(message)),
    error: (message, fields) => (fields ? logger.error(message, fields) : logger.error(message)),
  };
  return { logger, log };
}

/**
 * What Powertools' `injectLambdaContext` middleware does for a logger of {@link functionLogger},
 * at a fraction of its cost on the data plane's hot path: the invocation's context (request id,
 * function, cold start) goes into every line, and the event is logged when
 * POWERTOOLS_LOGGER_LOG_EVENT asks for it. The middleware also re-draws debug-log sampling and
 * resets the log level on every invocation (~1.5 µs, Node 20), and scopes that state per
 * invocation when Lambda runs invocations concurrently; that is needed only when sampling is
 * configured (POWERTOOLS_LOGGER_SAMPLE_RATE) or invocations are concurrent
 * (AWS_LAMBDA_MAX_CONCURRENCY), and then the middleware itself is used. Nothing here changes
 * the level, and functionLogger's loggers buffer nothing, so its after/onError (clearing the
 * buffer) have nothing to do.
 */
export function lambdaContext<Event, Result>(logger: Logger): MiddlewareObj<Event, Result> {
  if (process.env.POWERTOOLS_LOGGER_SAMPLE_RATE || process.env.AWS_LAMBDA_MAX_CONCURRENCY) {
    return injectLambdaContext(logger) as MiddlewareObj<Event, Result>;
  }
  return {
    before: (request) => {
      logger.addContext(request.context);
      logger.logEventIfEnabled(request.event);
    },
  };
}
