import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { mirrorQueueDrained, understudy, unique } from './platform.js';
import { captureLines, deploy, invoke, startExperiment } from './shadow-support.js';

/**
 * Exactness under load (issue 8): with every request captured and mirrored, a busy machine
 * may make the platform slower, never lossy. Two CPU-bound processes run beside the platform
 * on this 2-core machine while concurrent clients invoke the endpoint; the SQS pollers keep
 * their default concurrency.
 */
const REQUESTS = 3000;
const CLIENTS = 16;
const BURNERS = 2;

/**
 * Spins until its parent is gone (so a test process that dies without its afterAll leaves no
 * orphan burning the machine), and for ten minutes at most.
 */
const BURNER = `const parent = process.ppid, end = Date.now() + 600000;
for (;;) { for (let i = 0; i < 1e7; i++); if (process.ppid !== parent || Date.now() > end) process.exit(0); }`;

const burners: ChildProcess[] = [];

function stopBurners() {
  for (const burner of burners.splice(0)) if (burner.exitCode === null) burner.kill('SIGKILL');
}

afterAll(stopBurners);

/** Polls the shadow report until its counts have not moved for `quietMs`. */
async function settledReport(name: string, quietMs: number, timeoutMs: number) {
  const started = Date.now();
  let last = '';
  let since = Date.now();
  for (;;) {
    const report = await understudy('DescribeShadowReport', { InferenceExperimentName: name });
    const counts = JSON.stringify([report.RequestsMirrored, report.RequestsCompared]);
    if (counts !== last) {
      last = counts;
      since = Date.now();
    } else if (Date.now() - since >= quietMs || Date.now() - started > timeoutMs) return report;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

describe('under load on a busy machine', () => {
  it('answers every request, and mirrors, compares and captures each exactly once', async () => {
    const name = unique('load');
    await deploy(name, 100);
    await startExperiment(name, `${name}-twin`, 100);

    const started = Date.now();
    for (let i = 0; i < BURNERS; i++)
      burners.push(spawn(process.execPath, ['-e', BURNER], { stdio: 'ignore' }));
    const statuses: Record<string, number> = {};
    let answered = 0;
    let sendMs: number;
    try {
      await Promise.all(
        Array.from({ length: CLIENTS }, async (_, client) => {
          for (let i = client; i < REQUESTS; i += CLIENTS) {
            let status: string;
            try {
              await invoke(name, [i, i / 2, -i, 1]);
              answered++;
              status = '200';
            } catch (error) {
              // The runtime client makes one attempt: every failure is seen here, with its
              // status, or as no response at all.
              status = String(
                (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ??
                  `no response (${(error as Error).name})`,
              );
            }
            statuses[status] = (statuses[status] ?? 0) + 1;
          }
        }),
      );
      sendMs = Date.now() - started;
      // The burners stay on while the shadow side catches up: that is the loaded part too.
      await mirrorQueueDrained(300_000);
    } finally {
      stopBurners();
    }
    const report = await settledReport(name, 5000, 120_000);
    const production = await captureLines(`captures/${name}/${name}/main/`);
    const shadow = await captureLines(`captures/${name}/${name}/shadow/`);
    const ids = (lines: typeof production) => lines.map((l) => l.eventMetadata.eventId).sort();
    const fiveXx = Object.entries(statuses)
      .filter(([status]) => /^5\d\d$/.test(status))
      .reduce((sum, [, count]) => sum + count, 0);
    console.log(
      JSON.stringify({
        sent: REQUESTS,
        answered,
        mirrored: report.RequestsMirrored,
        compared: report.RequestsCompared,
        capturedProduction: production.length,
        capturedShadow: shadow.length,
        duplicateEventIds: {
          production: production.length - new Set(ids(production)).size,
          shadow: shadow.length - new Set(ids(shadow)).size,
        },
        // Figures the platform reports for copies it gave up on, where it has them.
        dropped: Object.fromEntries(Object.entries(report).filter(([key]) => /Dropped/.test(key))),
        fiveXx,
        statuses,
        sendMs,
        durationMs: Date.now() - started,
      }),
    );

    expect(fiveXx).toBe(0);
    expect(statuses).toEqual({ 200: REQUESTS });
    expect(report.RequestsMirrored).toBe(answered);
    expect(report.RequestsCompared).toBe(answered);
    expect(production).toHaveLength(answered);
    expect(shadow).toHaveLength(answered);
    expect(new Set(ids(production)).size).toBe(production.length);
    expect(new Set(ids(shadow)).size).toBe(shadow.length);
    expect(ids(shadow)).toEqual(ids(production));
  }, 900_000);
});
