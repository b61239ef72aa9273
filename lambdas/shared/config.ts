/** Reads a required setting once at cold start; fails loudly rather than defaulting. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`Missing required environment variable ${name}: the stack sets it on every function.`);
  }
  return value;
}

/**
 * Reads an optional whole number of milliseconds once at cold start: unset (or empty) gives
 * `fallback`; anything but a positive integer fails loudly rather than being guessed at.
 */
export function millisecondsEnv(name: string, fallback: number): number {
  return positiveIntegerEnv(name, fallback, 'milliseconds');
}

/**
 * Reads an optional positive whole number (of `unit`) once at cold start: unset (or empty)
 * gives `fallback`; anything else fails loudly rather than being guessed at.
 */
export function positiveIntegerEnv(name: string, fallback: number, unit: string): number {
  const value = process.env[name];
  if (value === undefined || value.trim() === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    throw new Error(
      `Environment variable ${name} must be a positive whole number of ${unit}; got "${value}".`,
    );
  }
  return n;
}

/**
 * Reads a required comma-separated list once at cold start: the variable must be set (the
 * stack always sets it), and may be empty, meaning none.
 */
export function listEnv(name: string): string[] {
  const value = process.env[name];
  if (value === undefined) {
    throw new Error(
      `Missing required environment variable ${name}: the stack sets it on every function that reads it.`,
    );
  }
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
