/**
 * The embedded AWS emulator: moto server on 127.0.0.1:4566 (LocalStack's port, so a user
 * running LocalStack there gets it reused unchanged).
 *
 *   tsx scripts/moto.ts install|start|stop|reset|status [--port N]     (or MOTO_PORT)
 *
 * `start` reuses an emulator already answering on the port, otherwise launches moto from the
 * project's `.venv` (`scripts/python-env.ts` makes it from `requirements.txt`) through
 * `scripts/local/moto-server.py`, which makes its
 * DynamoDB and each SQS queue atomic under concurrent requests and its KMS keys stable across
 * restarts. It runs
 * detached in its own process group so a Ctrl-C in the terminal of whoever started it does
 * not kill it before they have saved their state.
 * Its pid goes to `.understudy/moto.pid` (`moto-<port>.pid` for other ports), its output to
 * `.understudy/moto.log`; `stop` only ever stops a moto recorded there.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensurePythonEnv, REQUIREMENTS, VENV } from './python-env.js';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_MOTO_PORT = 4566;
export const MOTO_HOST = '127.0.0.1';

export interface MotoOptions {
  /** @default MOTO_PORT or 4566 */
  readonly port?: number;
  /** Where the pid and log files go. @default <project>/.understudy */
  readonly workDir?: string;
  /** How long to wait for a starting server. @default 60 s */
  readonly timeoutMs?: number;
  /** Progress messages. @default console.log */
  readonly log?: (message: string) => void;
  /** Warnings (an emulator reused that may not be atomic). @default console.warn */
  readonly warn?: (message: string) => void;
  /**
   * Derive moto's KMS keys from a project-local seed, so that a key the stack creates again
   * after a restart can decrypt what the previous run encrypted. Only the KMS seeding: moto
   * always runs through the wrapper, whose locks correctness depends on. @default true
   */
  readonly stableKms?: boolean;
}

export interface MotoHandle {
  readonly endpoint: string;
  readonly port: number;
  /** False when an emulator was already answering on the port (then `stop` leaves it alone). */
  readonly startedByUs: boolean;
  readonly pid?: number;
  /** Stops the server if this call started it; otherwise does nothing. */
  stop(): Promise<void>;
}

export function motoEndpoint(port: number): string {
  return `http://${MOTO_HOST}:${port}`;
}

export function defaultMotoPort(): number {
  const fromEnv = process.env.MOTO_PORT;
  return fromEnv ? parsePort(fromEnv, 'MOTO_PORT') : DEFAULT_MOTO_PORT;
}

