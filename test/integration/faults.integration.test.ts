import { readFileSync } from 'node:fs';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { pidFile } from '../../scripts/moto.js';
import { emulatorSqs, env, mirrorQueueDrained, understudy, unique } from './platform.js';
import { captureLines, deploy, invoke, startExperiment } from './shadow-support.js';

/**
 * The fast slice of issue 14's fault injection (the full run, with S3 refusing writes and the
 * platform killed mid-batch, is `npm run bench -- faults`): the emulator is stopped (SIGSTOP)
 * for 3 s mid-traffic and brought back, and some mirror messages are delivered twice (a copy
 * of their body sent again, as an at-least-once queue may). Every request is still captured
 * once per variant and compared once.
 */
const REQUESTS = 200;
const CLIENTS = 8;
const COPIES = 10;

/** The emulator the integration platform started (its pid file, by port). */
function motoPid(): number {
  const port = Number(new URL(env.AWS_ENDPOINT_URL ?? '').port);
  return Number(readFileSync(pidFile(port), 'utf8').trim());
}

describe('faults on the local platform', () => {
  it('captures and compares each answered request exactly once across an emulator stop and double deliveries', async () => {
    const name = unique('faults');
    await deploy(name, 100);
    await startExperiment(name, `${name}-twin`, 100);
    const pid = motoPid();
    const queueUrl = env.UNDERSTUDY_MIRROR_QUEUE_URL ?? '';
    let answered = 0;
    let sent = 0;
    let stop: Promise<void> | undefined;
    const copied = new Set<string>();
    let copies = 0;
    const statuses: Record<string, number> = {};
    let next = 0;
    await Promise.all([
      ...Array.from({ length: CLIENTS }, async () => {
        while (next < REQUESTS) {
          const i = next++;
          try {
            await invoke(name, [i, i / 2, -i, 1]);
            answered++;
            statuses[200] = (statuses[200] ?? 0) + 1;
          } catch (error) {
            const status = String(
              (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode,
            );
            statuses[status] = (statuses[status] ?? 0) + 1;
          }
          if (++sent === REQUESTS / 4) {
            stop = (async () => {
              process.kill(pid, 'SIGSTOP');
              try {
                await new Promise((resolve) => setTimeout(resolve, 3000));
              } finally {
                process.kill(pid, 'SIGCONT');
              }
            })();
          }
        }
      }),
      (async () => {
        // Peeks without hiding (VisibilityTimeout 0) and sends one body in three again, ten in
        // all: a peek counts towards the queue's maxReceiveCount, so it peeks seldom.
        while (copies < COPIES && (sent < REQUESTS || copies === 0)) {
          const { Messages = [] } = await emulatorSqs
            .send(
              new ReceiveMessageCommand({
                QueueUrl: queueUrl,
                MaxNumberOfMessages: 10,
                VisibilityTimeout: 0,
              }),
            )
            .catch(() => ({ Messages: [] }));
          for (const message of Messages) {
            if (!message.Body || copied.has(message.MessageId ?? '')) continue;
            copied.add(message.MessageId ?? '');
            if (copied.size % 3 !== 0) continue;
            if (copies >= COPIES) break;
            await emulatorSqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: message.Body }));
            copies++;
          }
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      })(),
    ]);
    await stop;
    await mirrorQueueDrained(120_000);
    const report = await understudy('DescribeShadowReport', { InferenceExperimentName: name });
    const production = await captureLines(`captures/${name}/${name}/main/`);
    const shadow = await captureLines(`captures/${name}/${name}/shadow/`);
    const ids = (lines: typeof production) => lines.map((l) => l.eventMetadata.eventId).sort();
    console.log(
      JSON.stringify({
        answered,
        statuses,
        copies,
        mirrored: report.RequestsMirrored,
        compared: report.RequestsCompared,
        production: production.length,
        shadow: shadow.length,
      }),
    );
    expect(copies).toBeGreaterThan(0);
    expect(statuses).toEqual({ 200: REQUESTS });
    expect(report.RequestsMirrored).toBe(answered);
    expect(report.RequestsCompared).toBe(answered);
    expect(production).toHaveLength(answered);
    expect(new Set(ids(production)).size).toBe(answered);
    expect(ids(shadow)).toEqual(ids(production));
  }, 120_000);
});
