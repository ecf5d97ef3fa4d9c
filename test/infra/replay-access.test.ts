import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { replayPartition } from '../../functions/adapters/aws/dynamodb-replay-store.ts';
import type { AiosStack } from '../../lib/cloud/aios-stack.ts';
import { actionsOf, logicalIdOf, type Statement, statementsOf, synthAios } from './synth.ts';

let stack: AiosStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthAios());
});

/** IAM's StringLike: `*` is any run of characters, `?` one. */
const globMatches = (pattern: string, value: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  ).test(value);

const leadingKeysOf = (statement: Statement): string[] => {
  const condition = (statement.Condition ?? {}) as Record<string, Record<string, unknown>>;
  return Object.values(condition).flatMap((test) => {
    const keys = test['dynamodb:LeadingKeys'];
    return keys === undefined ? [] : Array.isArray(keys) ? (keys as string[]) : [keys as string];
  });
};

describe('replay records: the API reads and writes them, the public handlers cannot', () => {
  const replayKey = replayPartition('onboarding-20261201-120000-0a1b2c3d');

  it('no prefix-confined grant on the state table reaches a REPLAY# partition', () => {
    const confined = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[])
      .filter((statement) => leadingKeysOf(statement).length > 0);
    // The public link and Slack functions (and the registry seed) are held to their prefixes this way.
    expect(confined.length).toBeGreaterThan(0);
    for (const statement of confined) {
      expect(leadingKeysOf(statement).filter((pattern) => globMatches(pattern, replayKey))).toEqual([]);
    }
    // The check itself: a RUN#* grant would have reached replays kept under the run's own partition.
    expect(globMatches('RUN#*', 'RUN#onboarding-1')).toBe(true);
  });

  it("the API's memory function (which replays in process) may query, read and put items on the whole table", () => {
    const tableArn = JSON.stringify({ 'Fn::GetAtt': [logicalIdOf(stack, stack.state.table), 'Arn'] });
    const statements = statementsOf(template, stack, stack.api.functions['api-memory'].role).filter(
      (s) => JSON.stringify(s.Resource).includes(tableArn) && leadingKeysOf(s).length === 0,
    );
    expect(actionsOf(statements)).toEqual(
      expect.arrayContaining(['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:PutItem']),
    );
  });
});
