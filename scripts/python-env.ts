/**
 * The project's one Python environment, `.venv`, made from `requirements.txt`: the embedded
 * AWS emulator (moto, run through `scripts/local/moto-server.py`) and the SageMaker Python SDK
 * suite (`test/sdk/`, pytest). `.ci/run`, `npm start` (through `scripts/moto.ts`) and the SDK
 * integration test all call `ensurePythonEnv`, so whoever comes first makes it.
 *
 *   tsx scripts/python-env.ts        makes or updates .venv; prints its interpreter
 *
 * Idempotent and cheap when nothing changed: `.venv` records the sha256 of the requirements it
 * was filled from, and only a different file (or a missing interpreter) installs again.
 *
 * pip installs only uv, which then installs the requirements: on the two-core CI machine pip
 * took 290 s for them (one download after another), uv 11 s.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const VENV = path.join(PROJECT_ROOT, '.venv');
export const REQUIREMENTS = path.join(PROJECT_ROOT, 'requirements.txt');
export const VENV_PYTHON = path.join(VENV, 'bin', 'python');
const STAMP = path.join(VENV, 'requirements.sha256');
/** The installer, not a requirement of the project: pinned here, where it is bootstrapped. */
const UV = 'uv==0.13.9';

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function readStamp(): string | undefined {
  try {
    return readFileSync(STAMP, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function run(command: string, args: string[], what: string): void {
  const result = spawnSync(command, args, { stdio: 'inherit' });
  if (result.status !== 0)
    throw new Error(`${what} failed (${result.error?.message ?? `exit ${result.status}`})`);
}

/** Makes `.venv` hold exactly what `requirements.txt` pins; returns its interpreter. */
export function ensurePythonEnv(log: (message: string) => void = console.log): string {
  const digest = createHash('sha256').update(readFileSync(REQUIREMENTS)).digest('hex');
  if (isExecutable(VENV_PYTHON) && readStamp() === digest) return VENV_PYTHON;
  const started = Date.now();
  if (!isExecutable(VENV_PYTHON)) {
    log(`making the project's Python environment in ${VENV}`);
    run('python3', ['-m', 'venv', VENV], 'python3 -m venv .venv (is python3-venv installed?)');
  }
  // A stamp outlives a failed install otherwise, and the next run would trust half a venv.
  rmSync(STAMP, { force: true });
  log(`installing ${path.basename(REQUIREMENTS)} into ${VENV}`);
  run(
    VENV_PYTHON,
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', UV],
    `pip install ${UV}`,
  );
  run(
    path.join(VENV, 'bin', 'uv'),
    ['pip', 'install', '--quiet', '--python', VENV_PYTHON, '-r', REQUIREMENTS],
    `uv pip install -r ${path.basename(REQUIREMENTS)}`,
  );
  writeFileSync(STAMP, `${digest}\n`);
  log(`Python environment ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return VENV_PYTHON;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    console.log(ensurePythonEnv());
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
