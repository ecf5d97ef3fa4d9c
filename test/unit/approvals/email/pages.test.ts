import { describe, expect, it } from 'vitest';
import {
  escapeHtml,
  htmlResponse,
  renderConfirmationPage,
  renderResultPage,
} from '../../../../functions/approvals/email/pages.ts';
import { approvalFixture } from '../../../integration/approvals/email/fakes.ts';

const claims = {
  v: 1 as const,
  approvalId: 'apr-0001',
  approver: 'owner@studio.example',
  exp: Date.parse('2026-11-25T11:00:00.000Z'),
  nonce: 'nonce-0123456789abcdef',
};
const NOW = new Date('2026-11-25T10:00:00.000Z');
const SCRIPT = '<script>alert("x")</script>';

describe('approval link pages', () => {
  it('escapes every character that could open markup or leave an attribute', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&\`</a>`)).toBe(
      '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&#96;&lt;/a&gt;',
    );
  });

  it('renders a summary, parameters, workflow and token with <script> inert', () => {
    const approval = approvalFixture({
      summary: `Pay ${SCRIPT}`,
      workflow: `wf${SCRIPT}`,
      action: { type: 'email.send', params: { [`k${SCRIPT}`]: `v${SCRIPT}`, nested: { html: SCRIPT } } },
    });

    const html = renderConfirmationPage({ approval, claims, token: `"><script>t</script>`, now: NOW });

    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('Pay &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).toContain('value="&quot;&gt;&lt;script&gt;t&lt;/script&gt;"');
  });

  it('shows what is asked, who the link is for, when it expires, and a no-script form that posts', () => {
    const html = renderConfirmationPage({ approval: approvalFixture(), claims, token: 'tok.sig', now: NOW });

    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).toContain('Send the first invoice of 1500 EUR to Acme Studio');
    expect(html).toContain('money (moves money)');
    expect(html).toContain('<code>email.send</code>');
    expect(html).toContain('owner@studio.example');
    expect(html).toContain('2026-11-25 11:00 UTC (in 60 minutes)');
    expect(html).toContain('<form method="post">');
    expect(html).toContain('<input type="hidden" name="token" value="tok.sig">');
    expect(html).toContain('name="decision" value="approve"');
    expect(html).toContain('name="decision" value="reject"');
    expect(html).toContain('<textarea id="note" name="note"');
  });

  it('escapes who decided and their note on the "already decided" page', () => {
    const html = renderResultPage({
      kind: 'already-decided',
      decision: {
        outcome: 'approved',
        channel: 'email',
        by: `x${SCRIPT}@studio.example`,
        at: '2026-11-25T10:05:00.000Z',
        note: SCRIPT,
      },
    });

    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('Already approved by <strong class="by">x&lt;script&gt;');
    expect(html).toContain('2026-11-25 10:05 UTC');
  });

  it.each([
    [{ kind: 'link-expired' as const }, 'This link has expired'],
    [{ kind: 'link-used' as const }, 'This link was already used'],
    [{ kind: 'link-invalid' as const, detail: 'x' }, 'This link is not valid'],
    [{ kind: 'rejected' as const, approval: approvalFixture() }, 'Rejected'],
    [{ kind: 'approved' as const, approval: approvalFixture() }, 'Approved — the run goes on'],
  ])('titles the %o page', (result, title) => {
    expect(renderResultPage(result)).toContain(`<h1>${title}</h1>`);
  });

  it('sends the pages with a strict CSP, no framing, no referrer and no caching', () => {
    const response = htmlResponse(200, '<p>x</p>');

    expect(response.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    });
  });
});
