import type { Risk } from './connector.ts';
import type { Action, OperatorPolicy, PolicyDecision, Workflow } from './schemas.ts';

export interface PolicyVerdict {
  decision: PolicyDecision;
  reason: string;
}

export interface PolicyInput {
  workflow: Workflow;
  operator: OperatorPolicy;
  action: Action;
  /** From the connector catalogue; undefined when no connector handles the action. */
  risk: Risk | undefined;
}

/**
 * Decides whether a planned action may run, in this order: the workflow's allow-list (a plan can
 * never widen it); a connector must exist; the operator's deny rules (they win over any workflow);
 * the workflow's own rules; the operator's other rules; the operator's default for the risk.
 */
export function decide({ workflow, operator, action, risk }: PolicyInput): PolicyVerdict {
  const where = `workflow ${workflow.name} v${workflow.version}`;
  if (!workflow.allowedActions.includes(action.type)) {
    return { decision: 'deny', reason: `${action.type} is not in the allowed actions of ${where}` };
  }
  if (!risk) return { decision: 'deny', reason: `no connector handles ${action.type}` };
  const operatorRule = operator.rules.find((r) => r.action === action.type);
  if (operatorRule?.decision === 'deny')
    return { decision: 'deny', reason: `operator policy: ${operatorRule.reason}` };
  const workflowRule = workflow.policy.rules.find((r) => r.action === action.type);
  if (workflowRule) return { decision: workflowRule.decision, reason: workflowRule.reason };
  if (operatorRule)
    return { decision: operatorRule.decision, reason: `operator policy: ${operatorRule.reason}` };
  const decision = operator.byRisk[risk];
  return {
    decision,
    reason:
      decision === 'allow'
        ? `${action.type} (${risk}) is allowed by ${where} and the operator's default for ${risk} actions`
        : `the operator's default for ${risk} actions is ${decision}`,
  };
}
