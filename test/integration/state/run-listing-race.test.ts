import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDBStateStore } from '../../../functions/adapters/aws/dynamodb-state-store.ts';
import type { StateStore } from '../../../functions/core/ports.ts';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../../lib/local/embedded-dynamodb.ts';
import { TABLE_NAMES } from '../../../lib/local/table-definitions.ts';
import { runFixture } from '../../support/fixtures.ts';

let db: EmbeddedDynamoDB;
afterAll(async () => {
  await db.close();
});
beforeAll(async () => {
  db = await startEmbeddedDynamoDB({ tables: [TABLE_NAMES.state] });
});

/** The status partition a query of the listing reads (`RUNS#<status>`), if it is one. */
function partitionOf(commandName: string, input: { ExpressionAttributeValues?: Record<string, unknown> }) {
  if (commandName !== 'QueryCommand') return undefined;
  const pk = input.ExpressionAttributeValues?.[':pk'];
  if (typeof pk === 'string') return pk;
  return pk && typeof pk === 'object' && 'S' in pk ? String(pk.S) : undefined;
}

describe('GET /runs while a run moves from QUEUED to RUNNING', () => {
  it('lists the run even when it leaves QUEUED between the two status queries', async () => {
    let store: StateStore | undefined;
    const answered = new Map<string, Promise<unknown>>();
    let moved = false;
    // The client the store sees: the QUEUED query waits for whatever RUNNING query was already sent
    // alongside it, then the run moves on, then the QUEUED query runs. That is the order a busy
    // machine can give concurrent queries; sequential queries cannot be caught this way.
    const client = new DynamoDBClient({
      endpoint: db.endpoint,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const partition = partitionOf(context.commandName ?? '', args.input as never);
        if (partition === 'RUNS#QUEUED' && !moved) {
          await new Promise((resolve) => setImmediate(resolve));
          await answered.get('RUNS#RUNNING');
          moved = true;
          await store?.updateRun('run-moving', ['QUEUED'], { status: 'RUNNING' });
        }
        const answer = next(args);
        if (partition)
          answered.set(
            partition,
            answer.catch(() => undefined),
          );
        return answer;
      },
      { step: 'initialize', name: 'moveTheRunBetweenQueries' },
    );
    store = createDynamoDBStateStore({ client, tableName: TABLE_NAMES.state, retentionDays: 1 });
    await store.createRun(runFixture({ runId: 'run-moving', status: 'QUEUED' }));

    const listed = await store.listRuns();

    expect(moved).toBe(true);
    expect(listed.map((run) => [run.runId, run.status])).toEqual([['run-moving', 'RUNNING']]);
  });
});
