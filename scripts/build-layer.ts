/**
 * Builds the onnxruntime Lambda layer from the installed npm packages: copies
 * onnxruntime-node and onnxruntime-common into `layers/onnxruntime/build/nodejs/node_modules`
 * and keeps only the linux-x64 CPU binaries (the package ships every platform's, ~290 MB).
 * Skips the copy when the build is already current.
 */
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = path.join(root, 'layers', 'onnxruntime', 'build');
const modulesDir = path.join(buildDir, 'nodejs', 'node_modules');
const packages = ['onnxruntime-node', 'onnxruntime-common'];

function version(pkg: string): string {
  const manifest = JSON.parse(readFileSync(path.join(root, 'node_modules', pkg, 'package.json'), 'utf8'));
  return `${pkg}@${manifest.version as string}`;
}

function sizeOf(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    total += entry.isDirectory() ? sizeOf(full) : statSync(full).size;
  }
  return total;
}

const stamp = packages.map(version).join(' ');
const stampFile = path.join(buildDir, '.stamp');
if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) {
  console.log(`onnxruntime layer is current (${stamp}), ${(sizeOf(buildDir) / 2 ** 20).toFixed(1)} MiB`);
} else {
  rmSync(buildDir, { recursive: true, force: true });
  for (const pkg of packages) {
    cpSync(path.join(root, 'node_modules', pkg), path.join(modulesDir, pkg), { recursive: true });
  }
  const napiDir = path.join(modulesDir, 'onnxruntime-node', 'bin', 'napi-v6');
  for (const platform of readdirSync(napiDir)) {
    const platformDir = path.join(napiDir, platform);
    if (platform !== 'linux') {
      rmSync(platformDir, { recursive: true });
      continue;
    }
    for (const arch of readdirSync(platformDir)) {
      if (arch !== 'x64') rmSync(path.join(platformDir, arch), { recursive: true });
    }
  }
  writeFileSync(stampFile, stamp);
  console.log(`built onnxruntime layer (${stamp}): ${(sizeOf(buildDir) / 2 ** 20).toFixed(1)} MiB unzipped`);
}
