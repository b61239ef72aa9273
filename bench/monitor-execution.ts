/**
 * One Model Monitor execution of bench/monitor.bench.ts, in a child process of its own (so
 * that its peak RSS is its own): read the baseline files, fold each capture file into a
 * `DatasetAccumulator.forBaseline` (sequentially into one, as one lane of the runner does; or
 * on worker threads, one each, that send their accumulators back as JSON to be merged),
 * `toStatistics`, `checkConstraints`, `detectDrift` and `renderMonitoringReport`.
 *
 * The bench runs it from an esbuild bundle (as the monitor function is deployed), for the
 * worker threads above all: a worker started under tsx transpiles the whole module graph again
 * before it reads a byte (300–600 ms of a 1.7 s run), which a bundle does not.
 *
 *   node BUNDLE.mjs execute '<json ExecuteOptions>'     prints one JSON ExecutionResult line
 *   npx tsx bench/monitor-execution.ts execute '<json>' the same, unbundled
 */

import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { renderMonitoringReport } from '../lambdas/domain/model-monitor/report/index.js';
import {
  CaptureReader,
  checkConstraints,
  DatasetAccumulator,
  type DatasetAccumulatorJson,
  detectDrift,
  formatMonitoringFile,
  loadLineKernel,
  parseConstraints,
  parseStatistics,
} from '../lambdas/domain/model-monitor/statistics/index.js';

const THIS_FILE = fileURLToPath(import.meta.url);

export interface ExecuteOptions {
  readonly files: string[];
  readonly statisticsPath: string;
  readonly constraintsPath: string;
  readonly workers: number;
  readonly reportPath?: string;
  /** Where to write the window's statistics.json and constraint_violations.json (to compare runs). */
  readonly outputDir?: string;
}

export interface ExecutionResult {
  readonly records: number;
  readonly rows: number;
  readonly unparseable: number;
  readonly workers: number;
  readonly seconds: number;
  /** CPU time of the whole process (all threads): steadier than wall time on a shared machine. */
  readonly cpuSeconds: number;
  /** Of which: statistics, checks, drift and the HTML report after the merge. */
  readonly analyseSeconds: number;
  /** Worker threads: from the start until the last of them had loaded its code and the baseline. */
  readonly workersReadySeconds?: number;
  /** Worker threads: the main thread's time in `fromJSON` + `merge` of what they sent. */
  readonly mergeSeconds?: number;
  /**
   * Cores the machine's other processes kept busy during the run, on average (their
   * CPU-seconds over the run's wall time; Linux only): what this run did not have.
   */
  readonly otherCores?: number;
  readonly peakRssMb: number;
  /** RSS after each file was merged (sampled between files), MB. */
  readonly rssAfterFilesMb: number[];
  readonly violations: string[];
  readonly drifted: string[];
  readonly outcome: string;
}

const mb = (bytes: number) => bytes / 1024 / 1024;

/**
 * CPU-seconds every process on the machine has used (Linux /proc/stat: user, nice, system,
 * irq, softirq, steal), to tell how busy the others were during a run; undefined elsewhere.
 */
function machineCpuSeconds(): number | undefined {
  try {
    const fields = (readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '')
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
    // USER_HZ is 100 on every Linux this runs on.
    return (user + nice + system + irq + softirq + steal) / 100;
  } catch {
    return undefined;
  }
}
const seconds = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e9;

/**
 * Adds a capture file read in 1 MB chunks, as the execution reads an S3 object's stream
 * (`CaptureReader`): memory holds a chunk, never the file.
 */
async function addCaptureFile(acc: DatasetAccumulator, path: string): Promise<void> {
  const reader = new CaptureReader([{ accumulator: acc }]);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) reader.push(chunk as Buffer);
  reader.end();
}

