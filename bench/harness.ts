/** Small timing helpers for `npm run bench`: medians and tails, never pass/fail. */
import { spawn } from 'node:child_process';
export interface Stats {
  readonly medianUs: number;
  readonly p90Us: number;
  readonly p99Us: number;
  readonly n: number;
}

export function stats(samplesNs: readonly bigint[]): Stats {
  const us = samplesNs.map((ns) => Number(ns) / 1000).sort((a, b) => a - b);
  const at = (q: number) => us[Math.min(us.length - 1, Math.floor(q * us.length))] ?? Number.NaN;
  return { medianUs: at(0.5), p90Us: at(0.9), p99Us: at(0.99), n: us.length };
}

/** Times `fn` `iterations` times after `warmup` untimed runs; one sample per call. */
export async function measure(
  fn: () => unknown,
  iterations: number,
  warmup = Math.ceil(iterations / 10),
): Promise<Stats> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: bigint[] = new Array(iterations);
  for (let i = 0; i < iterations; i++) {
    const start = process.hrtime.bigint();
    await fn();
    samples[i] = process.hrtime.bigint() - start;
  }
  return stats(samples);
}

/**
 * Times `total` calls of `fn` made by `lanes` callers side by side, each waiting for its
 * answer before its next call: for calls that mostly wait (on a slow network), so a run takes
 * `total / lanes` waits rather than `total`. Lane i starts `i × spreadMs / lanes` after the
 * first, so that callers do not all wake at once and queue behind each other's CPU work. One
 * sample per call, from the call to its answer.
 */
export async function measureConcurrent(
  fn: () => unknown,
  total: number,
  lanes: number,
  spreadMs = 0,
): Promise<Stats> {
  const samples: bigint[] = [];
  let started = 0;
  const lane = async (i: number) => {
    await new Promise((resolve) => setTimeout(resolve, (i * spreadMs) / lanes));
    while (started < total) {
      started++;
      const start = process.hrtime.bigint();
      await fn();
      samples.push(process.hrtime.bigint() - start);
    }
  };
  await Promise.all(Array.from({ length: lanes }, (_, i) => lane(i)));
  return stats(samples);
}

/**
 * Alternates two measurements in rounds so that machine noise (these machines are shared)
 * lands on both alike; returns the stats of each over all rounds.
 */
export async function compare(
  a: () => unknown,
  b: () => unknown,
  iterations: number,
  rounds = 5,
): Promise<[Stats, Stats]> {
  const sa: bigint[] = [];
  const sb: bigint[] = [];
  for (const fn of [a, b]) for (let i = 0; i < iterations / 10; i++) await fn();
  for (let r = 0; r < rounds; r++) {
    for (const [fn, out] of [
      [a, sa],
      [b, sb],
    ] as const) {
      for (let i = 0; i < iterations / rounds; i++) {
        const start = process.hrtime.bigint();
        await fn();
        out.push(process.hrtime.bigint() - start);
      }
    }
  }
  return [stats(sa), stats(sb)];
}

export function fmt(us: number): string {
  return us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} µs`;
}

export function row(label: string, s: Stats): string {
  return `  ${label.padEnd(44)} median ${fmt(s.medianUs).padStart(10)}  p90 ${fmt(s.p90Us).padStart(10)}  p99 ${fmt(s.p99Us).padStart(10)}  (n=${s.n})`;
}

/**
 * Runs a child process (a benchmark's own measurement, or a Python baseline) from `cwd` and
 * resolves with its stdout; its stderr passes through. Killed after `timeoutMs` when given.
 */
export function runChild(cwd: string, command: string, args: string[], timeoutMs?: number): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
    });
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            child.kill('SIGKILL');
          }, timeoutMs);
    child.on('error', fail);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (code === 0) done(out);
      else fail(new Error(`${command} ${args[0] ?? ''} ended with ${signal ?? `exit code ${code}`}`));
    });
  });
}

/** The last line of a child's stdout, as JSON. */
export function lastJson<T>(out: string): T {
  const lines = out.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] as string) as T;
}

/**
 * Like {@link compare}, but alternating call by call (a b, then b a, so that neither always
 * runs first): on a loaded machine a colleague's burst of CPU then lands on both sides alike
 * even when one call takes milliseconds, where rounds of many calls can catch it on one side.
 */
export async function compareInterleaved(
  a: () => unknown,
  b: () => unknown,
  iterations: number,
): Promise<[Stats, Stats]> {
  const sa: bigint[] = new Array(iterations);
  const sb: bigint[] = new Array(iterations);
  for (let i = 0; i < iterations / 10; i++) {
    await a();
    await b();
  }
  for (let i = 0; i < iterations; i++) {
    const aFirst = i % 2 === 0;
    for (const first of [aFirst, !aFirst]) {
      const start = process.hrtime.bigint();
      await (first ? a() : b());
      const took = process.hrtime.bigint() - start;
      if (first) sa[i] = took;
      else sb[i] = took;
    }
  }
  return [stats(sa), stats(sb)];
}
