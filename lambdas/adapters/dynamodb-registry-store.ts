import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  RecordExistsError,
  type RegistryStore,
  type StoredRecord,
  type StoreWrite,
  VersionConflictError,
} from '../domain/kernel/store.js';

/**
 * RegistryStore over the single registry table: `pk` = collection, `sk` = id,
 * `d` = the record, `v` = its version (conditional writes give optimistic concurrency).
 */
export class DynamoDbRegistryStore implements RegistryStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get<T>(collection: string, id: string): Promise<StoredRecord<T> | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: collection, sk: id }, ConsistentRead: true }),
    );
    return Item ? { data: Item.d as T, version: Item.v as number } : undefined;
  }

  async create<T>(collection: string, id: string, data: T): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: collection, sk: id, d: data, v: 1 },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new RecordExistsError(collection, id);
      throw error;
    }
  }

  async replace<T>(collection: string, id: string, data: T, expectedVersion?: number): Promise<void> {
    const conditional = expectedVersion !== undefined;
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: collection, sk: id },
          UpdateExpression: 'SET d = :d ADD v :one',
          ConditionExpression: conditional ? 'v = :expected' : undefined,
          ExpressionAttributeValues: {
            ':d': data,
            ':one': 1,
            ...(conditional ? { ':expected': expectedVersion } : {}),
          },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new VersionConflictError(collection, id);
      throw error;
    }
  }

  async delete(collection: string, id: string): Promise<boolean> {
    const { Attributes } = await this.client.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: { pk: collection, sk: id },
        ReturnValues: 'ALL_OLD',
      }),
    );
    return Attributes !== undefined;
  }

  async list<T>(collection: string, idPrefix = ''): Promise<T[]> {
    const items: T[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: idPrefix ? 'pk = :pk AND begins_with(sk, :prefix)' : 'pk = :pk',
          ExpressionAttributeValues: { ':pk': collection, ...(idPrefix ? { ':prefix': idPrefix } : {}) },
          ExclusiveStartKey: startKey,
          ConsistentRead: true,
        }),
      );
      for (const item of page.Items ?? []) items.push(item.d as T);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  async increment(
    collection: string,
    id: string,
    options: { abortSignal?: AbortSignal } = {},
  ): Promise<number> {
    const { Attributes } = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: collection, sk: id },
        UpdateExpression: 'ADD d :one, v :one',
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
      { abortSignal: options.abortSignal },
    );
    return Attributes?.d as number;
  }

  async transact(writes: readonly StoreWrite[]): Promise<void> {
    const TableName = this.tableName;
    const items = writes.map((w) => {
      const Key = { pk: w.collection, sk: w.id };
      if (w.kind === 'create') {
        return {
          Put: {
            TableName,
            Item: {
              ...Key,
              d: w.data,
              v: 1,
              ...(w.expiresAt === undefined ? {} : { expiresAt: w.expiresAt }),
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        };
      }
      if (w.kind === 'replace') {
        return {
          Update: {
            TableName,
            Key,
            UpdateExpression: 'SET d = :d ADD v :one',
            ConditionExpression: 'v = :expected',
            ExpressionAttributeValues: { ':d': w.data, ':one': 1, ':expected': w.expectedVersion },
          },
        };
      }
      return {
        Delete: {
          TableName,
          Key,
          ConditionExpression: 'v = :expected',
          ExpressionAttributeValues: { ':expected': w.expectedVersion },
        },
      };
    });
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: items }));
    } catch (error) {
      if (error instanceof TransactionCanceledException) {
        // The reasons line up with the writes. A failed condition is another writer's change; a
        // TransactionConflict is another transaction on the same item in flight: retry both.
        const failed =
          error.CancellationReasons?.findIndex(
            (r) => r.Code === 'ConditionalCheckFailed' || r.Code === 'TransactionConflict',
          ) ?? -1;
        const write = writes[failed];
        if (write) throw new VersionConflictError(write.collection, write.id);
      }
      throw error;
    }
  }
}
