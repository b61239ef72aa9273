import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
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

/** The invocation context lambdaContext has not yet handed to its logger (see there). */
const pendingContexts = new WeakMap<Logger, { context: Context | undefined }>();

export function functionLogger(serviceName: string): FunctionLogging {
  const logger = new Logger({ serviceName });
  const pending: { context: Context | undefined } = { context: undefined };
  pendingContexts.set(logger, pending);
  const withContext = () => {
    if (pending.context !== undefined) {
      logger.addContext(pending.context);
      pending.context = undefined;
    }
    return logger;
  };
  const log: Log = {
    info: (message, fields) => (fields ? withContext().info(message, fields) : withContext().info(message)),
    warn: (message, fields) => (fields ? withContext().warn(message, fields) : withContext().warn(message)),
    error: (message, fields) =>
      fields ? withContext().error(message, fields) : withContext().error(message),
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
 * buffer) have nothing to do. Handing the context to the logger (`addContext`, ~1.5 µs: it
 * reads the environment) waits for the invocation's first line through `log`; most invocations
 * write none. The first invocation hands it at once, as it takes the process's cold-start flag.
 */
export function lambdaContext<Event, Result>(logger: Logger): MiddlewareObj<Event, Result> {
  const pending = pendingContexts.get(logger);
  if (!pending || process.env.POWERTOOLS_LOGGER_SAMPLE_RATE || process.env.AWS_LAMBDA_MAX_CONCURRENCY) {
    return injectLambdaContext(logger) as MiddlewareObj<Event, Result>;
  }
  let first = true;
  return {
    before: (request) => {
      if (first || logger.shouldLogEvent()) {
        first = false;
        pending.context = undefined;
        logger.addContext(request.context);
        logger.logEventIfEnabled(request.event);
      } else {
        pending.context = request.context;
      }
    },
  };
}
