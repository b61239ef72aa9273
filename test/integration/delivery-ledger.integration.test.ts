import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbDeliveryLedger } from '../../lambdas/adapters/dynamodb-delivery-ledger.js';
import type { Admission } from '../../lambdas/domain/mirroring/delivery-ledger.js';
import { env, unique } from './platform.js';

/** The DynamoDB delivery ledger on the platform's emulator, on a scratch table of the registry's shape. */
const raw = new DynamoDBClient({
  endpoint: env.AWS_ENDPOINT_URL,
  region: env.AWS_REGION ?? 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
const client = DynamoDBDocumentClient.from(raw);
const tableName = unique('ledger');

beforeAll(async () => {
  await raw.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    }),
  );
});

const kinds = (admissions: ReadonlyMap<string, Admission>) =>
  Object.fromEntries([...admissions].map(([id, a]) => [id, a.kind]));

describe('DynamoDbDeliveryLedger', () => {
  it('admits an event to one attempt, again to the same attempt, and to no other until it is released or done', async () => {
    let now = 1_000_000_000_000;
    const ledger = new DynamoDbDeliveryLedger(client, tableName, { staleAfterMs: 90_000, clock: () => now });
    const [a, b, c] = [unique('ev'), unique('ev'), unique('ev')];
    expect(kinds(await ledger.admit([a, b, c], 'first'))).toEqual({
      [a]: 'admitted',
      [b]: 'admitted',
      [c]: 'admitted',
    });
    // The same attempt asking again (an SDK retry, a fallback) gets its own events back.
    expect(kinds(await ledger.admit([a], 'first'))).toEqual({ [a]: 'admitted' });
    expect(kinds(await ledger.admit([a, b, c], 'second'))).toEqual({ [a]: 'busy', [b]: 'busy', [c]: 'busy' });

    expect(await ledger.complete([a], 'first')).toEqual([]);
    await ledger.release(b, 'first', new Set(['capture']));
    const second = await ledger.admit([a, b, c], 'second');
    expect(kinds(second)).toEqual({ [a]: 'duplicate', [b]: 'admitted', [c]: 'busy' });
    expect(second.get(b)).toEqual({ kind: 'admitted', done: new Set(['capture']), tookOver: 'released' });

    // Past the stale limit the first attempt is dead: its hold may be taken over, and it may
    // no longer mark the event done.
    now += 90_001;
    expect(await ledger.admit([c], 'third')).toEqual(
      new Map([[c, { kind: 'admitted', done: new Set(), tookOver: 'stale' }]]),
    );
    expect(await ledger.complete([c], 'first')).toEqual([c]);
    expect(await ledger.complete([c], 'third')).toEqual([]);
  });

  it('admits each event to exactly one of many attempts racing for it', async () => {
    const ledger = new DynamoDbDeliveryLedger(client, tableName, { staleAfterMs: 90_000 });
    const events = Array.from({ length: 40 }, () => unique('race'));
    const attempts = Array.from({ length: 8 }, (_, i) => `attempt-${i}`);
    const results = await Promise.all(attempts.map((holder) => ledger.admit(events, holder)));
    for (const event of events) {
      const admitted = results.filter((r) => r.get(event)?.kind === 'admitted');
      expect(admitted, event).toHaveLength(1);
      expect(results.filter((r) => r.get(event)?.kind === 'busy')).toHaveLength(attempts.length - 1);
    }
  });
});

describe('DynamoDbDeliveryLedger capture intents', () => {
  it('hands the objects an attempt meant to write to whoever takes its hold over, and forgets them when done', async () => {
    let now = 1_000_000_000_000;
    const ledger = new DynamoDbDeliveryLedger(client, tableName, { staleAfterMs: 90_000, clock: () => now });
    const event = unique('ev');
    await ledger.admit([event], 'first');
    await ledger.intend(event, 'first', new Map([['capture', 's3://b/captures/x.jsonl']]));
    // Only the holder may record intents.
    await expect(ledger.intend(event, 'other', new Map([['capture', 's3://b/y']]))).rejects.toThrow();
    now += 90_001;
    const taken = await ledger.admit([event], 'second');
    expect(taken.get(event)).toEqual({
      kind: 'admitted',
      done: new Set(),
      tookOver: 'stale',
      intents: new Map([['capture', 's3://b/captures/x.jsonl']]),
    });
    expect(await ledger.complete([event], 'second')).toEqual([]);
    expect(kinds(await ledger.admit([event], 'third'))).toEqual({ [event]: 'duplicate' });
  });
});
