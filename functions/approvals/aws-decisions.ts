import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoDBApprovalStore } from '../adapters/aws/dynamodb-approval-store.ts';
import { createDynamoDBTrustStore } from '../adapters/aws/dynamodb-trust-store.ts';
import { systemClock } from '../adapters/system-clock.ts';
import { createDecisions, createTrust } from '../app.ts';
import type { StateStore, WorkflowCatalog } from '../core/ports.ts';
import type { TrustService } from '../core/trust/trust-service.ts';
import { approvalOverridden } from '../shared/workflow-metrics.ts';

/**
 * The decision log as the executor and the run recorder build it on AWS: they append the audit and
 * journal entries (and the judgement) of what the public link and Slack endpoints decided.
 */
export function awsDecisions(ports: {
  client: DynamoDBClient;
  tableName: string;
  store: StateStore;
  catalog: WorkflowCatalog;
  /** The function's own trust service, when it has one (the run recorder's reviews); else one is built. */
  trust?: Pick<TrustService, 'fromApproval'>;
}) {
  const { client, tableName, store, catalog } = ports;
  const trust =
    ports.trust ??
    createTrust({
      trust: createDynamoDBTrustStore({ client, tableName }),
      store,
      catalog,
      clock: systemClock,
    });
  return createDecisions({
    approvals: createDynamoDBApprovalStore({ client, tableName }),
    store,
    clock: systemClock,
    // A link or Slack decision is counted where it is logged: the public endpoints emit nothing.
    trust: {
      fromApproval: async (approval) => {
        await trust.fromApproval(approval);
        approvalOverridden(approval);
      },
    },
  });
}
