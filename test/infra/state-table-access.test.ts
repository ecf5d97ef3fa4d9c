import type { Template } from 'aws-cdk-lib/assertions';
import type { CfnRole } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AiosStack } from '../../lib/cloud/aios-stack.ts';
import { PUBLIC_ENDPOINT_KEYS } from '../../lib/cloud/approvals.ts';
import { AUDIT_KEY_PREFIX } from '../../lib/cloud/table-access.ts';
import { actionsOf, logicalIdOf, type Statement, statementsOf, synthAios } from './synth.ts';

let stack: AiosStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthAios());
});

const tableArn = () => ({ 'Fn::GetAtt': [logicalIdOf(stack, stack.state.table), 'Arn'] });
const onStateTable = (statement: Statement) =>
  JSON.stringify(statement.Resource).includes(JSON.stringify(tableArn()));
const stateTableStatements = (fn: IFunction) => statementsOf(template, stack, fn.role).filter(onStateTable);

describe('the shared state table: least privilege', () => {
  it('lets no function delete an item or batch-write (which can delete)', () => {
    const all = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[])
      .filter(onStateTable);
    expect(all.length).toBeGreaterThan(5);
    expect(actionsOf(all).filter((a) => /Delete|BatchWrite|dynamodb:\*/.test(a))).toEqual([]);
  });

  it('confines the public link and Slack functions to approval and link-use items, on the table only: no run item, no audit entry', () => {
    for (const fn of [stack.approvals.linkFunction, stack.approvals.slackFunction]) {
      const statements = stateTableStatements(fn);
      expect(statements.length, fn.node.path).toBeGreaterThan(0);
      for (const statement of statements) {
        expect(statement.Resource, fn.node.path).toEqual(tableArn());
        expect(statement.Condition, fn.node.path).toEqual({
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': PUBLIC_ENDPOINT_KEYS.map((p) => `${p}*`) },
        });
        expect(actionsOf([statement]).sort()).toEqual([
          'dynamodb:ConditionCheckItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:Query',
          'dynamodb:UpdateItem',
        ]);
      }
    }
    expect(PUBLIC_ENDPOINT_KEYS).toEqual(['APPROVAL#', 'LINK#']);
  });

  it('gives the other functions on the table no condition but no deletes either', () => {
    for (const fn of [stack.api.function, stack.gateway.function, stack.agents.executor]) {
      const actions = actionsOf(stateTableStatements(fn));
      expect(actions).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:Query']));
      expect(actions).not.toContain('dynamodb:DeleteItem');
    }
  });

  it('lets only the appenders add audit entries, and no role update one (an explicit Deny on AUDIT#*)', () => {
    const auditDeny = (statement: Statement) =>
      statement.Effect === 'Deny' &&
      JSON.stringify(statement.Condition) ===
        JSON.stringify({ 'ForAnyValue:StringLike': { 'dynamodb:LeadingKeys': [`${AUDIT_KEY_PREFIX}*`] } });
    const confinedAwayFromAudit = (statement: Statement) => {
      const patterns = (statement.Condition as Record<string, Record<string, string[]>> | undefined)?.[
        'ForAllValues:StringLike'
      ]?.['dynamodb:LeadingKeys'];
      return patterns?.every((p) => !`${AUDIT_KEY_PREFIX}run-1`.startsWith(p.replace(/\*$/, '')));
    };
    const writers = new Map<string, { puts: boolean; updates: boolean }>();
    for (const [roleId, statements] of stateTableStatementsByRole()) {
      const allowed = statements.filter((s) => s.Effect === 'Allow' && !confinedAwayFromAudit(s));
      const denied = actionsOf(statements.filter(auditDeny));
      const can = (action: string) => actionsOf(allowed).includes(action) && !denied.includes(action);
      if (can('dynamodb:PutItem') || can('dynamodb:UpdateItem'))
        writers.set(roleId, { puts: can('dynamodb:PutItem'), updates: can('dynamodb:UpdateItem') });
    }
    const appenders = [
      // Every operator function but the console's memory page, which reads memory only: they start
      // runs, decide approvals, withdraw them on cancel, change modes and write replays.
      ...Object.values(stack.api.functions),
      stack.console.functions.console,
      stack.console.functions['console-inbox'],
      stack.console.functions['console-run-control'],
      stack.gateway.function,
      stack.agents.executor,
      stack.agents.runRecorder,
      stack.approvals.escalationFunction,
    ].map((fn) => stack.getLogicalId(fn.role?.node.defaultChild as CfnRole));
    expect([...writers.keys()].sort()).toEqual([...appenders].sort());
    for (const [roleId, can] of writers)
      expect({ roleId, ...can }).toEqual({ roleId, puts: true, updates: false });
  });
});

/** Every role's statements on the state table (or its indexes), by the role's logical id. */
function stateTableStatementsByRole(): Map<string, Statement[]> {
  const byRole = new Map<string, Statement[]>();
  for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
    const statements = (policy.Properties.PolicyDocument.Statement as Statement[]).filter(onStateTable);
    for (const ref of policy.Properties.Roles as { Ref: string }[])
      byRole.set(ref.Ref, [...(byRole.get(ref.Ref) ?? []), ...statements]);
  }
  return byRole;
}