export async function execute(options: ExecuteOptions): Promise<ExecutionResult> {
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  const machineStart = machineCpuSeconds();
  // Workers start first: they load their code while this thread reads the baseline.
  const pool = options.workers > 1 ? startWorkers(options, start) : undefined;
  await loadLineKernel();
  const baseline = parseStatistics(await readFile(options.statisticsPath, 'utf8'));
  const constraints = parseConstraints(await readFile(options.constraintsPath, 'utf8'));
  const window = DatasetAccumulator.forBaseline(baseline);
  const rss: number[] = [];
  let mergeSeconds = 0;
  if (pool === undefined) {
    // One lane, as the runner's (runner.ts): every file folds into the same accumulator.
    for (const file of options.files) {
      await addCaptureFile(window, file);
      rss.push(mb(process.memoryUsage().rss));
    }
  } else {
    await pool.run((json) => {
      const t = process.hrtime.bigint();
      window.merge(DatasetAccumulator.fromJSON(json));
      mergeSeconds += seconds(t);
      rss.push(mb(process.memoryUsage().rss));
    });
  }
  const analyseStart = process.hrtime.bigint();
  const current = window.toStatistics();
  const checks = checkConstraints({ constraints, baseline, current });
  const drift = detectDrift(baseline, current);
  const html = renderMonitoringReport({
    metadata: {
      endpointName: 'bench-endpoint',
      scheduleName: 'bench-schedule',
      windowStart: '2026-11-25T12:00:00Z',
      windowEnd: '2026-11-25T13:00:00Z',
    },
    baseline,
    current,
    parse: window.summary,
    checks,
    drift,
  });
  const end = process.hrtime.bigint();
  const cpu = process.cpuUsage(cpuStart);
  const machineEnd = machineCpuSeconds();
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const wall = Number(end - start) / 1e9;
  if (options.reportPath) writeFileSync(options.reportPath, html);
  if (options.outputDir) {
    writeFileSync(`${options.outputDir}/statistics.json`, formatMonitoringFile(current));
    writeFileSync(
      `${options.outputDir}/constraint_violations.json`,
      formatMonitoringFile({ violations: checks.violations }),
    );
  }
  const summary = window.summary;
  return {
    records: summary.records,
    rows: summary.rows,
    unparseable: summary.unparseable,
    workers: options.workers,
    seconds: wall,
    cpuSeconds,
    analyseSeconds: Number(end - analyseStart) / 1e9,
    ...(pool ? { workersReadySeconds: pool.readySeconds(), mergeSeconds } : {}),
    ...(machineStart !== undefined && machineEnd !== undefined
      ? { otherCores: Math.max(0, machineEnd - machineStart - cpuSeconds) / wall }
      : {}),
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    rssAfterFilesMb: rss,
    violations: checks.violations.map((v) => `${v.feature_name}:${v.constraint_check_type}`),
    drifted: drift.drifted,
    outcome: checks.outcome,
  };
}

interface WorkerRequest {
  readonly file: string | null;
}
/** `ready`: send a file (or null: no more); `json`: the worker's files, all in one accumulator. */
type WorkerMessage = { readonly ready: true } | { readonly json: DatasetAccumulatorJson };

/**
 * `workers` threads, started at once; `run` hands them the files one at a time as each
 * finishes and calls `onResult` once per worker, with everything it read. (One accumulator
 * per worker, as the runner keeps one per lane: the main thread decodes and merges `workers`
 * of them, not one per file — 20 of them took it 170–190 ms.)
 */
function startWorkers(options: ExecuteOptions, start: bigint) {
  const queue = [...options.files];
  let ready = 0;
  let lastReady = 0;
  let onResult: (json: DatasetAccumulatorJson) => void = () => undefined;
  let go: () => void = () => undefined;
  const started = new Promise<void>((resolve) => {
    go = resolve;
  });
  const count = Math.min(options.workers, queue.length);
  const done = Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<void>((finish, fail) => {
          const worker = THIS_FILE.endsWith('.ts')
            ? // Workers do not inherit tsx's loader: register it, then load this file.
              new Worker(
                `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(pathToFileURL(THIS_FILE).href)}); });`,
                {
                  eval: true,
                  workerData: { role: 'monitor-bench-worker', statisticsPath: options.statisticsPath },
                },
              )
            : new Worker(THIS_FILE, {
                workerData: { role: 'monitor-bench-worker', statisticsPath: options.statisticsPath },
              });
          let loaded = false;
          const next = () => worker.postMessage({ file: queue.shift() ?? null } satisfies WorkerRequest);
          worker.on('message', (message: WorkerMessage) => {
            if ('json' in message) {
              onResult(message.json);
              return;
            }
            if (!loaded) {
              loaded = true;
              if (++ready === count) lastReady = seconds(start);
            }
            // The first file waits until the main thread is ready to merge.
            void started.then(next);
          });
          worker.on('error', fail);
          worker.on('exit', (code) =>
            code === 0 ? finish() : fail(new Error(`worker exited with ${code}`)),
          );
        }),
    ),
  );
  return {
    async run(handler: (json: DatasetAccumulatorJson) => void): Promise<void> {
      onResult = handler;
      go();
      await done;
    },
    readySeconds: () => lastReady,
  };
}

async function runWorker(statisticsPath: string): Promise<void> {
  const port = parentPort;
  if (!port) return;
  await loadLineKernel();
  const baseline = parseStatistics(await readFile(statisticsPath, 'utf8'));
  const acc = DatasetAccumulator.forBaseline(baseline);
  port.on('message', async ({ file }: WorkerRequest) => {
    if (file === null) {
      port.postMessage({ json: acc.toJSON() } satisfies WorkerMessage);
      port.close();
      return;
    }
    await addCaptureFile(acc, file);
    port.postMessage({ ready: true } satisfies WorkerMessage);
  });
  port.postMessage({ ready: true } satisfies WorkerMessage);
}

const data = workerData as { role?: string; statisticsPath?: string } | null;
if (!isMainThread && data?.role === 'monitor-bench-worker' && data.statisticsPath) {
  await runWorker(data.statisticsPath);
} else if (isMainThread && process.argv[2] === 'execute' && process.argv[1] === THIS_FILE) {
  const result = await execute(JSON.parse(process.argv[3] ?? '{}') as ExecuteOptions);
  console.log(JSON.stringify(result));
}
