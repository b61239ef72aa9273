/**
 * Model Monitor statistics: records/s of parse + accumulate over synthetic capture files
 * (20 features per CSV record, SageMaker's capture JSONL), then the window's statistics,
 * constraint checks and calibrated drift, with peak RSS. Standalone:
 *   npx tsx bench/monitor-stats.bench.ts [records]
 * or `benchMonitorStats()` from bench/run.ts. Prints figures; never passes or fails on time.
 */
import { pathToFileURL } from 'node:url';
import {
  checkConstraints,
  DatasetAccumulator,
  detectDrift,
  suggestBaseline,
} from '../lambdas/domain/model-monitor/statistics/index.js';
import { SeededRandom } from '../test/support/seeded-random.js';

const FEATURES = 20;
const NAMES = Array.from({ length: FEATURES }, (_, i) => `f${i}`);
const SEGMENTS = ['retail', 'online', 'wholesale', 'partner', 'staff'];

/** One synthetic record: 15 fractional, 3 integral, 2 categorical features. */
function cells(r: SeededRandom): string[] {
  const out: string[] = [];
  for (let i = 0; i < 15; i++) {
    const v =
      i % 3 === 0 ? r.normal(100 * i, 10 + i) : i % 3 === 1 ? Math.exp(r.normal(1, 0.5)) : r.uniform() * 1000;
    out.push(v.toFixed(4));
  }
  for (let i = 0; i < 3; i++) out.push(String(r.poisson(3 + i)));
  out.push(SEGMENTS[r.categorical([40, 25, 15, 12, 8])] as string, r.uniform() < 0.5 ? 'yes' : 'no');
  return out;
}

function captureFile(r: SeededRandom, records: number, start: number): string {
  const lines: string[] = [];
  for (let i = 0; i < records; i++) {
    lines.push(
      JSON.stringify({
        captureData: {
          endpointInput: {
            observedContentType: 'text/csv',
            mode: 'INPUT',
            data: cells(r).join(','),
            encoding: 'CSV',
          },
          endpointOutput: {
            observedContentType: 'text/csv',
            mode: 'OUTPUT',
            data: r.uniform().toFixed(6),
            encoding: 'CSV',
          },
        },
        eventMetadata: { eventId: `e-${start + i}`, inferenceTime: '2026-11-25T12:00:00Z' },
        eventVersion: '0',
      }),
    );
  }
  return `${lines.join('\n')}\n`;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

export async function benchMonitorStats(totalRecords = 1_000_000): Promise<void> {
  console.log(
    `\nModel Monitor statistics — ${totalRecords.toLocaleString('en')} capture records × ${FEATURES} features`,
  );
  const r = new SeededRandom(42);
  const { statistics: baseline, constraints } = suggestBaseline(
    Array.from({ length: 50_000 }, () => cells(r)),
    NAMES,
  );
  // 20 distinct files of 5,000 records, processed in turn until the total is reached (holding
  // 1M records of text would measure the generator's memory, not the monitor's).
  const perFile = 5_000;
  const files = Array.from({ length: 20 }, (_, i) => captureFile(r, perFile, i * perFile));
  const payloads = files.map((text) =>
    text
      .trimEnd()
      .split('\n')
      .map(
        (line) =>
          (JSON.parse(line) as { captureData: { endpointInput: { data: string } } }).captureData.endpointInput
            .data,
      ),
  );
  const rssBefore = process.memoryUsage().rss;

  // 1. Parse + accumulate the CSV payloads only.
  {
    const acc = DatasetAccumulator.forBaseline(baseline);
    const start = process.hrtime.bigint();
    let done = 0;
    for (let f = 0; done < totalRecords; f = (f + 1) % payloads.length) {
      for (const data of payloads[f] as string[]) acc.addPayload({ data, contentType: 'text/csv' });
      done += perFile;
    }
    const s = Number(process.hrtime.bigint() - start) / 1e9;
    console.log(
      `  CSV payloads → accumulators:       ${(done / s / 1e3).toFixed(0)}k records/s (${s.toFixed(2)} s)`,
    );
  }

  // 2. The execution's whole per-record path: capture JSONL file → records → accumulators.
  const acc = DatasetAccumulator.forBaseline(baseline);
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  let done = 0;
  let rssAt100k = 0;
  for (let f = 0; done < totalRecords; f = (f + 1) % files.length) {
    done += acc.addCaptureFile(files[f] as string);
    if (rssAt100k === 0 && done >= 100_000) rssAt100k = process.memoryUsage().rss;
  }
  const cpu = process.cpuUsage(cpuStart);
  const parseSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  const t1 = process.hrtime.bigint();
  const current = acc.toStatistics();
  const checks = checkConstraints({ constraints, baseline, current });
  const drift = detectDrift(baseline, current);
  const analyseMs = Number(process.hrtime.bigint() - t1) / 1e6;
  const rssEnd = process.memoryUsage().rss;
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(
    `  capture JSONL → accumulators:       ${(done / parseSeconds / 1e3).toFixed(0)}k records/s (${parseSeconds.toFixed(2)} s wall, ${cpuSeconds.toFixed(2)} s CPU: ${(done / cpuSeconds / 1e3).toFixed(0)}k records per CPU-second)`,
  );
  console.log(
    `  statistics + 6 checks + drift:       ${analyseMs.toFixed(0)} ms (${checks.violations.length} violations, ${drift.drifted.length} drifted)`,
  );
  console.log(
    `  memory: RSS ${mb(rssBefore)} with the test data loaded, ${mb(rssAt100k)} after 100k records, ${mb(rssEnd)} after ${done.toLocaleString('en')}; peak RSS ${mb(process.resourceUsage().maxRSS * 1024)}`,
  );
  console.log(`  accumulator state (JSON): ${(JSON.stringify(acc.toJSON()).length / 1024).toFixed(0)} KB`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await benchMonitorStats(Number(process.argv[2] ?? 1_000_000));
}
