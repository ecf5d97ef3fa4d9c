import { setTimeout as sleep } from 'node:timers/promises';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import {
  type BreakerRecord,
  BreakerRecordSchema,
  decideAllow,
  describeBreaker,
  onFailure,
  onSuccess,
} from '../../core/limits/circuit-breaker-rules.ts';
import type { BreakerReading, CircuitBreaker } from '../../core/ports.ts';

export interface DynamoDBCircuitBreakerOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Read-decide-write rounds before giving up on a contended change. Default 8. */
  maxAttempts?: number;
  /** The retryAfterMs given to allow() when it lost `maxAttempts` races in a row. Default 10. */
  contendedRetryAfterMs?: number;
}

/*
 * One item per key in the state table:
 *   pk BREAKER#<key>  sk BREAKER  state  failureTimes (epoch ms, at most failureThreshold)
 *   windowSeconds  openedAt  retryAt  probeAt (epoch ms)  version  updatedAt (ISO)
 * No TTL: there is one item per connector, and an open breaker must not quietly disappear.
 * Every change is a put conditional on the version read just before. allow() on a closed breaker
 * and recordSuccess() on a closed one write nothing, so a healthy connector costs one read per call,
 * and not even a request of its own in the gateway: it reads the item with the intent it is about to
 * run (one BatchGetItem, getIntentWithRunAndBreaker in the state store) and hands it to allow().
 * The half-open probe goes to whoever wins the conditional write that claims it; a loser re-reads,
 * finds the breaker half-open with a probe out, and is refused.
 */
export const breakerKey = (key: string) => ({ pk: `BREAKER#${key}`, sk: 'BREAKER' });

interface Versioned {
  record: BreakerRecord | undefined;
  version: number | undefined;
}

function versioned(item: Record<string, unknown> | undefined): Versioned {
  if (!item) return { record: undefined, version: undefined };
  return { record: BreakerRecordSchema.parse(item), version: Number(item.version) };
}

export function createDynamoDBCircuitBreaker(options: DynamoDBCircuitBreakerOptions): CircuitBreaker {
  const doc = DynamoDBDocumentClient.from(options.client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const TableName = options.tableName;
  const maxAttempts = options.maxAttempts ?? 8;
  const contendedRetryAfterMs = options.contendedRetryAfterMs ?? 10;

  async function read(key: string): Promise<Versioned> {
    const { Item } = await doc.send(
      new GetCommand({ TableName, Key: breakerKey(key), ConsistentRead: true }),
    );
    return versioned(Item);
  }

  /** The item another read brought, when it is this breaker's: of its table and key. */
  const ownReading = (key: string, seen: BreakerReading | undefined): seen is BreakerReading =>
    seen !== undefined && seen.store === TableName && seen.key === key;

  /** Writes `next` if the item is still at `version`; false when another gateway changed it first. */
  async function write(key: string, next: BreakerRecord, version: number | undefined, now: Date) {
    try {
      await doc.send(
        new PutCommand({
          TableName,
          Item: { ...breakerKey(key), ...next, version: (version ?? 0) + 1, updatedAt: now.toISOString() },
          ...(version === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: 'version = :version',
                ExpressionAttributeValues: { ':version': version },
              }),
        }),
      );
      return true;
    } catch (error) {
      if ((error as { name?: unknown } | null)?.name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  /**
   * Read, apply `change`, write on the version read; on a lost race do it again on what the winner
   * wrote. A change that stays contended is dropped rather than thrown into the gateway's path:
   * the contention is itself other outcomes of the same connector being recorded.
   */
  async function update(
    key: string,
    now: Date,
    change: (record: BreakerRecord | undefined) => BreakerRecord | undefined,
  ) {
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const { record, version } = await read(key);
      const next = change(record);
      if (!next || (await write(key, next, version, now))) return;
      if (attempt < maxAttempts) await sleep(Math.random() * 2 * attempt);
    }
  }

  return {
    async allow(key, policy, now, seen) {
      const nowMs = now.getTime();
      let state = 'closed' as BreakerRecord['state'];
      for (let attempt = 1; attempt <= maxAttempts; attempt++) {
        const { record, version } =
          attempt === 1 && ownReading(key, seen) ? versioned(seen.item) : await read(key);
        const { next, ...decision } = decideAllow(record, policy, nowMs);
        state = decision.state;
        if (!next) return decision;
        if (await write(key, next, version, now)) return decision;
        // Lost the claim (or the record changed under us): decide again on what the winner wrote.
      }
      return { allowed: false, state, retryAfterMs: contendedRetryAfterMs };
    },

    async recordSuccess(key, now) {
      await update(key, now, onSuccess);
    },

    async recordFailure(key, policy, now) {
      await update(key, now, (record) => onFailure(record, policy, now.getTime()));
    },

    async status(key, now) {
      const { record } = await read(key);
      return describeBreaker(key, record, now.getTime());
    },
  };
}
