import { describe, expect, it } from 'vitest';
import { failureAccount } from '../../../functions/core/failure-account.ts';
import { decide } from '../../../functions/core/policy.ts';
import type { Intent, Workflow } from '../../../functions/core/schemas.ts';
import { shippedCatalog } from '../../../playbooks/catalog.ts';

const onboarding = shippedCatalog.get('onboarding') as Workflow;

describe('policy', () => {
  it('allows what the workflow allows and says why', () => {
    expect(decide(onboarding, { type: 'http.request', params: {} })).toEqual({
      decision: 'allow',
      reason: 'http.request is allowed by workflow onboarding v1',
    });
  });

  it('denies actions outside the allow-list', () => {
    expect(decide(onboarding, { type: 'payments.send', params: {} }).decision).toBe('deny');
  });

  it('applies an explicit rule', () => {
    const strict: Workflow = {
      ...onboarding,
      policy: { rules: [{ action: 'http.request', decision: 'deny', reason: 'no webhooks on Sundays' }] },
    };
    expect(decide(strict, { type: 'http.request', params: {} })).toEqual({
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
