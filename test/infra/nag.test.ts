import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, DefaultStackSynthesizer, Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, describe, expect, it } from 'vitest';
import { UnderstudyStack } from '../../infra/understudy-stack.js';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const outdirs: string[] = [];

afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

interface Report {
  pluginReports: {
    pluginName: string;
    violations: { ruleName: string; severity: string; violatingConstructs: { constructPath: string }[] }[];
  }[];
}

/**
 * Synthesizes an app with cdk-nag's AwsSolutions pack (v3 runs as a CDK validation plugin:
 * synthesis fails on an unacknowledged finding and writes validation-report.json) and
 * answers every finding the report lists, errors and warnings alike.
 */
function nagFindings(build: (app: App) => void): { findings: string[]; app: App } {
  const outdir = mkdtempSync(path.join(tmpdir(), 'understudy-nag-'));
  outdirs.push(outdir);
  // Bundling is esbuild's job and covered by `npm run synth`; skipping it keeps this test fast.
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
  build(app);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  let failure: unknown;
  try {
    app.synth();
  } catch (error) {
    failure = error;
  }
  const reportPath = path.join(outdir, 'validation-report.json');
  if (!existsSync(reportPath)) {
    if (failure) throw failure;
    return { findings: [], app };
  }
  const report = JSON.parse(readFileSync(reportPath, 'utf8')) as Report;
  const findings = report.pluginReports.flatMap((plugin) =>
    plugin.violations.flatMap((v) =>
      v.violatingConstructs.map((c) => `${v.severity} ${v.ruleName} at ${c.constructPath}`),
    ),
  );
  return { findings, app };
}

function acknowledgments(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id,
          reason,
        })),
      ),
  );
}

describe('cdk-nag AwsSolutions on the Understudy stack', () => {
  const { findings, app } = nagFindings((a) => {
    new UnderstudyStack(a, 'UnderstudyNag', {
      projectRoot,
      synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }),
    });
  });

  it('reports no unacknowledged finding, error or warning', () => {
    expect(findings).toEqual([]);
  });

  it('gives every acknowledgment a written reason', () => {
    const acknowledged = acknowledgments(app);
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const { path: at, id, reason } of acknowledged) {
      expect(reason.length, `${id} at ${at}`).toBeGreaterThan(60);
    }
  });
});

describe('the cdk-nag check itself', () => {
  it('reports a finding it is not told to ignore (so the test above can fail)', () => {
    const { findings } = nagFindings((a) => {
      new s3.Bucket(new Stack(a, 'Careless'), 'Bucket');
    });
    expect(findings).toEqual(
      expect.arrayContaining([expect.stringMatching(/AwsSolutions-S10 at Careless\/Bucket/)]),
    );
  });
});
