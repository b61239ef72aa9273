import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePythonEnv } from '../../scripts/python-env.js';
import { env } from './platform.js';

/**
 * The SageMaker Python SDK suite (`test/sdk/`, pytest) against the platform this run started:
 * pytest runs once, and each of its tests shows here as its own test with pytest's report.
 */
const ROOT = path.resolve(import.meta.dirname, '..', '..');
const SUITE = path.join(ROOT, 'test', 'sdk');
const python = ensurePythonEnv();

interface PhaseReport {
  nodeid: string;
  when: 'setup' | 'call' | 'teardown';
  outcome: 'passed' | 'failed' | 'skipped';
  xfail: string | null;
  longrepr: string;
  output: string;
  seconds: number;
}

// Only what the suite needs: its session is given every endpoint explicitly, and a developer's
// AWS_ENDPOINT_URL or profile must not reach boto3 behind its back.
const suiteEnv = (report: string) => ({
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? tmpdir(),
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  UNDERSTUDY_URL: env.UNDERSTUDY_URL ?? '',
  UNDERSTUDY_BUCKET: env.UNDERSTUDY_BUCKET ?? '',
  AWS_ENDPOINT_URL_S3: env.AWS_ENDPOINT_URL_S3 ?? '',
  UNDERSTUDY_ALERTS_TOPIC_ARN: env.UNDERSTUDY_ALERTS_TOPIC_ARN ?? '',
  AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID ?? '',
  AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY ?? '',
  AWS_REGION: env.AWS_REGION ?? 'us-east-1',
  // boto3 reads only this one; the SDK's DataCaptureConfig() makes a default Session(), which needs it.
  AWS_DEFAULT_REGION: env.AWS_REGION ?? 'us-east-1',
  UNDERSTUDY_SDK_REPORT: report,
  PYTHONDONTWRITEBYTECODE: '1',
  // v2 is what the suite tests; its deprecation notice on every class would bury the report.
  SAGEMAKER_SUPPRESS_V2_WARNING: '1',
});

const pytestArgs = ['-m', 'pytest', SUITE, '-p', 'no:cacheprovider', '-q'];

/** The suite's test ids, collected before the run so that each is a test of its own here. */
function collect(): string[] {
  const listed = spawnSync(python, [...pytestArgs, '--collect-only'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: suiteEnv(''),
  });
  const ids = listed.stdout.split('\n').filter((line) => line.includes('::'));
  if (listed.status !== 0 || ids.length === 0)
    throw new Error(`pytest could not collect ${SUITE}:\n${listed.stdout}${listed.stderr}`);
  return ids.map((id) => id.trim());
}

describe('the SageMaker Python SDK v2 against the local platform (test/sdk)', () => {
  const ids = collect();
  const work = mkdtempSync(path.join(tmpdir(), 'understudy-sdk-'));
  const report = path.join(work, 'report.jsonl');
  let run = { code: -1 as number | null, output: '' };

  beforeAll(async () => {
    run = await new Promise((resolve) => {
      const child = spawn(python, [...pytestArgs, '-rA'], { cwd: ROOT, env: suiteEnv(report) });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      child.on('close', (code) => resolve({ code, output }));
    });
  }, 900_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const phases = (id: string): PhaseReport[] => {
    let lines: string[] = [];
    try {
      lines = readFileSync(report, 'utf8').split('\n').filter(Boolean);
    } catch {
      // no report at all: pytest died before any test; its output says why
    }
    return lines.map((line) => JSON.parse(line) as PhaseReport).filter((p) => p.nodeid.endsWith(id));
  };

  for (const id of ids) {
    it(id.replace(/^.*test\/sdk\//, ''), () => {
      const mine = phases(id.replace(/^.*test\/sdk\//, ''));
      const failed = mine.filter((p) => p.outcome === 'failed');
      const detail = failed.map((p) => `${p.when}: ${p.longrepr}\n${p.output}`).join('\n');
      expect(mine.length, `no result for ${id}; pytest said:\n${run.output}`).toBeGreaterThan(0);
      expect(failed, detail).toEqual([]);
    });
  }

  it('pytest exits 0', () => {
    expect(run.code, run.output).toBe(0);
  });
});
