import type { Action, PolicyDecision, Workflow } from './schemas.ts';

export interface PolicyVerdict {
  decision: PolicyDecision;
  reason: string;
}

/**
 * Decides whether a planned action may run. The workflow's allow-list comes first (a plan can
 * never widen it), then its explicit rules; the gateway issue adds operator-wide rules and approval.
 */
export function decide(workflow: Workflow, action: Action): PolicyVerdict {
  if (!workflow.allowedActions.includes(action.type)) {
    return {
      decision: 'deny',
      reason: `${action.type} is not in the allowed actions of workflow ${workflow.name} v${workflow.version}`,
    };
  }
  const rule = workflow.policy.rules.find((r) => r.action === action.type);
  if (rule) return { decision: rule.decision, reason: rule.reason };
  return {
    decision: 'allow',
    reason: `${action.type} is allowed by workflow ${workflow.name} v${workflow.version}`,
  };
}
