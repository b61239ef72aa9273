/**
 * The local platform's HTTP path against a bare server on the same model and row (issue 16):
 *  - `platform`: the local runtime (scripts/local/runtime.ts: HTTP → API Gateway event → the
 *    invoke handler, SigV4 on, its access log and the handler's EMF lines written to stdout as
 *    `npm start` writes them) over in-memory ports;
 *  - `bare`: `node:http` + onnxruntime, no auth, no logging.
 * Each server runs in a child process of its own (bench/platform-server.ts); the load
 * generator (bench/http-load.ts) runs here, `CONNECTIONS` keep-alive connections on 127.0.0.1.
 * Both are warmed up, then loaded in alternating rounds (the order flips every round, so that
 * a colleague's burst of CPU lands on both alike), each round bounded in time and count.
 * Prints requests/s, p50 and p99 of each, and the ratio over all rounds.
 *
 * UNDERSTUDY_BENCH_CPU_PROF=DIR writes a `--cpu-prof` profile of each server process to DIR/<server>/
 * (the largest file there is the main thread's; read it with bench/cpu-profile-top.ts).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, type Stats, stats } from './harness.js';
import { type LoadOptions, type LoadResult, type LoadTarget, load } from './http-load.js';
import { signedEvent } from './inference.bench.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CONNECTIONS = 8;
const WARMUP_MS = 3_000;
// Many short rounds: a colleague's burst of CPU then lands on both servers alike.
const ROUND_MS = 2_000;
const ROUNDS = 8;
/** Far above what this machine answers in a round: a bound, not a target. */
const MAX_REQUESTS_PER_ROUND = 200_000;
const INVOCATIONS = '/endpoints/bench/invocations';

export interface BenchServer {
  readonly label: string;
  readonly url: string;
  /** CPU time the server's process has used so far, in µs (all its threads). */
  cpuUs(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Forks `script` with `args` and resolves once it reports `{ url }` over IPC. Its stdout goes
 * to `stdoutFile` (an access log, say); disconnecting ends it.
 */
export async function startChildServer(
  label: string,
  script: string,
  args: string[],
  options: { stdoutFile?: string; readyTimeoutMs?: number } = {},
): Promise<BenchServer> {
  const profileDir = process.env.UNDERSTUDY_BENCH_CPU_PROF;
  const stdout = options.stdoutFile ? openSync(options.stdoutFile, 'w') : 'ignore';
  const child: ChildProcess = fork(script, args, {
    execArgv: [
      '--import',
      'tsx',
      // One directory per server: tsx's loader thread writes a profile of its own beside the main thread's.
      ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.join(profileDir, label)}`] : []),
    ],
    stdio: ['ignore', stdout, 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${label} not ready after ${options.readyTimeoutMs ?? 60_000} ms`)),
      options.readyTimeoutMs ?? 60_000,
    );
    child.once('message', (message: { url?: string }) => {
      clearTimeout(timer);
      if (message.url) resolve(message.url);
      else reject(new Error(`${label} sent ${JSON.stringify(message)}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited (${signal ?? code}) before it was ready`));
    });
  });
  return {
    label,
    url,
    cpuUs: () =>
      new Promise<number>((resolve) => {
        const onMessage = (message: { cpuUs?: number }) => {
          if (message.cpuUs === undefined) return;
          child.off('message', onMessage);
          resolve(message.cpuUs);
        };
        child.on('message', onMessage);
        child.send({ cpu: true });
      }),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      if (child.connected) child.disconnect();
      else child.kill('SIGTERM');
      await exited;
      clearTimeout(killer);
    },
  };
}

/** One server's rounds, merged: requests/s over all rounds' time, latencies over all answers. */
export interface Measured {
  readonly rps: number;
  /** Every round ran to its end (see LoadResult.complete). */
  readonly complete: boolean;
  /** Requests/s of each round, in order. */
  readonly roundRps: readonly number[];
  /** The server process's CPU time per answered request, in µs: steadier than rps on a shared machine. */
  readonly cpuUsPerRequest: number;
  readonly latency: Stats;
  readonly ok: number;
  readonly failed: number;
  readonly statuses: Record<string, number>;
}

export function merge(rounds: readonly LoadResult[], samples: readonly bigint[], cpuUs: number): Measured {
  const ok = rounds.reduce((sum, r) => sum + r.ok, 0);
  const seconds = rounds.reduce((sum, r) => sum + r.seconds, 0);
  const statuses: Record<string, number> = {};
  for (const r of rounds)
    for (const [status, n] of Object.entries(r.statuses)) statuses[status] = (statuses[status] ?? 0) + n;
  const answered = rounds.reduce((sum, r) => sum + r.ok + r.notOk, 0);
  return {
    rps: ok / seconds,
    roundRps: rounds.map((r) => r.rps),
    complete: rounds.every((r) => r.complete),
    cpuUsPerRequest: cpuUs / answered,
    latency: stats(samples),
    ok,
    failed: rounds.reduce((sum, r) => sum + r.notOk + r.errors, 0),
    statuses,
  };
}

export function figures(
  label: string,
  r: { rps: number; latency: Stats; failed?: number; cpuUsPerRequest?: number },
): string {
  return (
    `  ${label.padEnd(40)} ${Math.round(r.rps).toLocaleString('en').padStart(7)} req/s  ` +
    `p50 ${fmt(r.latency.medianUs).padStart(9)}  p99 ${fmt(r.latency.p99Us).padStart(9)}` +
    (r.cpuUsPerRequest === undefined ? '' : `  server CPU ${fmt(r.cpuUsPerRequest).padStart(8)}/request`) +
    (r.failed ? `  (${r.failed} failed)` : '')
  );
}

