/** Reads a required setting once at cold start; fails loudly rather than defaulting. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`Missing required environment variable ${name}: the stack sets it on every function.`);
  }
  return value;
}
