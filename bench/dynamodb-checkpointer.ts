import { CreateTableCommand, type DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  type ScanCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { RunnableConfig } from '@langchain/core/runnables';
import {
  BaseCheckpointSaver,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointPendingWrite,
  type CheckpointTuple,
  compareWritesSortKeys,
  copyCheckpoint,
  getCheckpointId,
  type PendingWrite,
  type SerializerProtocol,
  WRITES_IDX_MAP,
  writesSortKey,
} from '@langchain/langgraph-checkpoint';

/**
 * A durable LangGraph checkpointer on DynamoDB (here: the same embedded store on disk that aios
 * uses), so both engines in the benchmark persist to one storage engine. One partition per thread:
 *   checkpoint  sk = `c#<ns>#<checkpointId>`              checkpoint, metadata, parent id
 *   write       sk = `w#<ns>#<checkpointId>#<taskId>#<idx>`  one pending write of a task
 * `<ns>` is URI-encoded, so a namespace can never be a prefix of another one's keys. Checkpoint
 * ids are uuid6, which sort by time, so the newest checkpoint is the last key of its namespace.
 * Checkpoints of format v < 4 (pending sends kept in the parent's writes) are not migrated: this
 * store only ever holds checkpoints written by the current LangGraph.
 */
export class DynamoDBCheckpointSaver extends BaseCheckpointSaver {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    serde?: SerializerProtocol,
  ) {
    super(serde);
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  /** Creates the table (pk/sk, on demand) if it is not there yet. */
  static async createTable(client: DynamoDBClient, tableName: string): Promise<void> {
    try {
      await client.send(
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
    } catch (error) {
      if ((error as Error).name !== 'ResourceInUseException') throw error;
    }
    await waitUntilTableExists(
      { client, maxWaitTime: 30, minDelay: 0.05, maxDelay: 0.2 },
      { TableName: tableName },
    );
  }

  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const threadId = requireString(config.configurable?.thread_id, 'thread_id');
    const ns: string = config.configurable?.checkpoint_ns ?? '';
    const checkpointId = getCheckpointId(config);
    let item: CheckpointItem | undefined;
    if (checkpointId) {
      const got = await this.doc.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { pk: threadKey(threadId), sk: checkpointKey(ns, checkpointId) },
          ConsistentRead: true,
        }),
      );
      item = got.Item as CheckpointItem | undefined;
    } else {
      const newest = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': threadKey(threadId), ':prefix': checkpointPrefix(ns) },
          ScanIndexForward: false,
          Limit: 1,
          ConsistentRead: true,
        }),
      );
      item = newest.Items?.[0] as CheckpointItem | undefined;
    }
    return item ? this.toTuple(item) : undefined;
  }

  async *list(config: RunnableConfig, options: CheckpointListOptions = {}): AsyncGenerator<CheckpointTuple> {
    const { before, filter } = options;
    let remaining = options.limit;
    const threadId: string | undefined = config.configurable?.thread_id;
    const ns: string | undefined = config.configurable?.checkpoint_ns;
    const onlyId: string | undefined = config.configurable?.checkpoint_id;
    const beforeId: string | undefined = before?.configurable?.checkpoint_id;
    const items = threadId === undefined ? this.scanCheckpoints() : this.queryCheckpoints(threadId, ns);
    for await (const item of items) {
      if (ns !== undefined && item.ns !== ns) continue;
      if (onlyId && item.checkpointId !== onlyId) continue;
      if (beforeId && item.checkpointId >= beforeId) continue;
      if (filter) {
        const metadata = (await this.serde.loadsTyped(item.metadataType, item.metadata)) as Record<
          string,
          unknown
        >;
        if (!Object.entries(filter).every(([key, value]) => metadata[key] === value)) continue;
      }
      if (remaining !== undefined) {
        if (remaining <= 0) return;
        remaining -= 1;
      }
      yield await this.toTuple(item);
    }
  }

  async put(
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    _newVersions: ChannelVersions,
  ): Promise<RunnableConfig> {
    const threadId = requireString(config.configurable?.thread_id, 'thread_id');
    const ns: string = config.configurable?.checkpoint_ns ?? '';
    const [[checkpointType, serializedCheckpoint], [metadataType, serializedMetadata]] = await Promise.all([
      this.serde.dumpsTyped(copyCheckpoint(checkpoint)),
      this.serde.dumpsTyped(metadata),
    ]);
    const item: CheckpointItem = {
      pk: threadKey(threadId),
      sk: checkpointKey(ns, checkpoint.id),
      threadId,
      ns,
      checkpointId: checkpoint.id,
      parentId: config.configurable?.checkpoint_id,
      checkpointType,
      checkpoint: serializedCheckpoint,
      metadataType,
      metadata: serializedMetadata,
    };
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: item }));
    return { configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: checkpoint.id } };
  }

  async putWrites(
    config: RunnableConfig,
    writes: PendingWrite[],
    taskId: string,
    taskPath = '',
  ): Promise<void> {
    const threadId = requireString(config.configurable?.thread_id, 'thread_id');
    const checkpointId = requireString(config.configurable?.checkpoint_id, 'checkpoint_id');
    const ns: string = config.configurable?.checkpoint_ns ?? '';
    await Promise.all(
      writes.map(async ([channel, value], i) => {
        const idx = WRITES_IDX_MAP[channel] ?? i;
        const [valueType, serialized] = await this.serde.dumpsTyped(value);
        const item: WriteItem = {
          pk: threadKey(threadId),
          sk: `${writePrefix(ns, checkpointId)}${taskId}#${idx}`,
          taskId,
          taskPath,
          idx,
          channel,
          valueType,
          value: serialized,
        };
        try {
          await this.doc.send(
            new PutCommand({
              TableName: this.tableName,
              Item: item,
              // As MemorySaver: a regular write is kept once; special writes (errors, interrupts) are replaced.
              ConditionExpression: idx >= 0 ? 'attribute_not_exists(sk)' : undefined,
            }),
          );
        } catch (error) {
          if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
        }
      }),
    );
  }

  async deleteThread(threadId: string): Promise<void> {
    const keys: { pk: string; sk: string }[] = [];
    for await (const item of this.paginate<{ pk: string; sk: string }>({
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': threadKey(threadId) },
      ProjectionExpression: 'pk, sk',
    })) {
      keys.push({ pk: item.pk, sk: item.sk });
    }
    for (let start = 0; start < keys.length; start += 25) {
      let requests: Record<string, unknown[]> | undefined = {
        [this.tableName]: keys.slice(start, start + 25).map((Key) => ({ DeleteRequest: { Key } })),
      };
      while (requests && Object.keys(requests).length > 0) {
        const result = await this.doc.send(new BatchWriteCommand({ RequestItems: requests as never }));
        requests = result.UnprocessedItems as Record<string, unknown[]> | undefined;
      }
    }
  }

  private async toTuple(item: CheckpointItem): Promise<CheckpointTuple> {
    const [checkpoint, metadata, pendingWrites] = await Promise.all([
      this.serde.loadsTyped(item.checkpointType, item.checkpoint) as Promise<Checkpoint>,
      this.serde.loadsTyped(item.metadataType, item.metadata) as Promise<CheckpointMetadata>,
      this.pendingWrites(item.threadId, item.ns, item.checkpointId),
    ]);
    const configurable = { thread_id: item.threadId, checkpoint_ns: item.ns };
    return {
      config: { configurable: { ...configurable, checkpoint_id: item.checkpointId } },
      checkpoint,
      metadata,
      pendingWrites,
      parentConfig: item.parentId
        ? { configurable: { ...configurable, checkpoint_id: item.parentId } }
        : undefined,
    };
  }

  /** The writes stored against one checkpoint, in `writesSortKey` order as the contract requires. */
  private async pendingWrites(
    threadId: string,
    ns: string,
    checkpointId: string,
  ): Promise<CheckpointPendingWrite[]> {
    const stored: WriteItem[] = [];
    for await (const item of this.paginate<WriteItem>({
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': threadKey(threadId), ':prefix': writePrefix(ns, checkpointId) },
      ConsistentRead: true,
    })) {
      stored.push(item);
    }
    stored.sort((a, b) =>
      compareWritesSortKeys(
        writesSortKey(a.taskPath, a.taskId, a.idx),
        writesSortKey(b.taskPath, b.taskId, b.idx),
      ),
    );
    return Promise.all(
      stored.map(
        async (w): Promise<CheckpointPendingWrite> => [
          w.taskId,
          w.channel,
          await this.serde.loadsTyped(w.valueType, w.value),
        ],
      ),
    );
  }

  private queryCheckpoints(threadId: string, ns: string | undefined): AsyncGenerator<CheckpointItem> {
    return this.paginate<CheckpointItem>({
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: {
        ':pk': threadKey(threadId),
        ':prefix': ns === undefined ? 'c#' : checkpointPrefix(ns),
      },
      ScanIndexForward: false,
      ConsistentRead: true,
    });
  }

  private async *scanCheckpoints(): AsyncGenerator<CheckpointItem> {
    const all: CheckpointItem[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const input: ScanCommandInput = {
        TableName: this.tableName,
        FilterExpression: 'begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':prefix': 'c#' },
        ExclusiveStartKey: start,
        ConsistentRead: true,
      };
      const page = await this.doc.send(new ScanCommand(input));
      all.push(...((page.Items ?? []) as CheckpointItem[]));
      start = page.LastEvaluatedKey;
    } while (start);
    // Newest first within each thread and namespace, as a per-thread query returns them.
    all.sort((a, b) => (a.pk === b.pk ? (a.sk < b.sk ? 1 : a.sk > b.sk ? -1 : 0) : a.pk < b.pk ? -1 : 1));
    yield* all;
  }

  private async *paginate<T>(input: QueryCommandInput): AsyncGenerator<T> {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
      yield* (page.Items ?? []) as T[];
      start = page.LastEvaluatedKey;
    } while (start);
  }
}

interface CheckpointItem {
  pk: string;
  sk: string;
  threadId: string;
  ns: string;
  checkpointId: string;
  parentId?: string;
  checkpointType: string;
  checkpoint: Uint8Array;
  metadataType: string;
  metadata: Uint8Array;
}

interface WriteItem {
  pk: string;
  sk: string;
  taskId: string;
  taskPath: string;
  idx: number;
  channel: string;
  valueType: string;
  value: Uint8Array;
}

const threadKey = (threadId: string) => `t#${threadId}`;
const checkpointPrefix = (ns: string) => `c#${encodeURIComponent(ns)}#`;
const checkpointKey = (ns: string, checkpointId: string) => `${checkpointPrefix(ns)}${checkpointId}`;
const writePrefix = (ns: string, checkpointId: string) => `w#${encodeURIComponent(ns)}#${checkpointId}#`;

function requireString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '')
    throw new Error(`the checkpointer needs configurable.${field} (a non-empty string)`);
  return value;
}
