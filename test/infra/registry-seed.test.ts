import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { SHIPPED_PLAYBOOKS } from '../../functions/shipped-playbooks.ts';
import type { AiosStack } from '../../lib/cloud/aios-stack.ts';
import { REGISTRY_KEYS } from '../../lib/cloud/registry-seed.ts';
import { logicalIdOf, statementsOf, synthAios } from './synth.ts';

let stack: AiosStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthAios());
});

describe('the playbook registry on AWS', () => {
  // That no bundle holds a playbook is checked in bundles.test.ts, the one infra test that bundles.
  it('seeds the registry on deploy with a custom resource carrying the playbooks and the policy', () => {
    const seeds = template.findResources('Custom::AiosPlaybookRegistrySeed');
    const [seed] = Object.values(seeds);
    expect(Object.keys(seeds)).toHaveLength(1);
    const playbooks = JSON.parse(seed?.Properties.Playbooks) as { name: string }[];
    expect(playbooks.map((p) => p.name).sort()).toEqual(
      SHIPPED_PLAYBOOKS.map((p) => (p as { name: string }).name).sort(),
    );
    expect(JSON.parse(seed?.Properties.Policy)).toHaveProperty('approvers');
    // Its service token is the Provider framework's function, which calls the seed function.
    expect(JSON.stringify(seed?.Properties.ServiceToken)).toContain('Provider');
  });

  it('lets the seed function touch only the registry items of the state table', () => {
    const tableArn = { 'Fn::GetAtt': [logicalIdOf(stack, stack.state.table), 'Arn'] };
    const onTable = statementsOf(template, stack, stack.registrySeed.function.role).filter((s) =>
      JSON.stringify(s.Resource).includes(JSON.stringify(tableArn)),
    );
    expect(onTable.length).toBeGreaterThan(0);
    for (const statement of onTable)
      expect(statement.Condition).toEqual({
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': REGISTRY_KEYS.map((k) => `${k}*`) },
      });
  });
});
