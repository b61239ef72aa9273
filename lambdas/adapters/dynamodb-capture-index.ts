import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  CAPTURE_INDEX,
  type CaptureIndex,
  type CaptureIndexEntry,
  indexKeys,
} from '../domain/data-capture/capture-index.js';

/** DynamoDB's most items in one BatchWriteItem. */
const BATCH = 25;
/** Unprocessed items are sent again this many times (with a short backoff) before giving up. */
const ATTEMPTS = 4;

/**
 * The capture index over the registry table, in the registry store's item layout
 * (`pk` collection, `sk` id, `d` record, `v` version) so the control plane reads it through
 * the store port; each item carries `expiresAt` (the table's TTL attribute) at the capture
 * retention. A batch's entries go out as BatchWriteItem calls of 25, side by side.
 */
export class DynamoDbCaptureIndex implements CaptureIndex {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly options: { retentionDays: number; now?: () => number },
  ) {
    if (!Number.isInteger(options.retentionDays) || options.retentionDays < 1) {
      throw new Error(`capture retention must be a positive number of days, got ${options.retentionDays}`);
    }
  }

  async record(entries: readonly CaptureIndexEntry[]): Promise<void> {
    const nowSeconds = Math.floor((this.options.now?.() ?? Date.now()) / 1000);
    const expiresAt = nowSeconds + this.options.retentionDays * 86_400;
    const items = entries.flatMap((entry) =>
      indexKeys(entry).map((sk) => ({
        PutRequest: { Item: { pk: CAPTURE_INDEX, sk, d: entry, v: 1, expiresAt } },
      })),
    );
    const chunks: (typeof items)[] = [];
    for (let i = 0; i < items.length; i += BATCH) chunks.push(items.slice(i, i + BATCH));
    await Promise.all(chunks.map((chunk) => this.write(chunk)));
  }

  private async write(requests: Record<string, unknown>[]): Promise<void> {
    let pending = requests;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= ATTEMPTS) throw new Error(`${pending.length} capture index entries not written`);
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
      const { UnprocessedItems } = await this.client.send(
        new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } }),
      );
      pending = (UnprocessedItems?.[this.tableName] ?? []) as Record<string, unknown>[];
    }
  }
}
