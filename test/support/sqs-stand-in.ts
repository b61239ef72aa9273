/**
 * A tiny stand-in for SQS (SendMessage, AWS JSON 1.0) and S3 (PutObject) on 127.0.0.1, so the
 * real SDK clients, the real mirror adapter and its abort path can be exercised offline and
 * made slow on purpose. Every answer waits `delayMs`; a request whose client gives up first
 * (its connection closes) is counted as abandoned and never answered.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandInOptions {
  /** How long each request waits for its answer. */
  delayMs?: number;
}

export interface SqsStandIn {
  endpoint: string;
  queueUrl: string;
  /** Request counts: received, answered, and given up on by the client before the answer. */
  readonly counts: { received: number; answered: number; abandoned: number };
  /** Bodies of the SendMessage calls answered. */
  readonly delivered: string[];
  /** Keys of the PutObject calls answered. */
  readonly putKeys: string[];
  delayMs: number;
  close(): Promise<void>;
}

export async function startSqsStandIn(options: StandInOptions = {}): Promise<SqsStandIn> {
  const pending = new Set<NodeJS.Timeout>();
  const standIn: SqsStandIn = {
    endpoint: '',
    queueUrl: '',
    counts: { received: 0, answered: 0, abandoned: 0 },
    delivered: [],
    putKeys: [],
    delayMs: options.delayMs ?? 0,
    close: () => Promise.resolve(),
  };
  const answer = (req: IncomingMessage, res: ServerResponse, body: string) => {
    if (req.method === 'PUT') {
      standIn.putKeys.push(decodeURIComponent(new URL(req.url ?? '/', 'http://stand-in').pathname));
      res.writeHead(200, { ETag: '"stand-in"' }).end();
      return;
    }
    const target = String(req.headers['x-amz-target'] ?? '');
    if (target !== 'AmazonSQS.SendMessage') {
      res.writeHead(400, { 'Content-Type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify({ __type: 'com.amazonaws.sqs#InvalidAction', message: `not here: ${target}` }));
      return;
    }
    const { MessageBody } = JSON.parse(body) as { MessageBody: string };
    standIn.delivered.push(MessageBody);
    res.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.0' });
    res.end(
      JSON.stringify({
        MessageId: randomUUID(),
        MD5OfMessageBody: createHash('md5').update(MessageBody).digest('hex'),
      }),
    );
  };
  const server = createServer((req, res) => {
    standIn.counts.received++;
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    // Listened for at once: a caller may give up while its body is still on the way.
    res.on('close', () => {
      if (res.writableFinished) return;
      standIn.counts.abandoned++;
      if (timer) {
        clearTimeout(timer);
        pending.delete(timer);
      }
    });
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (res.destroyed) return;
      timer = setTimeout(() => {
        if (timer) pending.delete(timer);
        if (res.destroyed) return;
        standIn.counts.answered++;
        answer(req, res, Buffer.concat(chunks).toString('utf8'));
      }, standIn.delayMs);
      pending.add(timer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  standIn.endpoint = `http://127.0.0.1:${port}`;
  standIn.queueUrl = `${standIn.endpoint}/123456789012/mirror`;
  standIn.close = async () => {
    for (const timer of pending) clearTimeout(timer);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return standIn;
}

/** Client settings that point an SDK client at the stand-in. */
export function standInClientConfig(standIn: SqsStandIn) {
  return {
    endpoint: standIn.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDSTANDIN', secretAccessKey: 'stand-in-secret' },
  };
}
