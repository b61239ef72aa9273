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
  await build({
    entryPoints: [path.join(root, FUNCTIONS[name].entry)],
    bundle: true,
    platform: 'node',
    format: BUNDLING.format,
    target: BUNDLING.target,
    minify: BUNDLING.minify,
    sourcemap: BUNDLING.sourceMap,
    sourcesContent: BUNDLING.sourcesContent,
    mainFields: [...BUNDLING.mainFields],
    external: externalModules(name),
    banner: { js: BUNDLING.banner },
    define: BUNDLING.define,
    alias: Object.fromEntries(
      Object.entries(BUNDLING.alias).map(([from, to]) => [from, path.join(root, to)]),
    ),
    outfile,
    logLevel: 'silent',
  });
}
