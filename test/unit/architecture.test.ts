import { createRequire } from 'node:module';
import * as path from 'node:path';
import { cruise, type ICruiseResult, type IViolation } from 'dependency-cruiser';
import { describe, expect, it } from 'vitest';

/** The layer rules (.dependency-cruiser.cjs), checked on the import graph as ARCHITECTURE.md states them. */
const ROOT = path.resolve(import.meta.dirname, '../..');
const config = createRequire(import.meta.url)(path.join(ROOT, '.dependency-cruiser.cjs'));

async function violations(baseDir: string, roots: string[]): Promise<IViolation[]> {
  const { output } = await cruise(roots, {
    ...config.options,
    baseDir,
    validate: true,
    ruleSet: { forbidden: config.forbidden },
  });
  return (output as ICruiseResult).summary.violations;
}

const describeViolation = (v: IViolation) =>
  `${v.rule.name}: ${v.from} → ${v.to}${v.cycle ? ` (cycle ${v.cycle.map((c) => c.name).join(' → ')})` : ''}`;

describe('the architecture', () => {
  it('keeps every layer rule over lambdas, infra, scripts and cli', async () => {
    const found = await violations(ROOT, ['lambdas', 'infra', 'scripts', 'cli']);
    expect(found.map(describeViolation)).toEqual([]);
  }, 60_000);

  it('catches a capability cycle, a kernel importing a capability, the AWS SDK and an adapter in the domain', async () => {
    const found = await violations(path.join(ROOT, 'test/fixtures/architecture'), ['lambdas']);
    const rules = new Set(found.map((v) => v.rule.name));
    expect([...rules].sort()).toEqual([
      'domain-imports-no-cloud',
      'domain-imports-no-outer-layer',
      'kernel-is-the-base',
      'no-capability-cycles',
      'no-circular',
    ]);
  }, 60_000);
});
