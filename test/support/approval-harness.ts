import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoDBApprovalStore } from '../../functions/adapters/aws/dynamodb-approval-store.ts';
import { createDynamoDBStateStore } from '../../functions/adapters/aws/dynamodb-state-store.ts';
import { systemClock } from '../../functions/adapters/system-clock.ts';
import type { Approval } from '../../functions/core/approvals/approval.ts';
import {
  type ApprovalNotifier,
  type ApprovalStore,
  createApprovalService,
} from '../../functions/core/approvals/service.ts';
import { ANSWERED, type OrchestratorCallbacks, type StateStore } from '../../functions/core/ports.ts';
import { shippedCatalog, shippedOperatorPolicy } from '../../functions/shipped-playbooks.ts';
import { runFixture } from './fixtures.ts';

export const SLACK_MESSAGE = { channel: '#aios-approvals', ts: '1764590000.000100' };

/** The approval service over a real state table: what the paused runs are told, what Slack shows. */
export function approvalHarness(options: {
  client: DynamoDBClient;
  tableName: string;
  /** Runs inside the notification, after the Slack message went out and before "notified" is written. */
  onNotify?: (approval: Approval) => Promise<void> | void;
  callbacks?: OrchestratorCallbacks;
}) {
  const store: StateStore = createDynamoDBStateStore({
    client: options.client,
    tableName: options.tableName,
  });
  const approvals: ApprovalStore = createDynamoDBApprovalStore({
    client: options.client,
    tableName: options.tableName,
  });
  /** Every answer a paused run got, in order. */
  const answers: { token: string; kind: 'success' | 'failure'; output?: unknown; error?: string }[] = [];
  const shown: Approval[] = [];
  const notifier: ApprovalNotifier = {
    async notify(approval) {
      await options.onNotify?.(approval);
      return { slackMessage: SLACK_MESSAGE, detail: `Slack message in ${SLACK_MESSAGE.channel}` };
    },
    remind: async () => 'Slack reminder posted',
    escalate: async () => 'magic links emailed',
    async showDecision(approval) {
      shown.push(approval);
    },
  };
  const callbacks: OrchestratorCallbacks = options.callbacks ?? {
    async taskSucceeded(token, output) {
      answers.push({ token, kind: 'success', output });
      return ANSWERED;
    },
    async taskFailed(token, error) {
      answers.push({ token, kind: 'failure', error });
      return ANSWERED;
    },
  };
  const service = createApprovalService({
    approvals,
    store,
    catalog: shippedCatalog,
    operatorPolicy: async () => shippedOperatorPolicy,
    callbacks,
    notifier,
    clock: systemClock,
    riskOf: () => 'money',
    validateParams: () => undefined,
  });

  /** A run paused at its step 4 ("send-first-invoice"), as the executor leaves it. */
  async function pausedRun(runId: string, createdAt = new Date().toISOString()) {
    await store.createRun(runFixture({ runId, status: 'RUNNING', createdAt, updatedAt: createdAt }));
    await store.recordIntent({
      runId,
      stepIndex: 4,
      stepId: 'send-first-invoice',
      title: 'Send the first invoice',
      action: { type: 'email.send', params: { to: ['billing@acme.example'], subject: 'Invoice 0001' } },
      idempotencyKey: `key-${runId}-4`,
      status: 'AWAITING_APPROVAL',
      decision: 'needs-approval',
      reason: 'money needs approval',
      attempts: 0,
      recordedAt: createdAt,
    });
    return { runId, stepIndex: 4, approvalId: `${runId}-s4` };
  }

  return { store, approvals, service, answers, shown, pausedRun };
}