/**
 * Warms each server up, then loads them in alternating rounds; returns each one's merged
 * figures, in the order given. `onRound` sees every round's result (for the per-round lines).
 */
export async function alternate(
  servers: readonly {
    server: BenchServer;
    target: LoadTarget;
    /** Exact request counts for this server (see LoadOptions.exactly) instead of timed rounds. */
    exactly?: { warmup: number; round: number };
  }[],
  options: { warmupMs: number; roundMs: number; rounds: number; connections: number },
  onRound: (server: BenchServer, round: number, result: LoadResult, cpuUs: number) => void = () => {},
): Promise<{ measured: Measured[]; warmup: LoadResult[] }> {
  const loadOptions = (durationMs: number, exactly?: number): LoadOptions => ({
    connections: options.connections,
    durationMs,
    maxRequests: MAX_REQUESTS_PER_ROUND,
    ...(exactly === undefined ? {} : { exactly }),
  });
  const warmup: LoadResult[] = [];
  for (const { target, exactly } of servers)
    warmup.push(await load(target, loadOptions(options.warmupMs, exactly?.warmup)));
  const results: LoadResult[][] = servers.map(() => []);
  const samples: bigint[][] = servers.map(() => []);
  const cpu = servers.map(() => 0);
  for (let round = 1; round <= options.rounds; round++) {
    const order = servers.map((_, i) => i);
    if (round % 2 === 0) order.reverse();
    for (const i of order) {
      const { server, target, exactly } = servers[i] as (typeof servers)[number];
      const cpuBefore = await server.cpuUs();
      const result = await load(target, loadOptions(options.roundMs, exactly?.round));
      const cpuUs = (await server.cpuUs()) - cpuBefore;
      results[i]?.push(result);
      samples[i]?.push(...result.samples);
      cpu[i] = (cpu[i] ?? 0) + cpuUs;
      onRound(server, round, result, cpuUs);
    }
  }
  return { measured: results.map((r, i) => merge(r, samples[i] ?? [], cpu[i] ?? 0)), warmup };
}

export async function benchPlatform(): Promise<void> {
  const event = await signedEvent();
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers)) if (value !== undefined) headers[name] = value;
  const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8').toString('utf8');
  const script = path.join(here, 'platform-server.ts');
  const accessLog = path.join(tmpdir(), `understudy-bench-access-${process.pid}.log`);
  const servers: BenchServer[] = [];
  try {
    servers.push(await startChildServer('platform', script, ['platform'], { stdoutFile: accessLog }));
    servers.push(await startChildServer('bare', script, ['bare']));
    const [platform, bare] = servers as [BenchServer, BenchServer];
    console.log(
      `\nLocal platform over HTTP (SigV4, access log on, small model, ${CONNECTIONS} connections, ` +
        `warm-up ${WARMUP_MS / 1000} s, ${ROUNDS} alternating rounds × ${ROUND_MS / 1000} s, 127.0.0.1, ` +
        `each server in its own process, autocannon in a third)`,
    );
    const target = (server: BenchServer): LoadTarget => ({
      url: server.url,
      path: INVOCATIONS,
      headers,
      body,
    });
    const { measured, warmup } = await alternate(
      [
        { server: platform, target: target(platform) },
        { server: bare, target: target(bare) },
      ],
      { warmupMs: WARMUP_MS, roundMs: ROUND_MS, rounds: ROUNDS, connections: CONNECTIONS },
      (server, round, result, cpuUs) =>
        console.log(
          figures(`round ${round}: ${server.label}`, {
            ...result,
            failed: result.notOk + result.errors,
            cpuUsPerRequest: cpuUs / (result.ok + result.notOk),
          }),
        ),
    );
    const [p, b] = measured as [Measured, Measured];
    // Each round's pair ran back to back: their ratio is the one least moved by the machine's load.
    const pairRatios = p.roundRps.map((rps, i) => rps / (b.roundRps[i] ?? Number.NaN)).sort((x, y) => x - y);
    const medianPair = pairRatios[Math.floor(pairRatios.length / 2)] ?? Number.NaN;
    console.log(figures('all rounds: local platform', p));
    console.log(figures('all rounds: bare node:http + onnxruntime', b));
    console.log(
      `  platform / bare: ${((100 * p.rps) / b.rps).toFixed(0)}% of the throughput over all rounds ` +
        `(median of the rounds' pairs ${(100 * medianPair).toFixed(0)}%; target ≥ 60%, moonshot 80%); ` +
        `${(p.cpuUsPerRequest / b.cpuUsPerRequest).toFixed(2)}× the server CPU per request`,
    );
    // Every request the platform answered has its access-log line once the platform stopped:
    // those counted here, and up to one per connection per timed run answered after it stopped counting.
    await platform.stop();
    const logged = readFileSync(accessLog, 'utf8')
      .split('\n')
      .filter((line) => line.includes(' -> ')).length;
    const counted = (warmup[0]?.ok ?? 0) + (warmup[0]?.notOk ?? 0) + p.ok + p.failed;
    const uncounted = CONNECTIONS * (ROUNDS + 1);
    const whole = logged >= counted && logged <= counted + uncounted;
    console.log(
      `  access-log lines after stop: ${logged} for ${counted} answers counted ` +
        `(+ at most ${uncounted} answered after timed runs ended): ${whole ? 'none lost' : 'LINES MISSING OR EXTRA'}`,
    );
  } finally {
    for (const server of servers.reverse()) await server.stop();
    rmSync(accessLog, { force: true });
  }
}
