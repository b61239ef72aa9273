/**
 * `npm run bench`: prints figures and ratios against baselines measured in the same run.
 * Nothing here passes or fails on time; the shared machines are too noisy for that.
 * `npm run bench -- inference shadow` runs only the named benchmarks.
 */
import { benchAccessKeys } from './access-keys.bench.js';
import { benchColdStart } from './cold-start.bench.js';
import { benchFaults } from './faults.bench.js';
import { benchInference } from './inference.bench.js';
import { benchLineage } from './lineage.bench.js';
import { benchLinearLearner } from './linear-learner.bench.js';
import { benchMirrorBudget } from './mirror-budget.bench.js';
import { benchMonitor } from './monitor.bench.js';
import { benchOfflineEvaluation } from './offline-evaluation.bench.js';
import { benchPlatform } from './platform.bench.js';
import { benchPlatformCapture } from './platform-capture.bench.js';
import { benchRouting } from './routing.bench.js';
import { benchShadow } from './shadow.bench.js';
import { benchTraining } from './training.bench.js';

const BENCHES: Record<string, () => Promise<void>> = {
  inference: benchInference,
  routing: benchRouting,
  shadow: benchShadow,
  'mirror-budget': benchMirrorBudget,
  platform: benchPlatform,
  'platform-capture': benchPlatformCapture,
  'cold-start': () => benchColdStart(),
  monitor: benchMonitor,
  'access-keys': benchAccessKeys,
  lineage: benchLineage,
  training: benchTraining,
  'linear-learner': benchLinearLearner,
  'offline-evaluation': benchOfflineEvaluation,
};
/** Run only when named: it starts its own emulator and platform and takes minutes. */
const ON_REQUEST: Record<string, () => Promise<void>> = { faults: benchFaults };

const chosen = process.argv.slice(2);
const unknown = chosen.filter((name) => !(name in BENCHES) && !(name in ON_REQUEST));
if (unknown.length > 0) {
  throw new Error(
    `unknown benchmark(s) ${unknown.join(', ')}; choose from ${[...Object.keys(BENCHES), ...Object.keys(ON_REQUEST)].join(', ')}`,
  );
}
console.log(`Understudy benchmarks — node ${process.version}, ${new Date().toISOString()}`);
for (const [name, bench] of Object.entries(BENCHES)) {
  if (chosen.length === 0 || chosen.includes(name)) await bench();
}
for (const [name, bench] of Object.entries(ON_REQUEST)) {
  if (chosen.includes(name)) await bench();
}
