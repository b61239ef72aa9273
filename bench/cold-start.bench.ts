/**
 * Time from a fresh process to the first answer: the data plane is bundled by esbuild as
 * the CDK bundles it (ESM, minified, onnxruntime external), then started with plain `node`
 * several times; the parent measures spawn → answer, the child reports its own marks.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { HttpEvent } from '../lambdas/shared/http.js';
import { FIXTURES } from '../test/support/models.js';
import { fmt, stats } from './harness.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function benchColdStart(
  signed: { event: HttpEvent; key: unknown; now: string },
  runs = 7,
): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'understudy-cold-'));
  const outfile = path.join(dir, 'index.mjs');
  await build({
    entryPoints: [path.join(root, 'bench', 'cold-start-entry.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    outfile,
    external: ['@aws-sdk/*', 'onnxruntime-node', 'onnxruntime-common'],
    banner: { js: "import{createRequire as __cr}from'module';const require=__cr(import.meta.url);" },
    logLevel: 'silent',
  });
  const eventFile = path.join(dir, 'event.json');
  writeFileSync(eventFile, JSON.stringify(signed));
  const wall: bigint[] = [];
  const inProcess: bigint[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const out = execFileSync(process.execPath, [outfile, path.join(FIXTURES, 'regressor.onnx'), eventFile], {
      encoding: 'utf8',
      // Resolve onnxruntime-node from the project, as the layer provides it in Lambda.
      env: { ...process.env, NODE_PATH: path.join(root, 'node_modules') },
      cwd: root,
    });
    wall.push(process.hrtime.bigint() - start);
    const marks = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { status: number; answeredMs: number };
    if (marks.status !== 200) throw new Error(`cold start request failed: ${out}`);
    inProcess.push(BigInt(Math.round(marks.answeredMs * 1e6)));
  }
  const w = stats(wall);
  const p = stats(inProcess);
  console.log(
    '\nCold start: fresh `node` process → first answer (bundled handler, model loaded on first request)',
  );
  console.log(
    `  spawn → answer (parent's clock)    median ${fmt(w.medianUs)}  worst ${fmt(w.p99Us)}  (n=${w.n})`,
  );
  console.log(`  process start → answer (child's)   median ${fmt(p.medianUs)}  worst ${fmt(p.p99Us)}`);
}
