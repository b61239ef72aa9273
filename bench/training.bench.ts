/**
 * Training the `xgboost` built-in algorithm on 100,000 rows × 20 features (100 rounds, depth 6,
 * eta 0.3, reg:squarederror; 20,000 validation rows), side by side with LightGBM and XGBoost
 * (one thread, `hist`, the same settings) on the same data in the same run.
 *
 * The data is generated seeded, written to a temp dir as float64 files, and each trainer runs
 * in a child process of its own so that its peak RSS is its own: Understudy through
 * `training.bench.ts train DIR`, the baselines through bench/training-baseline.py. Times are
 * wall and CPU seconds of training (binning included for all three); the machines are shared,
 * so CPU time is the fairer comparison. Prints figures; never passes or fails on time.
 *
 * Environment: UNDERSTUDY_BENCH_PYTHON, a Python interpreter with numpy, lightgbm and xgboost
 * (e.g. a venv's bin/python). Without it only Understudy's figures are printed.
 * Standalone: `npx tsx bench/training.bench.ts`, or `npm run bench -- training`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Dataset } from '../lambdas/domain/training/algorithm.js';
import { boost, predict } from '../lambdas/domain/training/xgboost/booster.js';
import { parseXGBoostParams } from '../lambdas/domain/training/xgboost/hyperparameters.js';
import { rSquared } from '../test/support/gbdt-fixtures.js';
import { SeededRandom } from '../test/support/seeded-random.js';
import { lastJson, runChild } from './harness.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const THIS_FILE = fileURLToPath(import.meta.url);
const TRAIN_ROWS = 100_000;
const VALID_ROWS = 20_000;
const COLUMNS = 20;
const ROUNDS = 100;
const DEPTH = 6;

interface Result {
  readonly library: string;
  readonly version?: string;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly r2: number;
  readonly peakRssMb: number;
  readonly peakHeapMb?: number;
}

/** Normal, uniform and skewed features, 2% missing; a nonlinear target with noise. */
function generate(rows: number, random: SeededRandom): Dataset {
  const features = new Float64Array(rows * COLUMNS);
  const labels = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const row = features.subarray(r * COLUMNS, (r + 1) * COLUMNS);
    for (let c = 0; c < COLUMNS; c++) {
      row[c] =
        c % 3 === 0
          ? random.normal(0, 1)
          : c % 3 === 1
            ? random.uniform() * 4 - 2
            : Math.exp(random.normal(0, 0.7));
    }
    const v = (c: number) => row[c] as number;
    labels[r] =
      v(0) * v(1) +
      2 * Math.sin(v(2)) +
      (v(4) > 0.5 ? 1.5 : 0) +
      0.3 * v(5) * v(5) -
      Math.log(v(8)) +
      random.normal(0, 0.5);
    for (let c = 0; c < COLUMNS; c++) if (random.uniform() < 0.02) row[c] = Number.NaN;
  }
  return { rows, columns: COLUMNS, features, labels };
}

const read = (dir: string, name: string) => {
  const bytes = readFileSync(join(dir, name));
  return new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
};

/** The child: trains Understudy's xgboost on the files in `dir`. */
function trainInChild(dir: string): Result {
  const load = (prefix: string): Dataset => {
    const labels = read(dir, `${prefix}-y.f64`);
    return { rows: labels.length, columns: COLUMNS, features: read(dir, `${prefix}-x.f64`), labels };
  };
  const train = load('train');
  const valid = load('valid');
  const params = parseXGBoostParams({
    objective: 'reg:squarederror',
    num_round: String(ROUNDS),
    max_depth: String(DEPTH),
    eta: '0.3',
  });
  let peakHeap = process.memoryUsage().heapUsed;
  const wall = performance.now();
  const cpu = process.cpuUsage();
  const { ensemble } = boost(train, undefined, params, {
    iteration: () => {
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    },
    stopRequested: () => false,
  });
  const used = process.cpuUsage(cpu);
  const seconds = (performance.now() - wall) / 1000;
  return {
    library: 'understudy',
    seconds,
    cpuSeconds: (used.user + used.system) / 1e6,
    r2: rSquared(valid.labels, predict(ensemble, valid.features, valid.rows)),
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    peakHeapMb: peakHeap / 2 ** 20,
  };
}

function line(r: Result, lightgbm?: Result): string {
  const ratio = lightgbm ? `  ${(r.cpuSeconds / lightgbm.cpuSeconds).toFixed(2)}× LightGBM's CPU time` : '';
  const heap = r.peakHeapMb === undefined ? '' : `, heap ${r.peakHeapMb.toFixed(0)} MB`;
  const name = `${r.library}${r.version ? ` ${r.version}` : ''}`;
  return `  ${name.padEnd(18)} ${r.seconds.toFixed(2).padStart(7)} s wall ${r.cpuSeconds.toFixed(2).padStart(7)} s CPU  R² ${r.r2.toFixed(4)}  peak RSS ${r.peakRssMb.toFixed(0)} MB${heap}${ratio}`;
}

export async function benchTraining(): Promise<void> {
  console.log(
    `\ntraining: xgboost, ${TRAIN_ROWS.toLocaleString('en')} rows × ${COLUMNS} features, ${ROUNDS} rounds, depth ${DEPTH}, one thread`,
  );
  const dir = await mkdtemp(join(tmpdir(), 'understudy-training-bench-'));
  try {
    const random = new SeededRandom(2024);
    for (const [prefix, data] of [
      ['train', generate(TRAIN_ROWS, random)],
      ['valid', generate(VALID_ROWS, random)],
    ] as const) {
      writeFileSync(join(dir, `${prefix}-x.f64`), data.features);
      writeFileSync(join(dir, `${prefix}-y.f64`), data.labels);
    }
    writeFileSync(
      join(dir, 'shape.json'),
      JSON.stringify({ train: TRAIN_ROWS, valid: VALID_ROWS, columns: COLUMNS }),
    );

    const python = process.env.UNDERSTUDY_BENCH_PYTHON;
    const baselines: Result[] = [];
    if (python) {
      for (const library of ['lightgbm', 'xgboost']) {
        const args = [
          join(ROOT, 'bench', 'training-baseline.py'),
          library,
          dir,
          String(ROUNDS),
          String(DEPTH),
        ];
        baselines.push(lastJson<Result>(await runChild(ROOT, python, args)));
      }
    }
    const mine = lastJson<Result>(
      await runChild(ROOT, process.execPath, ['--import', 'tsx', THIS_FILE, 'train', dir]),
    );
    const lightgbm = baselines.find((b) => b.library === 'lightgbm');
    for (const b of baselines) console.log(line(b));
    console.log(line(mine, lightgbm));
    const perValue = (mine.cpuSeconds / (TRAIN_ROWS * COLUMNS) / ROUNDS) * 1e9;
    console.log(
      `  Understudy: ${perValue.toFixed(1)} ns CPU per value per round (xgboost's cost() assumes 4 ns × depth = ${4 * DEPTH})`,
    );
    if (!python) {
      console.log(
        '  (LightGBM and XGBoost not run: set UNDERSTUDY_BENCH_PYTHON to a Python with numpy, lightgbm and xgboost)',
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv[2] === 'train') console.log(JSON.stringify(trainInChild(process.argv[3] ?? '')));
  else await benchTraining();
}