function parsePort(value: string, what: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${what}: not a port: ${value}`);
  return port;
}

function workDirOf(options: MotoOptions): string {
  return options.workDir ?? path.join(PROJECT_ROOT, '.understudy');
}

export function pidFile(port: number, workDir = path.join(PROJECT_ROOT, '.understudy')): string {
  return path.join(workDir, port === DEFAULT_MOTO_PORT ? 'moto.pid' : `moto-${port}.pid`);
}

export function logFile(port: number, workDir = path.join(PROJECT_ROOT, '.understudy')): string {
  return path.join(workDir, port === DEFAULT_MOTO_PORT ? 'moto.log' : `moto-${port}.log`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function answers(url: string, init?: RequestInit): Promise<boolean> {
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/** True when moto (or LocalStack) answers on the endpoint. */
export async function isEmulatorHealthy(endpoint: string): Promise<boolean> {
  return (await answers(`${endpoint}/moto-api/`)) || (await answers(`${endpoint}/_localstack/health`));
}

/** Whether anything at all listens on the port (to tell "busy with something else" apart). */
async function portAnswers(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(endpoint, { signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

/** The wrapper moto always runs through (atomic DynamoDB and SQS queues; stable KMS keys). */
export const MOTO_WRAPPER = path.join(PROJECT_ROOT, 'scripts', 'local', 'moto-server.py');

/** Whether the interpreter can import what the wrapper needs (moto with its server). */
function importsMoto(python: string): boolean {
  const probe = spawnSync(python, ['-c', 'import moto.server, moto.dynamodb.responses'], {
    stdio: 'ignore',
    timeout: 60_000,
  });
  return probe.status === 0;
}

/**
 * The interpreter moto runs under: the project's `.venv` (made from `requirements.txt` on
 * first use), whose pinned moto the wrapper was written against. Never a `moto_server` found
 * on PATH: its version is whatever was installed, and plain `moto_server` is not an option at
 * all, its DynamoDB loses updates under concurrency.
 */
export function motoPython(log: (message: string) => void = console.log): string {
  const python = ensurePythonEnv(log);
  if (importsMoto(python)) return python;
  throw new Error(
    `${python} cannot import moto.server: remove ${path.relative(PROJECT_ROOT, VENV)} to have it made again ` +
      `from ${path.relative(PROJECT_ROOT, REQUIREMENTS)}`,
  );
}

/** Whether the moto recorded in this project's pid file for the port runs through the wrapper. */
function recordedWrappedMoto(port: number, workDir: string): boolean {
  const pid = readPid(pidFile(port, workDir));
  if (pid === undefined || !isMotoProcess(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(path.basename(MOTO_WRAPPER));
  } catch {
    return false;
  }
}

/** A random per-project seed for the wrapper, kept in the work directory. */
function kmsSeed(workDir: string): string {
  const file = path.join(workDir, 'kms-seed');
  try {
    writeFileSync(file, randomBytes(32).toString('hex'), { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readFileSync(file, 'utf8').trim();
}

/** Clears all of moto's state (every service, every account and region). */
export async function resetMoto(endpoint: string): Promise<void> {
  const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status}`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Only pids whose command line still says moto (pids get reused). */
function isMotoProcess(pid: number): boolean {
  if (!processAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('moto');
  } catch {
    return true; // no /proc: trust the pid file
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function killAndWait(pid: number, timeoutMs = 10_000): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!processAlive(pid)) return;
    await sleep(50);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Stops the moto recorded in the pid file for this port, if it is still running. */
export async function stopMoto(options: MotoOptions = {}): Promise<boolean> {
  const port = options.port ?? defaultMotoPort();
  const file = pidFile(port, workDirOf(options));
  const pid = readPid(file);
  let stopped = false;
  if (pid !== undefined && isMotoProcess(pid)) {
    await killAndWait(pid);
    stopped = true;
  }
  rmSync(file, { force: true });
  return stopped;
}

/**
 * Makes sure an emulator answers on the port: reuses a running one, otherwise starts
 * moto_server and waits until it is healthy.
 */
export async function ensureMoto(options: MotoOptions = {}): Promise<MotoHandle> {
  const port = options.port ?? defaultMotoPort();
  const log = options.log ?? console.log;
  const warn = options.warn ?? console.warn;
  const endpoint = motoEndpoint(port);
  const workDir = workDirOf(options);
  const reused = (): MotoHandle => {
    if (!recordedWrappedMoto(port, workDir))
      warn(
        `warning: reusing the emulator already answering on ${endpoint}, which this project did not ` +
          `start through ${path.relative(PROJECT_ROOT, MOTO_WRAPPER)}: if it is plain moto, its DynamoDB ` +
          'may not be atomic under concurrency (conditional writes and transactions can lose updates) ' +
          'and its SQS may deliver a message twice or lose one. ' +
          'Stop it to have a correct one started.',
      );
    return { endpoint, port, startedByUs: false, stop: async () => {} };
  };
  if (await isEmulatorHealthy(endpoint)) return reused();
  if (await portAnswers(endpoint)) {
    throw new Error(`port ${port} is in use by something that is not moto or LocalStack`);
  }
  const python = motoPython(log);
  mkdirSync(workDir, { recursive: true });
  const logPath = logFile(port, workDir);
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  // An empty seed (not an inherited one) is what turns the KMS seeding off.
  const env = { UNDERSTUDY_KMS_SEED: options.stableKms === false ? '' : kmsSeed(workDir) };
  const started = await launch(python, [MOTO_WRAPPER, '-H', MOTO_HOST, '-p', String(port)], env, {
    port,
    workDir,
    logPath,
    deadline,
    endpoint,
  });
  if ('pid' in started) return { endpoint, port, startedByUs: true, ...started };
  // Someone else's moto may have won the port in the meantime.
  if (await isEmulatorHealthy(endpoint)) return reused();
  throw new Error(started.failure);
}

async function launch(
  command: string,
  args: string[],
  env: Record<string, string>,
  where: { port: number; workDir: string; logPath: string; deadline: number; endpoint: string },
): Promise<{ pid: number; stop: () => Promise<void> } | { failure: string }> {
  const out = openSync(where.logPath, 'a');
  const child = spawn(command, args, {
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, PYTHONUNBUFFERED: '1', ...env },
  });
  const pid = child.pid;
  if (pid === undefined) return { failure: `could not start ${command}` };
  let exited: string | undefined;
  child.on('exit', (code, signal) => {
    exited = signal ? `signal ${signal}` : `code ${code}`;
  });
  child.on('error', (error) => {
    exited = error.message;
  });
  child.unref();
  const file = pidFile(where.port, where.workDir);
  writeFileSync(file, `${pid}\n`);
  const stop = async () => {
    if (exited === undefined) await killAndWait(pid);
    if (readPid(file) === pid) rmSync(file, { force: true });
    // Logs of servers on throwaway ports (tests) would pile up; the default port's log stays.
    if (where.port !== DEFAULT_MOTO_PORT) rmSync(where.logPath, { force: true });
  };
  while (!(await isEmulatorHealthy(where.endpoint))) {
    if (exited !== undefined || Date.now() > where.deadline) {
      await stop();
      const tail = existsSync(where.logPath)
        ? readFileSync(where.logPath, 'utf8').split('\n').slice(-15).join('\n')
        : '';
      return {
        failure:
          `${path.basename(command)} ${exited ? `exited (${exited})` : 'did not become healthy'} ` +
          `on port ${where.port}; see ${where.logPath}:\n${tail}`,
      };
    }
    await sleep(100);
  }
  return { pid, stop };
}

/** Describes the emulator on the port: healthy or not, and whether we started it. */
export async function motoStatus(options: MotoOptions = {}): Promise<{
  endpoint: string;
  healthy: boolean;
  pid?: number;
}> {
  const port = options.port ?? defaultMotoPort();
  const endpoint = motoEndpoint(port);
  const pid = readPid(pidFile(port, workDirOf(options)));
  const ours = pid !== undefined && isMotoProcess(pid) ? pid : undefined;
  return { endpoint, healthy: await isEmulatorHealthy(endpoint), ...(ours ? { pid: ours } : {}) };
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  let port = defaultMotoPort();
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === '--port') port = parsePort(rest[++i] ?? '', '--port');
    else if (arg?.startsWith('--port=')) port = parsePort(arg.slice('--port='.length), '--port');
    else throw new Error(`unknown argument: ${arg}`);
  }
  switch (command) {
    case 'install': {
      // The project's .venv, moto included (what `scripts/python-env.ts` makes).
      console.log(`moto runs under ${motoPython()}`);
      return 0;
    }
    case 'start': {
      const moto = await ensureMoto({ port });
      console.log(
        moto.startedByUs
          ? `moto started on ${moto.endpoint} (pid ${moto.pid}, log ${logFile(port)})`
          : `an emulator is already running on ${moto.endpoint}`,
      );
      return 0;
    }
    case 'stop': {
      const stopped = await stopMoto({ port });
      if (stopped) console.log(`moto on port ${port} stopped`);
      else if (await isEmulatorHealthy(motoEndpoint(port)))
        console.log(`the emulator on port ${port} was not started by this project: left running`);
      else console.log(`no moto running on port ${port}`);
      return 0;
    }
    case 'reset': {
      const endpoint = motoEndpoint(port);
      if (!(await isEmulatorHealthy(endpoint))) {
        console.error(`no emulator on ${endpoint}`);
        return 1;
      }
      await resetMoto(endpoint);
      console.log(`moto on ${endpoint} reset`);
      return 0;
    }
    case 'status': {
      const status = await motoStatus({ port });
      console.log(
        `${status.endpoint}: ${status.healthy ? 'healthy' : 'not running'}` +
          (status.pid ? ` (started by this project, pid ${status.pid})` : ''),
      );
      return status.healthy ? 0 : 1;
    }
    default:
      console.error('usage: tsx scripts/moto.ts install|start|stop|reset|status [--port N]');
      return 2;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
