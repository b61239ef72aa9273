import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Stack traces of a deployed function name TypeScript files and lines, read from the bundle's
 * source map when a trace is first formatted. Every bundle runs this module first
 * (BUNDLING.inject in lambdas/functions.ts); nothing else loads it, so the local platform and
 * the tests, which run the TypeScript, keep their own mapping.
 *
 * Node's --enable-source-maps gives the same traces, but does its work while the bundle loads:
 * it reads and parses the map (1 MB for the invoke function) and walks the bundle's text, char
 * by char, for its line lengths. That took 7-10 ms of the invoke function's cold start
 * (`npm run bench -- cold-start`), paid by every cold start for traces most never print. Node
 * offers the decoding (module.SourceMap) but maps call sites only under that flag, so the
 * mapping of frames is written here; libraries that do it (source-map-support) bring a map
 * decoder of their own besides.
 */

/** In the bundle, every module's import.meta.url is the bundle's. */
const bundleUrl = import.meta.url;
const bundleFile = fileURLToPath(bundleUrl);
const mapFile = `${bundleFile}.map`;
const mapUrl = pathToFileURL(mapFile);

/** Read once, at the first trace; null when the bundle has no readable map. */
let map: SourceMap | null | undefined;

function sourceMap(): SourceMap | null {
  if (map === undefined) {
    try {
      map = new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')));
    } catch {
      map = null;
    }
  }
  return map;
}

/** A map's sources are relative to the map file. */
function sourcePath(source: string): string {
  const url = new URL(source, mapUrl);
  return url.protocol === 'file:' ? fileURLToPath(url) : url.href;
}

/** The original name at a position of the bundle, where the map records one. */
function nameAt(sm: SourceMap, line: number | null, column: number | null): string | undefined {
  if (line === null || column === null) return undefined;
  const origin = sm.findOrigin(line, column);
  return 'name' in origin ? origin.name : undefined;
}

/** Whether a call site is in the bundle (ES module frames name it by URL). */
function inBundle(site: NodeJS.CallSite | undefined): boolean {
  const file = site?.getFileName();
  return file === bundleUrl || file === bundleFile;
}

/**
 * One frame, as V8 writes it, with the bundle's position replaced by the original one, and the
 * minified function name by the original where the map knows it: recorded at the function's
 * definition, or else at the call in the frame below, as Node's own mapping looks for it.
 */
function frame(site: NodeJS.CallSite, caller: NodeJS.CallSite | undefined, sm: SourceMap): string {
  const text = site.toString();
  const file = site.getFileName();
  const line = site.getLineNumber();
  const column = site.getColumnNumber();
  if (!inBundle(site) || line === null || column === null) return text;
  const origin = sm.findOrigin(line, column);
  if (!('fileName' in origin)) return text;
  const location = `${sourcePath(origin.fileName)}:${origin.lineNumber}:${origin.columnNumber}`;
  const name =
    nameAt(sm, site.getEnclosingLineNumber(), site.getEnclosingColumnNumber()) ??
    (caller && inBundle(caller) ? nameAt(sm, caller.getLineNumber(), caller.getColumnNumber()) : undefined);
  if (name) return `${name} (${location})`;
  return text.replace(`${file}:${line}:${column}`, location);
}

function describe(error: Error): string {
  try {
    return Error.prototype.toString.call(error);
  } catch {
    return '<error>';
  }
}

Error.prepareStackTrace = (error: Error, sites: NodeJS.CallSite[]) => {
  // The map is read only for a trace that passes through the bundle.
  const sm = sites.some(inBundle) ? sourceMap() : null;
  const frames = sites.map((site, i) => `\n    at ${sm ? frame(site, sites[i + 1], sm) : site.toString()}`);
  return `${describe(error)}${frames.join('')}`;
};
