import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { IMPLEMENTED_OPERATIONS } from '../../lambdas/control/operations-list.js';
import { DOC, README, renderedDoc, renderedReadme } from '../../scripts/gen-operations-table.js';

describe('the operations tables', () => {
  it("README.md's summary is what scripts/gen-operations-table.ts writes", () => {
    const readme = readFileSync(README, 'utf8');
    expect(readme).toBe(renderedReadme(readme));
  });
});

describe('docs/operations.md', () => {
  const doc = readFileSync(DOC, 'utf8');

  it('is what scripts/gen-operations-table.ts writes (run it after adding an operation)', () => {
    expect(doc).toBe(renderedDoc(doc));
  });

  it('names every implemented SageMaker operation once, under a capability', () => {
    for (const operation of IMPLEMENTED_OPERATIONS) {
      const lines = doc.split('\n').filter((line) => line.includes(`| \`${operation}\` |`));
      expect(lines, operation).toHaveLength(1);
      expect(lines[0], operation).not.toMatch(/^\| Other \|/);
    }
  });
});
