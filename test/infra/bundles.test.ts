import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { BUNDLING, ENV, FUNCTIONS, type FunctionName } from '../../lambdas/functions.js';
import { bundleFunction } from '../support/bundle.js';

const run = promisify(execFile);
// Inside the project: the bundles' one external import, onnxruntime-node, resolves from node_modules.
const dir = path.resolve('node_modules', '.cache', 'understudy-bundles');

/** What the stack sets on every function, as placeholders: the handlers read them at import. */
const environment: Record<string, string> = {
  ...Object.fromEntries(Object.values(ENV).map((name) => [name, `bundle-test-${name.toLowerCase()}`])),
  [ENV.captureRetentionDays]: '30',
  [ENV.mirrorBudgetMs]: '500',
  [ENV.maxRows]: '1000',
  [ENV.allowedKmsKeyArns]: '',
  [ENV.allowedBuckets]: '',
};

/** Prints what the bundle exports as `handler`, or the error its import threw. */
const IMPORT = `import(process.argv[2]).then(
  (m) => console.log(JSON.stringify({ handler: typeof m.handler })),
  (e) => { console.log(JSON.stringify({ error: String(e && e.stack || e) })); process.exitCode = 1; })`;

// The stack's bundles are built by esbuild at synth time and never run by the other tests (the
// local platform runs the TypeScript). The AWS SDK is bundled from its ES module builds
// (BUNDLING.mainFields), so a dependency that breaks in that form would reach Lambda unnoticed.
describe("each function's bundle, built as the stack builds it", () => {
  mkdirSync(dir, { recursive: true });
  const runner = path.join(dir, 'import.cjs');
  writeFileSync(runner, IMPORT);
  it.each(Object.keys(FUNCTIONS) as FunctionName[])(
    "%s imports under Lambda's NODE_OPTIONS, exports its handler, carries Lambda's credential sources only",
    async (name) => {
      const outfile = path.join(dir, `${name}.mjs`);
      await bundleFunction(name, outfile);
      const { stdout } = await run(process.execPath, [runner, outfile], {
        env: {
          PATH: process.env.PATH ?? '',
          NODE_OPTIONS: BUNDLING.nodeOptions,
          AWS_REGION: 'us-east-1',
          ...environment,
        },
      }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? String(error) }));
      expect(JSON.parse(stdout.trim().split('\n').pop() ?? '{}')).toEqual({ handler: 'function' });
      // BUNDLING.alias: the SDK's default credential chain (files, SSO, STS, process, IMDS) is
      // left out; the map lists every file the bundle holds.
      const { sources } = JSON.parse(readFileSync(`${outfile}.map`, 'utf8')) as { sources: string[] };
      expect(sources.filter((source) => /credential-provider-(node|ini|sso|process)\//.test(source))).toEqual(
        [],
      );
      expect(sources.some((source) => source.endsWith('lambdas/shared/lambda-credentials.ts'))).toBe(true);
    },
  );
});
