import { describe, expect, it } from 'vitest';
import { failureAccount } from '../../../functions/core/failure-account.ts';
import { decide } from '../../../functions/core/policy.ts';
import type { Intent, OperatorPolicy, Workflow } from '../../../functions/core/schemas.ts';
import { shippedCatalog } from '../../../functions/shipped-playbooks.ts';

const onboarding = shippedCatalog.get('onboarding') as Workflow;

const operator: OperatorPolicy = {
  byRisk: { read: 'allow', write: 'allow', 'external-message': 'allow', money: 'needs-approval' },
  rules: [],
  approvers: { slackUserIds: [], emails: [] },
};
const http = { type: 'http.request', params: {} };

describe('policy', () => {
  it('allows what the workflow allows and the operator allows for its risk, and says why', () => {
    expect(decide({ workflow: onboarding, operator, action: http, risk: 'write' })).toEqual({
      decision: 'allow',
      reason:
        "http.request (write) is allowed by workflow onboarding v1 and the operator's default for write actions",
    });
  });

  it('denies actions outside the allow-list, and actions no connector handles', () => {
    expect(
      decide({ workflow: onboarding, operator, action: { type: 'payments.send', params: {} }, risk: 'money' })
        .decision,
    ).toBe('deny');
    expect(decide({ workflow: onboarding, operator, action: http, risk: undefined })).toEqual({
      decision: 'deny',
      reason: 'no connector handles http.request',
    });
  });

  it("asks for approval where the operator's default for the risk says so", () => {
    const money: Workflow = { ...onboarding, allowedActions: ['payments.send'] };
    expect(
      decide({ workflow: money, operator, action: { type: 'payments.send', params: {} }, risk: 'money' }),
    ).toEqual({
      decision: 'needs-approval',
      reason: "the operator's default for money actions is needs-approval",
    });
  });

  it("lets the operator's deny rules win over the workflow's rules, and the workflow's win over the operator's others", () => {
    const workflowAllows: Workflow = {
      ...onboarding,
      policy: { rules: [{ action: 'http.request', decision: 'allow', reason: 'ok here' }] },
    };
    const denying: OperatorPolicy = {
      ...operator,
      rules: [{ action: 'http.request', decision: 'deny', reason: 'no webhooks' }],
    };
    expect(decide({ workflow: workflowAllows, operator: denying, action: http, risk: 'write' })).toEqual({
      decision: 'deny',
      reason: 'operator policy: no webhooks',
    });
    const approving: OperatorPolicy = {
      ...operator,
      rules: [{ action: 'http.request', decision: 'needs-approval', reason: 'check first' }],
    };
    expect(
      decide({ workflow: workflowAllows, operator: approving, action: http, risk: 'write' }).decision,
    ).toBe('allow');
    expect(decide({ workflow: onboarding, operator: approving, action: http, risk: 'write' })).toEqual({
      decision: 'needs-approval',
      reason: 'operator policy: check first',
    });
  });

  it("applies the workflow's explicit rule", () => {
    const strict: Workflow = {
      ...onboarding,
      policy: { rules: [{ action: 'http.request', decision: 'deny', reason: 'no webhooks on Sundays' }] },
    };
    expect(decide({ workflow: strict, operator, action: http, risk: 'write' })).toEqual({
      decision: 'deny',
      reason: 'no webhooks on Sundays',
    });
  });
});

describe('failure account', () => {
  const done: Intent = {
    runId: 'r1',
    stepIndex: 0,
    stepId: 'a',
    title: 'Create the customer',
    action: { type: 'state.upsert', params: {} },
    idempotencyKey: 'k0',
    status: 'SUCCEEDED',
    attempts: 1,
    recordedAt: 't',
  };
  const failed: Intent = {
    ...done,
    stepIndex: 1,
    stepId: 'b',
    title: 'Tell the CRM',
    action: { type: 'http.request', params: {} },
    status: 'FAILED',
  };

  it('names the step, the error, the cause and what it means', () => {
    const account = failureAccount(
      { Error: 'PermanentConnectorError', Cause: 'POST https://crm answered 404' },
      [done, failed],
    );
    expect(account).toBe(
      'Step 2 "Tell the CRM" (http.request) failed with PermanentConnectorError: POST https://crm answered 404. ' +
        'An action failed in a way that retrying will not fix. 1 step had completed.',
    );
  });

  it('reads the message out of a Lambda error cause', () => {
    const cause = JSON.stringify({ errorType: 'MalformedPlanError', errorMessage: 'the model said hello' });
    expect(failureAccount({ Error: 'MalformedPlanError', Cause: cause }, [])).toMatch(
      /^Before any step ran, the run failed with MalformedPlanError: the model said hello\. The planner/,
    );
  });
});
