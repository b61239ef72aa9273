import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { TestProject } from 'vitest/node';
import { stopMoto } from '../../scripts/moto.js';

/**
 * Starts the local platform exactly as a user does (`scripts/local/start.ts`, what
 * `npm start` runs), on its own emulator port and state directory, and hands the
 * environment it writes (`local.env`) to the tests. Stops it afterwards.
 */
const READY_TIMEOUT_MS = 240_000;

declare module 'vitest' {
  export interface ProvidedContext {
    platformEnv: Record<string, string>;
  }
}

export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^(?:export\s+)?([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match) env[match[1] as string] = (match[2] as string).replace(/^['"]|['"]$/g, '');
  }
  return env;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(path.join(tmpdir(), 'understudy-it-'));
  const envFile = path.join(dir, 'local.env');
  // A free port of its own: the tests always get a fresh emulator, never a developer's.
  const givenMotoPort = process.env.UNDERSTUDY_TEST_MOTO_PORT;
  const motoPort = givenMotoPort ?? String(await freePort());
  // The env file goes by UNDERSTUDY_ENV_FILE: Node 20 reads a --env-file flag anywhere in argv as its own.
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'scripts/local/start.ts',
      '--port',
      '0',
      '--moto-port',
      motoPort,
      '--state-dir',
      path.join(dir, 'state'),
      '--no-restore',
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        // The mirror's 500 ms budget is sized for SQS; the emulator on a loaded two-core
        // machine has been seen to take seconds a send, and a copy dropped there would make
        // the exact counts these tests check depend on the machine's load.
        UNDERSTUDY_MIRROR_BUDGET_MS: '15000',
        ...process.env,
        FORCE_COLOR: '0',
        UNDERSTUDY_ENV_FILE: envFile,
      },
    },
  );
  // The platform's log (handlers' logs included) is kept for post-mortems.
  const logFile = path.join(tmpdir(), `understudy-integration-platform-${process.pid}.log`);
  const log = createWriteStream(logFile);
  let output = '';
  const collect = (chunk: Buffer) => {
    if (output.length < 200_000) output += chunk.toString();
    log.write(chunk);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const started = Date.now();
  while (!existsSync(envFile)) {
    if (child.exitCode !== null) throw new Error(`local platform exited (${child.exitCode}):\n${output}`);
    if (Date.now() - started > READY_TIMEOUT_MS) {
      child.kill('SIGTERM');
      throw new Error(`local platform not ready after ${READY_TIMEOUT_MS} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const env = parseEnvFile(readFileSync(envFile, 'utf8'));
  console.log(
    `local platform ready at ${env.UNDERSTUDY_URL} in ${Date.now() - started} ms (log: ${logFile})`,
  );
  project.provide('platformEnv', env);

  return async () => {
    child.kill('SIGINT');
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, 30_000);
      child.on('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    // moto runs detached in its own process group (so a developer's Ctrl-C cannot kill it
    // before the state is saved): a platform that was killed, not stopped, leaves it behind.
    // A port picked here is this run's own, so whatever moto is recorded for it is ours.
    if (givenMotoPort === undefined) await stopMoto({ port: Number(motoPort) });
    if (process.env.UNDERSTUDY_KEEP_TEST_STATE) console.log(`test state kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  };
}
