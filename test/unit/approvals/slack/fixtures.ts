import { type Approval, ApprovalSchema } from '../../../../functions/core/approvals/approval.ts';

export const SIGNING_SECRET = 'e3b0c44298fc1c149afbf4c8996fb924';
export const APPROVER = 'U0APPROVER';
export const STRANGER = 'U0STRANGER';

/** A pending approval of a money step with editable amount and memo; parsed, so defaults apply. */
export function approvalFixture(overrides: Partial<Approval> = {}): Approval {
  return ApprovalSchema.parse({
    approvalId: 'apr-onboarding-1-3',
    runId: 'onboarding-20261125-100000-abcd1234',
    stepIndex: 3,
    stepId: 'send-first-invoice',
    workflow: 'onboarding',
    summary: 'Send the first invoice of 1,500 EUR to Acme Studio <billing@acme.example>',
    action: {
      type: 'http.request',
      params: { url: 'https://billing.example/invoices', amount: 1500, memo: 'Setup fee', lines: [1, 2] },
    },
    risk: 'money',
    editable: ['amount', 'memo'],
    status: 'PENDING',
    approvers: { slackUserIds: [APPROVER], emails: ['owner@acme.example'] },
    channels: ['slack'],
    escalation: {},
    createdAt: '2026-11-25T10:00:00.000Z',
    expiresAt: '2026-11-26T10:00:00.000Z',
    history: [{ at: '2026-11-25T10:00:00.000Z', event: 'requested', detail: 'step needs approval' }],
    slackMessage: { channel: 'C0APPROVALS', ts: '1795600000.000100' },
    ...overrides,
  });
}
