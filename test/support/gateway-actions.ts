import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { type GrantSigner, mintGrant } from '../../functions/core/capability.ts';
import { type Connector, catalogueOf } from '../../functions/core/connector.ts';
import { idempotencyKeyFor } from '../../functions/core/idempotency-key.ts';
import {
  createInMemoryCircuitBreaker,
  createInMemoryRateLimiter,
} from '../../functions/core/limits/in-memory.ts';
import type { Clock, OrchestratorCallbacks, StateStore } from '../../functions/core/ports.ts';
import type { Action } from '../../functions/core/schemas.ts';
import { createGatewayHandler, type ReleaseRecords } from '../../functions/gateway/gateway-handler.ts';
import type { EmbeddedDynamoDB } from '../../lib/local/embedded-dynamodb.ts';
import { TABLE_NAMES } from '../../lib/local/table-definitions.ts';

export interface RecordedAction {
  taskToken: string;
  idempotencyKey: string;
  /** The SQS message body the orchestrator would send for it. */
  body: string;
}

/**
 * What the orchestrator does before the gateway sees an action: `count` allowed intents of one
 * run, recorded, each with a grant for its step and its queue message (task token `t-<i>`).
 */
export async function recordActions(
  store: StateStore,
  signer: GrantSigner,
  options: { runId: string; count: number; action: (i: number) => Action },
): Promise<RecordedAction[]> {
  const now = new Date();
  const recorded: RecordedAction[] = [];
  for (let i = 0; i < options.count; i += 1) {
    const idempotencyKey = idempotencyKeyFor(options.runId, i, `call-${i}`);
    const action = options.action(i);
    await store.recordIntent({
      runId: options.runId,
      stepIndex: i,
      stepId: `call-${i}`,
      title: `Call ${i}`,
      action,
      idempotencyKey,
      status: 'RECORDED',
      decision: 'allow',
      reason: 'allowed',
      attempts: 0,
      recordedAt: now.toISOString(),
    });
    const grant = await mintGrant(
      signer,
      { agent: 'executor', workflow: 'w', runId: options.runId, stepIndex: i, actions: [action.type] },
      now,
    );
    const taskToken = `t-${i}`;
    recorded.push({
      taskToken,
      idempotencyKey,
      body: JSON.stringify({ taskToken, grant, runId: options.runId, stepIndex: i, idempotencyKey, action }),
    });
  }
  return recorded;
}

/**
 * The gateway handler as the tests run it against the embedded store: no rate limits or breakers
 * (they are tested on their own), Powertools idempotency in the store's idempotency table.
 */
export function embeddedGatewayHandler(
  db: EmbeddedDynamoDB,
  store: StateStore,
  options: {
    connectors: Connector[];
    signer: GrantSigner;
    callbacks: OrchestratorCallbacks;
    clock?: Clock;
    releaseUntouched?: ReleaseRecords;
  },
) {
  return createGatewayHandler({
    store,
    connectors: catalogueOf(options.connectors),
    clock: options.clock ?? { now: () => new Date() },
    signer: options.signer,
    limiter: createInMemoryRateLimiter(),
    breaker: createInMemoryCircuitBreaker(),
    limitsOf: () => undefined,
    persistenceStore: new DynamoDBPersistenceLayer({
      tableName: TABLE_NAMES.idempotency,
      awsSdkV3Client: db.client,
    }),
    callbacks: options.callbacks,
    ...(options.releaseUntouched ? { releaseUntouched: options.releaseUntouched } : {}),
  });
}
