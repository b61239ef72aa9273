/**
 * Extracts, from botocore's SageMaker service model in ../shared/aws-api, the input shapes
 * of the operations Understudy implements (documentation stripped) into
 * lambdas/control/api-model.json. The control plane validates requests against it, so field
 * names, enums, patterns and limits are the service model's own. Re-run when adding an
 * operation: `npx tsx scripts/gen-api-model.ts`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { IMPLEMENTED_OPERATIONS } from '../lambdas/control/operations-list.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const source = path.resolve(root, '..', 'shared', 'aws-api', 'sagemaker-2017-07-24.service-2.json.gz');
const model = JSON.parse(gunzipSync(readFileSync(source)).toString('utf8'));

type Shape = Record<string, unknown> & { type: string };
const shapes: Record<string, Shape> = model.shapes;
const kept: Record<string, Shape> = {};

function keep(name: string): void {
  if (kept[name]) return;
  const { documentation: _doc, ...shape } = shapes[name] as Shape;
  const members = shape.members as Record<string, { shape: string }> | undefined;
  if (members) {
    shape.members = Object.fromEntries(
      Object.entries(members).map(([member, ref]) => [member, { shape: ref.shape }]),
    );
  }
  kept[name] = shape;
  for (const ref of Object.values(members ?? {})) keep(ref.shape);
  for (const key of ['member', 'key', 'value'] as const) {
    const ref = shape[key] as { shape: string } | undefined;
    if (ref) {
      shape[key] = { shape: ref.shape };
      keep(ref.shape);
    }
  }
}

const operations: Record<string, { input?: string }> = {};
for (const op of IMPLEMENTED_OPERATIONS) {
  const spec = model.operations[op];
  if (!spec) throw new Error(`operation ${op} is not in the SageMaker service model`);
  operations[op] = spec.input ? { input: spec.input.shape } : {};
  if (spec.input) keep(spec.input.shape);
}
const out = path.join(root, 'lambdas', 'control', 'api-model.json');
writeFileSync(out, `${JSON.stringify({ operations, shapes: kept })}\n`);
console.log(`wrote ${out}: ${Object.keys(operations).length} operations, ${Object.keys(kept).length} shapes`);
