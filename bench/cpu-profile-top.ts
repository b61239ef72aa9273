/**
 * The top items of a V8 `--cpu-prof` profile, for the notes: self time per function, self
 * time per package or project folder, and total (inclusive) time per function, as shares of
 * the busy samples (idle ones left out).
 *
 *   npx tsx bench/cpu-profile-top.ts PROFILE.cpuprofile [N]
 *
 * Inclusive time counts a function once per sample even when it recurses. Hand-written: the
 * profile format is a small JSON tree, and the tools that read it (Chrome DevTools,
 * speedscope) are interactive.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly children?: number[];
}
interface Profile {
  readonly nodes: ProfileNode[];
  readonly samples: number[];
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/(node_modules\/)/, '$1')
    .replace(/^.*\/wt-[^/]+\//, '');
  return `${functionName || '(anonymous)'} ${file ? `${file}:${lineNumber + 1}` : ''}`.trim();
}

const [file, top = '25'] = process.argv.slice(2);
if (!file) throw new Error('usage: cpu-profile-top.ts PROFILE.cpuprofile [N]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

/** Where a function lives: its package, its project folder, `node:` internals or a V8 entry. */
function owner(node: ProfileNode): string {
  const url = node.callFrame.url.replace(/^file:\/\//, '');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  if (url.startsWith('node:')) return 'node: internals';
  if (!url) return `(native) ${node.callFrame.functionName}`;
  const project = /\/wt-[^/]+\/(.*)$/.exec(url)?.[1] ?? url;
  return project.split('/').slice(0, -1).join('/') || project;
}

const self = new Map<string, number>();
const selfByOwner = new Map<string, number>();
const total = new Map<string, number>();
let counted = 0;
for (const id of profile.samples) {
  const node = byId.get(id);
  if (!node) continue;
  const name = label(node);
  if (name.startsWith('(idle)')) continue;
  counted++;
  self.set(name, (self.get(name) ?? 0) + 1);
  const where = owner(node);
  selfByOwner.set(where, (selfByOwner.get(where) ?? 0) + 1);
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const n = byId.get(at);
    if (!n) break;
    const l = label(n);
    if (seen.has(l)) continue;
    seen.add(l);
    total.set(l, (total.get(l) ?? 0) + 1);
  }
}
const print = (title: string, counts: Map<string, number>) => {
  console.log(`\n${title} (${counted} busy samples)`);
  for (const [name, n] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) {
    console.log(`  ${((100 * n) / counted).toFixed(1).padStart(5)}%  ${name}`);
  }
};
print('self time', self);
print('self time by package or folder', selfByOwner);
print('total time', total);
