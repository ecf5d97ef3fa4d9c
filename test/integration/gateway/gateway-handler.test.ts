import { readFileSync } from 'node:fs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDBStateStore } from '../../../functions/adapters/aws/dynamodb-state-store.ts';
import { stateUpsertConnector } from '../../../functions/connectors/state-upsert.ts';
import { createHmacGrantSigner, mintGrant } from '../../../functions/core/capability.ts';
import { idempotencyKeyFor } from '../../../functions/core/idempotency-key.ts';
import { ANSWERED, type StateStore } from '../../../functions/core/ports.ts';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../../lib/local/embedded-dynamodb.ts';
import { createLocalContext } from '../../../lib/local/http/lambda-context.ts';
import { TABLE_NAMES } from '../../../lib/local/table-definitions.ts';
import { embeddedGatewayHandler } from '../../support/gateway-actions.ts';

const fixture = readFileSync(new URL('../../fixtures/sqs-action-event.json', import.meta.url), 'utf8');

let db: EmbeddedDynamoDB;
let store: StateStore;
const answers: { token: string; kind: 'success' | 'failure'; payload: unknown }[] = [];
let closedTokens = new Set<string>();

beforeAll(async () => {
  db = await startEmbeddedDynamoDB({ tables: [TABLE_NAMES.state, TABLE_NAMES.idempotency] });
  store = createDynamoDBStateStore({ client: db.client, tableName: TABLE_NAMES.state });
});
afterAll(() => db.close());

function handler() {
  return embeddedGatewayHandler(db, store, {
    connectors: [stateUpsertConnector(store)],
    signer,
    callbacks: {
      async taskSucceeded(token, output) {
        // As the callbacks adapters report a token the orchestrator says is closed.
        if (closedTokens.has(token)) return { outcome: 'closed', error: 'TaskTimedOut', reason: 'closed' };
        answers.push({ token, kind: 'success', payload: output });
        return ANSWERED;
      },
      async taskFailed(token, error, cause) {
        answers.push({ token, kind: 'failure', payload: { error, cause } });
        return ANSWERED;
      },
    },
  });
}

const signer = createHmacGrantSigner(async () => 'test-grant-key'.repeat(4));
const grantFor = (runId: string) =>
  mintGrant(
    signer,
    { agent: 'executor', workflow: 'w', runId, stepIndex: 0, actions: ['state.upsert'] },
    new Date(),
  );

async function recordIntent(runId: string) {
  const idempotencyKey = idempotencyKeyFor(runId, 0, 'save');
  await store.recordIntent({
    runId,
    stepIndex: 0,
    stepId: 'save',
    title: 'Save',
    action: { type: 'state.upsert', params: { entityType: 'customer', entityId: runId, data: { n: 1 } } },
    idempotencyKey,
    status: 'RECORDED',
    decision: 'allow',
    reason: 'ok',
    attempts: 0,
    recordedAt: new Date().toISOString(),
  });
  return idempotencyKey;
}

function eventWith(body: Record<string, unknown>): SQSEvent {
  return JSON.parse(fixture.replace('"__VALID__"', JSON.stringify(JSON.stringify(body)))) as SQSEvent;
}

describe('gateway Lambda handler (SQS batch, Powertools idempotency, embedded store)', () => {
  it('reports only the bad records as batch item failures and executes the good one', async () => {
    const key = await recordIntent('run-batch');
    const message = {
      taskToken: 't-1',
      grant: await grantFor('run-batch'),
      runId: 'run-batch',
      stepIndex: 0,
      idempotencyKey: key,
      action: { type: 'state.upsert', params: {} },
    };
    const response = await handler()(eventWith(message), createLocalContext('aios-gateway', 30_000));
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual([
      'm-bad-schema',
      'm-not-json',
    ]);
    expect(answers.filter((a) => a.token === 't-1')).toMatchObject([
      { kind: 'success', payload: { ok: true } },
    ]);
    expect(await store.getEntity('customer', 'run-batch')).toMatchObject({ version: 1 });
  });

  it('a duplicate delivery returns the stored result and answers again, with no second effect', async () => {
    const key = await recordIntent('run-dup');
    const message = {
      taskToken: 't-2',
      grant: await grantFor('run-dup'),
      runId: 'run-dup',
      stepIndex: 0,
      idempotencyKey: key,
      action: { type: 'state.upsert', params: {} },
    };
    const gateway = handler();
    await gateway(eventWith(message), createLocalContext('aios-gateway', 30_000));
    await gateway(eventWith(message), createLocalContext('aios-gateway', 30_000));
    const mine = answers.filter((a) => a.token === 't-2');
    expect(mine).toHaveLength(2);
    expect(mine[1]?.payload).toEqual(mine[0]?.payload);
    expect(await store.getEntity('customer', 'run-dup')).toMatchObject({ version: 1 });
  });

  it('treats an answer to a closed task token as done, not as a failed record', async () => {
    const key = await recordIntent('run-closed');
    closedTokens = new Set(['t-3']);
    const message = {
      taskToken: 't-3',
      grant: await grantFor('run-closed'),
      runId: 'run-closed',
      stepIndex: 0,
      idempotencyKey: key,
      action: { type: 'state.upsert', params: {} },
    };
    const response = await handler()(eventWith(message), createLocalContext('aios-gateway', 30_000));
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).not.toContain('m-valid');
  });

  it('answers the orchestrator with a failure when no intent was recorded, and performs no effect', async () => {
    const message = {
      taskToken: 't-4',
      grant: await grantFor('run-none'),
      runId: 'run-none',
      stepIndex: 0,
      idempotencyKey: 'aios-none',
      action: { type: 'state.upsert', params: { entityType: 'customer', entityId: 'run-none', data: {} } },
    };
    await handler()(eventWith(message), createLocalContext('aios-gateway', 30_000));
    expect(answers.find((a) => a.token === 't-4')).toMatchObject({
      kind: 'failure',
      payload: { error: 'PermanentConnectorError' },
    });
    expect(await store.getEntity('customer', 'run-none')).toBeUndefined();
  });
});
