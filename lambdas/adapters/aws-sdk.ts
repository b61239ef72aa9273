import { createRequire } from 'node:module';

/**
 * Loads an AWS SDK package with require() rather than an ES module import, for the data plane's
 * cold start. The SDK's packages are CommonJS for Node (no ESM entry point), and importing one
 * from an ES module makes Node first scan its whole file for export names (cjs-module-lexer) and
 * wrap it: the six clients of the invoke function loaded in about twice the time of require()
 * (fresh processes, `npm run bench -- cold-start` notes). The same module object either way, so
 * `instanceof` on SDK exceptions holds wherever they were loaded from. In Lambda, require()
 * also finds the runtime's SDK through NODE_PATH, as onnxruntime-node is found in its layer.
 * Types still come from `import type`, which costs nothing at run time.
 */
export const requireSdk = createRequire(import.meta.url) as <T>(name: string) => T;
