/**
 * A closed-loop HTTP load generator for the platform benches: autocannon (the load generator
 * Node's own HTTP benchmarks use) with `connections` keep-alive connections, each sending the
 * same pre-built request again as soon as its answer arrives. It runs in the bench's own
 * process; the servers it loads run in child processes of their own (platform.bench.ts), so
 * neither server shares an event loop or a heap with the generator.
 *
 * Latencies come from autocannon's per-response event (float milliseconds) rather than its
 * histogram, which keeps whole milliseconds only: too coarse for a 1 ms p50.
 */
import autocannon from 'autocannon';
import { type Stats, stats } from './harness.js';

export interface LoadTarget {
  readonly url: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface LoadOptions {
  readonly connections: number;
  readonly durationMs: number;
  /** Stops sooner once this many answers arrived, so a run is bounded in count as well as time. */
  readonly maxRequests: number;
  /**
   * Sends exactly this many requests and waits for every answer instead (durationMs then only
   * bounds a watchdog): a run stopped by time leaves up to `connections` requests answered by
   * the server but not counted here, which an exact count of captures cannot have. Bounded
   * by a five-minute watchdog (then `complete` is false).
   */
  readonly exactly?: number;
}

export interface LoadResult {
  readonly rps: number;
  readonly latency: Stats;
  /** Answers with status 200. */
  readonly ok: number;
  /** Answers with any other status. */
  readonly notOk: number;
  /** Connection errors and timeouts: requests that got no answer. */
  readonly errors: number;
  readonly statuses: Record<string, number>;
  readonly seconds: number;
  /** False when an exact-count run was cut short by its watchdog. */
  readonly complete: boolean;
  /** Latency of each 200 answer, in nanoseconds. */
  readonly samples: readonly bigint[];
}

/** Loads `target` for `durationMs` (or `maxRequests` answers, whichever comes first). */
export async function load(target: LoadTarget, options: LoadOptions): Promise<LoadResult> {
  const samples: bigint[] = [];
  const statuses: Record<string, number> = {};
  let ok = 0;
  let notOk = 0;
  const started = performance.now();
  let finish: (result: autocannon.Result) => void = () => {};
  let fail: (error: unknown) => void = () => {};
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const instance = autocannon(
    {
      url: new URL(target.path, target.url).href,
      method: 'POST',
      headers: target.headers,
      body: target.body,
      connections: options.connections,
      pipelining: 1,
      // Whole seconds only; the count cap or the watchdog below ends a run sooner when asked.
      ...(options.exactly === undefined
        ? { duration: Math.ceil(options.durationMs / 1000) }
        : { amount: options.exactly }),
      timeout: 10,
    },
    (error, result) => (error ? fail(error) : finish(result)),
  );
  // A bound on a run that hangs; an exact-count run against a slow server gets five minutes.
  const watchdog = setTimeout(
    () => instance.stop(),
    options.exactly === undefined ? options.durationMs + 15_000 : 300_000,
  );
  watchdog.unref();
  instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
    statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
    if (statusCode === 200) {
      ok++;
      samples.push(BigInt(Math.round(responseTimeMs * 1e6)));
    } else {
      notOk++;
    }
    if (options.exactly === undefined && ok + notOk >= options.maxRequests) instance.stop();
  });
  const result = await finished.finally(() => clearTimeout(watchdog));
  const seconds = (performance.now() - started) / 1000;
  return {
    rps: ok / seconds,
    latency: stats(samples),
    ok,
    notOk,
    errors: result.errors + result.timeouts,
    statuses,
    seconds,
    complete: options.exactly === undefined || ok + notOk === options.exactly,
    samples,
  };
}
