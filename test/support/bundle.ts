import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { BUNDLING, externalModules, FUNCTIONS, type FunctionName } from '../../lambdas/functions.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Bundles one function as the stack's NodejsFunction does (infra/constructs/understudy-function.ts:
 * BUNDLING and externalModules), into `outfile`. Put it inside the project so that the bundle's
 * external imports (onnxruntime-node) resolve from its node_modules, as they resolve from the
 * layer in Lambda.
 */
export async function bundleFunction(name: FunctionName, outfile: string): Promise<void> {
  await bundleEntry(FUNCTIONS[name].entry, outfile, externalModules(name));
}

/** Bundles any entry (a path from the project root) with the stack's options. */
export async function bundleEntry(entry: string, outfile: string, external: string[] = []): Promise<void> {
  await build({
    entryPoints: [path.join(root, entry)],
    bundle: true,
    platform: 'node',
    format: BUNDLING.format,
    target: BUNDLING.target,
    minify: BUNDLING.minify,
    sourcemap: BUNDLING.sourceMap,
    sourcesContent: BUNDLING.sourcesContent,
    mainFields: [...BUNDLING.mainFields],
    external,
    banner: { js: BUNDLING.banner },
    define: BUNDLING.define,
    inject: BUNDLING.inject.map((file) => path.join(root, file)),
    alias: Object.fromEntries(
      Object.entries(BUNDLING.alias).map(([from, to]) => [from, path.join(root, to)]),
    ),
    outfile,
    logLevel: 'silent',
  });
}
