import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDBCircuitBreaker } from '../../../functions/adapters/aws/dynamodb-circuit-breaker.ts';
import { describeAction } from '../../../functions/connectors/descriptors.ts';
import type { ConnectorStatus } from '../../../functions/connectors/status.ts';
import type { LocalRuntime } from '../../../lib/local/runtime.ts';
import { TABLE_NAMES } from '../../../lib/local/table-definitions.ts';
import { api, startTestRuntime } from '../../support/local-runtime.ts';

let runtime: LocalRuntime;
beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(() => runtime.close());

describe('GET /connectors (aios connectors): the breakers are visible', () => {
  it('lists every action type with its risk and limits, and shows a breaker that opened', async () => {
    const before = (await api<{ connectors: ConnectorStatus[] }>(runtime, 'GET', '/connectors')).body
      .connectors;
    expect(before.map((c) => c.type).sort()).toEqual([
      'email.send',
      'http.request',
      'slack.delete',
      'slack.post',
      'state.revert',
      'state.upsert',
    ]);
    expect(before.find((c) => c.type === 'state.upsert')).toMatchObject({
      risk: 'write',
      compensatedBy: 'state.revert',
      breakerState: { state: 'closed' },
    });

    // What repeated transient failures of the gateway do to the shared breaker.
    const breaker = createDynamoDBCircuitBreaker({ client: runtime.db.client, tableName: TABLE_NAMES.state });
    const policy = describeAction('http.request')?.breaker;
    if (!policy) throw new Error('http.request has no breaker policy');
    for (let i = 0; i < policy.failureThreshold; i += 1)
      await breaker.recordFailure('http.request', policy, new Date());

    const after = (await api<{ connectors: ConnectorStatus[] }>(runtime, 'GET', '/connectors')).body
      .connectors;
    expect(after.find((c) => c.type === 'http.request')?.breakerState).toMatchObject({
      state: 'open',
      failures: policy.failureThreshold,
    });
    expect(after.find((c) => c.type === 'state.upsert')?.breakerState.state).toBe('closed');
  });
});
