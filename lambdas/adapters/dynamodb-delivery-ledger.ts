import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Admission, DeliveryLedger } from '../domain/mirroring/delivery-ledger.js';

/** Queue retention (4 days) plus a day: no copy of an event can arrive after its entry expires. */
const ENTRY_TTL_SECONDS = 5 * 24 * 3600;
const PARTITION = 'MirrorLedger';

interface Entry {
  readonly state?: 'held' | 'released' | 'done';
  readonly holder?: string;
  readonly heldAt?: number;
  readonly parts?: readonly string[];
  readonly intents?: Readonly<Record<string, string>>;
}

export interface DynamoDbDeliveryLedgerOptions {
  /**
   * How long a hold lasts before another delivery may take it over: longer than the consuming
   * function's timeout, after which Lambda has certainly stopped the attempt that holds it.
   */
  readonly staleAfterMs: number;
  readonly clock?: () => number;
}

/**
 * The delivery ledger as one item per event in the registry table (`pk` MirrorLedger, `sk`
 * the event id, expiring through the table's TTL). Every transition is one conditional
 * UpdateItem, issued for all events of a batch side by side: a single-item condition is
 * atomic in DynamoDB, costs one write unit (a transaction costs two) and needs no fallback.
 */
export class DynamoDbDeliveryLedger implements DeliveryLedger {
  private readonly clock: () => number;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly options: DynamoDbDeliveryLedgerOptions,
  ) {
    this.clock = options.clock ?? Date.now;
  }

  async admit(eventIds: readonly string[], holder: string): Promise<ReadonlyMap<string, Admission>> {
    const admissions = new Map<string, Admission>();
    await Promise.all(
      [...new Set(eventIds)].map(async (id) => {
        const admission = await this.admitOne(id, holder).catch(
          (error: unknown): Admission => ({ kind: 'unavailable', reason: (error as Error).message }),
        );
        admissions.set(id, admission);
      }),
    );
    return admissions;
  }

  private async admitOne(eventId: string, holder: string): Promise<Admission> {
    const now = this.clock();
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: PARTITION, sk: eventId },
          UpdateExpression: 'SET #state = :held, holder = :holder, heldAt = :now, expiresAt = :expires',
          ConditionExpression:
            'attribute_not_exists(pk) OR holder = :holder OR #state = :released OR (#state = :held AND heldAt < :staleBefore)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':held': 'held',
            ':released': 'released',
            ':holder': holder,
            ':now': now,
            ':staleBefore': now - this.options.staleAfterMs,
            ':expires': Math.floor(now / 1000) + ENTRY_TTL_SECONDS,
          },
          ReturnValues: 'ALL_OLD',
        }),
      );
      const before = Attributes as Entry | undefined;
      const done = new Set(before?.parts ?? []);
      if (!before || before.holder === holder) return { kind: 'admitted', done };
      return {
        kind: 'admitted',
        done,
        tookOver: before.state === 'released' ? 'released' : 'stale',
        ...(before.intents ? { intents: new Map(Object.entries(before.intents)) } : {}),
      };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const { Item } = await this.client.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { pk: PARTITION, sk: eventId },
          ConsistentRead: true,
        }),
      );
      return (Item as Entry | undefined)?.state === 'done' ? { kind: 'duplicate' } : { kind: 'busy' };
    }
  }

  async complete(eventIds: readonly string[], holder: string): Promise<readonly string[]> {
    const failed: string[] = [];
    await Promise.all(
      [...new Set(eventIds)].map((id) =>
        this.transition(id, holder, 'SET #state = :done REMOVE parts, intents', { ':done': 'done' }).catch(
          () => {
            failed.push(id);
          },
        ),
      ),
    );
    return failed;
  }

  async release(eventId: string, holder: string, done: ReadonlySet<string>): Promise<void> {
    await this.transition(eventId, holder, 'SET #state = :released, parts = :parts', {
      ':released': 'released',
      ':parts': [...done],
    });
  }

  async intend(eventId: string, holder: string, intents: ReadonlyMap<string, string>): Promise<void> {
    await this.transition(eventId, holder, 'SET intents = :intents', {
      ':intents': Object.fromEntries(intents),
    });
  }

  /** A change only the entry's holder may make (a hold taken over makes it fail). */
  private async transition(
    eventId: string,
    holder: string,
    update: string,
    values: Record<string, unknown>,
  ): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: PARTITION, sk: eventId },
        UpdateExpression: update,
        ConditionExpression: 'holder = :holder',
        // DynamoDB refuses a name the expression does not use.
        ...(update.includes('#state') ? { ExpressionAttributeNames: { '#state': 'state' } } : {}),
        ExpressionAttributeValues: { ':holder': holder, ...values },
      }),
    );
  }
}
