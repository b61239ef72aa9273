import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { EventClaims } from '../domain/capture/shadow-batch.js';

/** Queue retention (4 days) plus a day: no copy of an event can arrive after its claim expires. */
const CLAIM_TTL_SECONDS = 5 * 24 * 3600;
/** DynamoDB's limit of items per transaction. */
const MAX_PER_TRANSACTION = 100;

/**
 * First-delivery claims on event ids in the registry table (`pk` MirrorClaim, expiring
 * through the table's TTL): a batch claims all its events in one conditional transaction;
 * when some were claimed before, the transaction is cancelled with reasons naming them, and
 * the rest are claimed again without them. A transaction that fails for any other reason
 * falls back to one conditional put per event.
 */
export class DynamoDbEventClaims implements EventClaims {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: () => number = Date.now,
  ) {}

  async claimAll(eventIds: readonly string[]): Promise<ReadonlySet<string>> {
    const claimed = new Set<string>();
    const unique = [...new Set(eventIds)];
    for (let i = 0; i < unique.length; i += MAX_PER_TRANSACTION) {
      for (const id of await this.claimChunk(unique.slice(i, i + MAX_PER_TRANSACTION))) claimed.add(id);
    }
    return claimed;
  }

  private item(id: string, now: number) {
    return {
      pk: 'MirrorClaim',
      sk: id,
      d: { claimedAt: new Date(now).toISOString() },
      v: 1,
      expiresAt: Math.floor(now / 1000) + CLAIM_TTL_SECONDS,
    };
  }

  private async claimChunk(ids: string[]): Promise<string[]> {
    let pending = ids;
    while (pending.length > 0) {
      const now = this.clock();
      try {
        await this.client.send(
          new TransactWriteCommand({
            TransactItems: pending.map((id) => ({
              Put: {
                TableName: this.tableName,
                Item: this.item(id, now),
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            })),
          }),
        );
        return pending;
      } catch (error) {
        const reasons =
          error instanceof TransactionCanceledException ? (error.CancellationReasons ?? []) : [];
        const taken = new Set(pending.filter((_, i) => reasons[i]?.Code === 'ConditionalCheckFailed'));
        // Cancelled for another reason (a conflicting transaction, an emulator that cannot do
        // concurrent transactions): claim one by one instead.
        if (taken.size === 0) return this.claimEach(pending);
        pending = pending.filter((id) => !taken.has(id));
      }
    }
    return pending;
  }

  private async claimEach(ids: readonly string[]): Promise<string[]> {
    const now = this.clock();
    const claimed = await Promise.all(
      ids.map(async (id) => {
        try {
          await this.client.send(
            new PutCommand({
              TableName: this.tableName,
              Item: this.item(id, now),
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
          );
          return id;
        } catch (error) {
          if (error instanceof ConditionalCheckFailedException) return undefined;
          throw error;
        }
      }),
    );
    return claimed.filter((id): id is string => id !== undefined);
  }
}
