import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import type { AiosStack } from '../../lib/cloud/aios-stack.ts';
import { actionsOf, logicalIdOf, statementsOf, synthAios } from './synth.ts';

// The run recorder tells the operator of a failed run, the planner of a handed-off step: each gets
// the channel's configuration and the rights to use it (Slack's token, or SES for the alert
// address), and the link's base URL.

type Sender = 'runRecorder' | 'planner';

function senderOf(sender: Sender, context: Record<string, unknown>) {
  const { stack, template } = synthAios({ context });
  const fn = template.findResources('AWS::Lambda::Function')[logicalIdOf(stack, stack.agents[sender])];
  const env = (fn?.Properties.Environment?.Variables ?? {}) as Record<string, unknown>;
  const statements = statementsOf(template, stack, stack.agents[sender].role);
  return { stack, template, env, statements };
}

const secretRef = (stack: AiosStack) => ({ Ref: logicalIdOf(stack, stack.gateway.slackBotTokenSecret) });
const grantsSecret = (statements: ReturnType<typeof statementsOf>, ref: unknown) =>
  statements.some(
    (s) =>
      actionsOf([s]).includes('secretsmanager:GetSecretValue') &&
      JSON.stringify(s.Resource) === JSON.stringify(ref),
  );

describe.each<Sender>(['runRecorder', 'planner'])('the %s can tell the operator', (sender) => {
  const recorderOf = (context: Record<string, unknown>) => senderOf(sender, context);

  it('by email from aios:emailFrom to aios:alertEmail, with ses:SendEmail, when Slack is not set', () => {
    const { stack, env, statements } = recorderOf({
      'aios:emailFrom': 'aios@acme.example',
      'aios:alertEmail': 'ops@acme.example',
    });
    expect(env).toMatchObject({ EMAIL_FROM: 'aios@acme.example', ALERT_EMAIL: 'ops@acme.example' });
    expect(env.RUN_LINK_BASE_URL).toBeDefined();
    expect(env.SLACK_ALERTS_CHANNEL).toBeUndefined();
    expect(actionsOf(statements)).toContain('ses:SendEmail');
    expect(grantsSecret(statements, secretRef(stack))).toBe(false);
  });

  it("on Slack's approvals channel with the bot token, when one is set", () => {
    const { stack, env, statements } = recorderOf({ 'aios:slackApprovalsChannel': '#ops' });
    expect(env).toMatchObject({ SLACK_ALERTS_CHANNEL: '#ops', SLACK_BOT_TOKEN_SECRET: secretRef(stack) });
    expect(grantsSecret(statements, secretRef(stack))).toBe(true);
    expect(actionsOf(statements)).not.toContain('ses:SendEmail');
  });

  it('with no channel configured, neither rights nor settings', () => {
    const { env, statements }: { env: Record<string, unknown>; statements: unknown[]; template?: Template } =
      recorderOf({});
    expect(Object.keys(env)).not.toEqual(expect.arrayContaining(['EMAIL_FROM']));
    expect(env.SLACK_ALERTS_CHANNEL).toBeUndefined();
    expect(actionsOf(statements as ReturnType<typeof statementsOf>)).not.toContain('ses:SendEmail');
  });
});
