import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { type GlobalOptions, resolveConnection, UnderstudyClient } from './client.js';
import { CliError, EXIT } from './errors.js';
import { type Io, Output } from './output.js';

/** What every command gets: the streams, the output in the chosen mode, and the client. */
export interface Cli {
  readonly io: Io;
  /** The output for the command being run (its --json is a global option). */
  output(command: Command): Output;
  /** The client for the command being run, built from the global options and the environment. */
  client(command: Command): UnderstudyClient;
}

function globalsOf(command: Command): GlobalOptions & { json?: boolean } {
  return command.optsWithGlobals() as GlobalOptions & { json?: boolean };
}

export function createCli(io: Io): Cli {
  const clients = new Map<string, UnderstudyClient>();
  return {
    io,
    output: (command) => new Output(io, Boolean(globalsOf(command).json)),
    client(command) {
      const options = globalsOf(command);
      const key = JSON.stringify(options);
      let client = clients.get(key);
      if (!client) {
        client = new UnderstudyClient(resolveConnection(options, io.env));
        clients.set(key, client);
      }
      return client;
    },
  };
}

/** A file's bytes, or stdin's when the file is `-` or absent. */
export async function readInput(io: Io, file: string | undefined): Promise<Buffer> {
  if (file === undefined || file === '-') return io.readStdin();
  try {
    return readFileSync(path.resolve(io.cwd, file));
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`, EXIT.usage);
  }
}

/** `KEY=VALUE` pairs (hyperparameters, metadata) as a record. */
export function keyValues(pairs: readonly string[] | undefined, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CliError(`${what} must be KEY=VALUE, got '${pair}'`, EXIT.usage);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

export const collect = (value: string, previous: string[] = []) => [...previous, value];

export function positiveNumber(value: string, what: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new CliError(`${what} must be a non-negative number, got '${value}'`, EXIT.usage);
  return n;
}

/** Polls `step` until it says done, or fails with EXIT.waitFailed after `timeoutSeconds`. */
export async function waitFor<T>(
  step: () => Promise<{ done: boolean; value: T; status?: string }>,
  options: { timeoutSeconds: number; intervalMs?: number; what: string; onStatus?: (status: string) => void },
): Promise<T> {
  const started = Date.now();
  for (;;) {
    const { done, value, status } = await step();
    if (status) options.onStatus?.(status);
    if (done) return value;
    if (Date.now() - started > options.timeoutSeconds * 1000) {
      throw new CliError(
        `timed out after ${options.timeoutSeconds} s waiting for ${options.what}${status ? ` (last status ${status})` : ''}`,
        EXIT.waitFailed,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 1000));
  }
}
