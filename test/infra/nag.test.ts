import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AiosStack } from '../../lib/cloud/aios-stack.ts';
import { synthAios } from './synth.ts';

let stack: AiosStack;

beforeAll(() => {
  // Synthesis itself runs the cdk-nag plugin registered by createAiosApp and throws on a finding.
  ({ stack } = synthAios());
});

/** Every acknowledgement in the tree: where, which finding, why. */
function acknowledgements(): { path: string; id: string; reason: string }[] {
  return stack.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

describe('cdk-nag AwsSolutions', () => {
  it('reports no unacknowledged errors', () => {
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack);
    const errors = report.violations.filter((v) => v.severity === 'error');
    expect(errors.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath)}`)).toEqual(
      [],
    );
  });

  it('reports no unacknowledged warnings either (any finding fails cdk synth)', () => {
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack);
    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
  });

  it('acknowledges wildcard findings one by one, never the whole IAM5 or IAM4 rule', () => {
    const iam = acknowledgements().filter((a) => /AwsSolutions-IAM[45]/.test(a.id));
    expect(iam.length).toBeGreaterThan(0);
    for (const ack of iam) expect(ack.id).toMatch(/^AwsSolutions-IAM[45]\[(Resource|Policy|Action)::.+\]$/);
  });

  it('gives every acknowledgement a specific reason', () => {
    for (const ack of acknowledgements()) {
      expect(ack.reason.length, `${ack.id} at ${ack.path}`).toBeGreaterThanOrEqual(60);
    }
  });

  it('acknowledges nothing stack-wide: each finding on the construct it is about, so a new grant cannot hide behind an old reason', () => {
    expect(acknowledgements().filter((a) => a.path === stack.node.path)).toEqual([]);
  });
});
