/**
 * linear-learner (`lambdas/domain/training/linear-learner.ts`) as a training job runs it:
 * `train` on a synthetic binary set of 100,000 rows × 20 features (a fixed linear rule plus
 * noise, seeded), no validation channel so that every epoch runs, then the ONNX export. Prints
 * the time, the time per value per epoch (the limits check in `training-jobs.ts`
 * linear-learner's `cost()` assumes 120 ns) and the process's peak resident memory before and after.
 * Bounded: 10 epochs, one run after one warm-up run of 1 epoch.
 */
import type { Dataset } from '../lambdas/domain/training/algorithm.js';
import { linearLearner } from '../lambdas/domain/training/linear-learner.js';

const ROWS = 100_000;
const COLUMNS = 20;
const EPOCHS = 10;

/** Mulberry32: a small seeded generator, so every run trains on the same data. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function synthetic(rows: number, columns: number): Dataset {
  const next = random(13);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  const weights = Array.from({ length: columns }, () => gaussian());
  const features = new Float64Array(rows * columns);
  const labels = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let z = 0;
    for (let c = 0; c < columns; c++) {
      const x = gaussian();
      features[r * columns + c] = x;
      z += x * (weights[c] as number);
    }
    labels[r] = z + gaussian() > 0 ? 1 : 0;
  }
  return { rows, columns, features, labels };
}

const peakRssMb = () => process.resourceUsage().maxRSS / 1024;

export async function benchLinearLearner(): Promise<void> {
  console.log(`\nlinear-learner training (${ROWS.toLocaleString('en')} rows × ${COLUMNS} features, binary)`);
  const data = synthetic(ROWS, COLUMNS);
  const before = peakRssMb();
  const progress = { iteration: () => {}, stopRequested: () => false };
  const hp = (epochs: number) => ({
    predictor_type: 'binary_classifier',
    epochs: String(epochs),
    mini_batch_size: '1000',
  });
  await linearLearner.train(data, undefined, hp(1), progress);
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  const model = await linearLearner.train(data, undefined, hp(EPOCHS), progress);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  // CPU time as well: on a shared machine the wall time measures the neighbours too.
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const values = ROWS * COLUMNS * model.iterations;
  const accuracy = model.metrics.find((m) => m.MetricName === 'train:binary_classification_accuracy');
  console.log(
    `  ${model.iterations} epochs in ${seconds.toFixed(2)} s wall, ${cpuSeconds.toFixed(2)} s CPU: ${((cpuSeconds / values) * 1e9).toFixed(1)} ns CPU per value per epoch (linear-learner's cost() assumes 120 ns); train accuracy ${accuracy?.Value.toFixed(4)}`,
  );
  console.log(
    `  peak RSS ${peakRssMb().toFixed(0)} MB (${before.toFixed(0)} MB with the dataset made, before training); the dataset's features are ${((ROWS * COLUMNS * 8) / 2 ** 20).toFixed(1)} MB as float64`,
  );
}
