import { describe, expect, it } from 'vitest';
import { NotAnApproverError } from '../../../../functions/approvals/email/errors.ts';
import { createLinkTokens } from '../../../../functions/approvals/email/link-token.ts';
import { createEmailApprovalNotifier } from '../../../../functions/approvals/email/notifier.ts';
import type { EmailMessage, EmailTransport } from '../../../../functions/core/ports/email-transport.ts';
import { APPROVER, approvalFixture } from '../../../integration/approvals/email/fakes.ts';

const clock = { now: () => new Date('2026-11-25T10:00:00.000Z') };

function setup() {
  const sent: EmailMessage[] = [];
  const transport: EmailTransport = {
    dedupes: false,
    async send(message) {
      sent.push(message);
      return { messageId: `m-${sent.length}` };
    },
  };
  const tokens = createLinkTokens({ getKey: async () => 'k'.repeat(32), clock });
  const notifier = createEmailApprovalNotifier({
    transport,
    from: 'aios@studio.example',
    publicBaseUrl: 'https://api.example/prod/',
    mint: tokens.mint,
  });
  return { sent, tokens, notifier };
}

describe('email approval notifier', () => {
  it('sends each approver one email whose link is bound to them and to the approval', async () => {
    const { sent, tokens, notifier } = setup();
    const approval = approvalFixture();

    const first = await notifier.notify(approval, APPROVER);
    const second = await notifier.notify(approval, 'partner@studio.example');

    expect(sent.map((message) => message.to)).toEqual([[APPROVER], ['partner@studio.example']]);
    expect(first.link).toMatch(/^https:\/\/api\.example\/prod\/approvals\/apr-0001\/link\?token=[\w.-]+$/);
    expect(first.link).not.toBe(second.link);
    expect(sent[0]?.text).toContain(first.link);
    expect(sent[0]?.html).toContain(first.link);
    expect(sent[0]?.subject).toBe(
      'Approval needed: Send the first invoice of 1500 EUR to Acme Studio (billing@acme.example)',
    );
    expect(first.expiresAt).toBe('2026-11-25T11:00:00.000Z');
    const token = new URL(second.link).searchParams.get('token') ?? '';
    expect(await tokens.verify(token, 'apr-0001')).toMatchObject({
      ok: true,
      claims: { approver: 'partner@studio.example' },
    });
  });

  it('escapes the summary in the HTML part and keeps the subject on one line', async () => {
    const { sent, notifier } = setup();

    await notifier.notify(
      approvalFixture({ summary: 'Pay <script>x</script>\r\nBcc: evil@example.com' }),
      APPROVER,
    );

    expect(sent[0]?.html).not.toContain('<script>');
    expect(sent[0]?.subject).toBe('Approval needed: Pay <script>x</script> Bcc: evil@example.com');
  });

  it('refuses an address that is not an email approver of the request', async () => {
    const { sent, notifier } = setup();

    await expect(notifier.notify(approvalFixture(), 'stranger@elsewhere.example')).rejects.toBeInstanceOf(
      NotAnApproverError,
    );
    expect(sent).toEqual([]);
  });
});
