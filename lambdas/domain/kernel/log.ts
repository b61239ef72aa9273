/**
 * Port: structured logs. Domain code says what happened (a message and the fields that
 * identify it, such as event ids); the handlers hand in Powertools for AWS Lambda's Logger,
 * whose `info(message, fields)` has this shape. Never pass secrets, bodies or signatures.
 */
export interface Log {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** One JSON line per entry on stdout/stderr, for code run outside a handler (tools, tests). */
export const consoleLog: Log = {
  info: (message, fields) => console.log(JSON.stringify({ level: 'INFO', message, ...fields })),
  warn: (message, fields) => console.log(JSON.stringify({ level: 'WARN', message, ...fields })),
  error: (message, fields) => console.error(JSON.stringify({ level: 'ERROR', message, ...fields })),
};
