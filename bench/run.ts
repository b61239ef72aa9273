/**
 * `npm run bench`: prints figures and ratios against baselines measured in the same run.
 * Nothing here passes or fails on time; the shared machines are too noisy for that.
 */
import { benchColdStart } from './cold-start.bench.js';
import { benchInference, KEY, NOW, signedEvent } from './inference.bench.js';
import { benchLineage } from './lineage.bench.js';
import { benchMirrorBudget } from './mirror-budget.bench.js';
import { benchMonitor } from './monitor.bench.js';
import { benchRouting } from './routing.bench.js';
import { benchShadow } from './shadow.bench.js';

console.log(`Understudy benchmarks — node ${process.version}, ${new Date().toISOString()}`);
await benchInference();
await benchRouting();
await benchShadow();
await benchMirrorBudget();
await benchColdStart({ event: await signedEvent(), key: KEY, now: NOW.toISOString() });
await benchMonitor();
await benchLineage();
