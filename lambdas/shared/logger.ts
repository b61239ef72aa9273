import { Logger } from '@aws-lambda-powertools/logger';
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
