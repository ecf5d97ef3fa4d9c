import type { Template } from 'aws-cdk-lib/assertions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AiosStack } from '../../lib/cloud/aios-stack.ts';
import { PUBLIC_ENDPOINT_KEYS } from '../../lib/cloud/approvals.ts';
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

  it('confines the public link and Slack functions to approval, link-use and run items, on the table only', () => {
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
    expect(PUBLIC_ENDPOINT_KEYS).toEqual(['APPROVAL#', 'LINK#', 'RUN#']);
  });

  it('gives the other functions on the table no condition but no deletes either', () => {
    for (const fn of [stack.api.function, stack.gateway.function, stack.agents.executor]) {
      const actions = actionsOf(stateTableStatements(fn));
      expect(actions).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:Query']));
      expect(actions).not.toContain('dynamodb:DeleteItem');
    }
  });
});
