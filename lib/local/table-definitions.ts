import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The tables the local runtime creates in its embedded store. The first two mirror the CDK
 * StateTable construct (lib/cloud/state-table.ts) and the memory table the Memory construct
 * (lib/cloud/memory.ts): same names of keys and indexes, so the same adapter code runs against both. The last two are stand-ins for services (Step Functions
 * history, SQS) that exist only locally.
 */
export const TABLE_NAMES = {
  state: 'aios-state',
  idempotency: 'aios-idempotency',
  memory: 'aios-memory',
  executions: 'aios-local-executions',
  queue: 'aios-local-queue',
} as const;

export type TableName = (typeof TABLE_NAMES)[keyof typeof TABLE_NAMES];

const pkSk = (name: string): CreateTableCommandInput => ({
  TableName: name,
  BillingMode: 'PAY_PER_REQUEST',
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
});

/** pk/sk plus the `gsi1` index (gsi1pk/gsi1sk, all attributes): the state table's and the memory log's shape. */
const withGsi1 = (name: string): CreateTableCommandInput => ({
  ...pkSk(name),
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
    { AttributeName: 'gsi1pk', AttributeType: 'S' },
    { AttributeName: 'gsi1sk', AttributeType: 'S' },
  ],
  GlobalSecondaryIndexes: [
    {
      IndexName: 'gsi1',
      KeySchema: [
        { AttributeName: 'gsi1pk', KeyType: 'HASH' },
        { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    },
  ],
});

export const TABLE_DEFINITIONS: Record<TableName, CreateTableCommandInput> = {
  [TABLE_NAMES.state]: withGsi1(TABLE_NAMES.state),
  [TABLE_NAMES.idempotency]: {
    TableName: TABLE_NAMES.idempotency,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
  },
  // The memory log (WAL) has the state table's shape: pk/sk, gsi1, TTL; on AWS it also has a stream.
  [TABLE_NAMES.memory]: withGsi1(TABLE_NAMES.memory),
  [TABLE_NAMES.executions]: pkSk(TABLE_NAMES.executions),
  [TABLE_NAMES.queue]: pkSk(TABLE_NAMES.queue),
};
