import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ENV, FUNCTIONS, type FunctionName } from '../../lambdas/functions.js';
import { bundleEntry, bundleFunction } from '../support/bundle.js';

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
    "%s imports, exports its handler, carries Lambda's credential sources only",
    async (name) => {
      const outfile = path.join(dir, `${name}.mjs`);
      await bundleFunction(name, outfile);
      const { stdout } = await run(process.execPath, [runner, outfile], {
        env: {
          PATH: process.env.PATH ?? '',
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

/** Calls the bundle's handler and prints the stack trace it throws. */
const TRACE = `import(process.argv[2]).then((m) => {
  try { m.handler(); } catch (e) { console.log(JSON.stringify({ stack: e.stack })); } })`;

// Lambda starts the functions without --enable-source-maps (BUNDLING.inject maps traces instead).
describe("a bundle's stack traces", () => {
  const fixture = 'test/fixtures/bundling/throws.ts';
  const traceOf = async (outfile: string) => {
    const runner = path.join(dir, 'trace.cjs');
    writeFileSync(runner, TRACE);
    const { stdout } = await run(process.execPath, [runner, outfile], {
      env: { PATH: process.env.PATH ?? '' },
    });
    return (JSON.parse(stdout.trim()) as { stack: string }).stack.split('\n');
  };

  it('name the TypeScript functions, files and lines', async () => {
    const outfile = path.join(dir, 'throws.mjs');
    await bundleEntry(fixture, outfile);
    const [header, first, second] = await traceOf(outfile);
    expect(header).toBe('Error: thrown by the fixture');
    expect(first).toBe(`    at validateRequest (${path.resolve(fixture)}:8:9)`);
    // An exported function's definition carries no name in the map, and its caller is outside
    // the bundle: it keeps its minified name, as under Node's own --enable-source-maps.
    expect(second).toMatch(/^ {4}at \S+ \(/);
    expect(second?.endsWith(` (${path.resolve(fixture)}:4:10)`)).toBe(true);
  });

  it("keep the bundle's own positions when its map is missing", async () => {
    const outfile = path.join(dir, 'throws-unmapped.mjs');
    await bundleEntry(fixture, outfile);
    rmSync(`${outfile}.map`);
    const [header, first] = await traceOf(outfile);
    expect(header).toBe('Error: thrown by the fixture');
    expect(first).toMatch(/throws-unmapped\.mjs:\d+:\d+\)?$/);
  });
});
