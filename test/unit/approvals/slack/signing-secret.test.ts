import { describe, expect, it } from 'vitest';
import { SlackSigningSecretError } from '../../../../functions/approvals/slack/errors.ts';
import { slackSigningSecretFromSecret } from '../../../../functions/approvals/slack/signing-secret.ts';
import { SIGNING_SECRET } from './fixtures.ts';

describe('the Slack signing secret from Secrets Manager', () => {
  it('reads the secret through the (cached) fetcher with a max age, trimmed', async () => {
    const asked: { name: string; maxAge: number }[] = [];
    const read = slackSigningSecretFromSecret({
      secretId: 'aios/slack-signing-secret',
      fetchSecret: async (name, options) => {
        asked.push({ name, maxAge: options.maxAge });
        return `${SIGNING_SECRET}\n`;
      },
    });
    expect(await read()).toBe(SIGNING_SECRET);
    expect(asked).toEqual([{ name: 'aios/slack-signing-secret', maxAge: 300 }]);
  });

  it('says what to do with a placeholder, without echoing what the secret holds', async () => {
    const placeholder = 'Xk#9!placeholder-generated-by-cdk';
    const read = slackSigningSecretFromSecret({
      secretId: 'aios/slack',
      fetchSecret: async () => placeholder,
    });
    const error = await read().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(SlackSigningSecretError);
    expect(error?.message).toMatch(/does not hold a Slack signing secret/);
    expect(error?.message).not.toContain(placeholder);
  });

  it('names the secret and the AWS error when it cannot be read', async () => {
    const denied = Object.assign(new Error('denied'), { name: 'AccessDeniedException' });
    const read = slackSigningSecretFromSecret({
      secretId: 'aios/slack',
      fetchSecret: async () => {
        throw new Error('GetSecretValue failed', { cause: denied });
      },
    });
    await expect(read()).rejects.toThrow(
      'could not read the Slack signing secret from Secrets Manager (aios/slack): AccessDeniedException',
    );
  });
});
