import type { Approval } from '../../core/approvals/approval.ts';
import type { EmailTransport } from '../../core/ports/email-transport.ts';
import { NotAnApproverError } from './errors.ts';
import type { LinkClaims } from './link-token.ts';
import { escapeHtml, formatTime } from './pages.ts';

export interface EmailApprovalNotifierDeps {
  transport: EmailTransport;
  /** A verified sender identity on SES; any address locally. */
  from: string;
  /** Where the link handler is reached, e.g. `https://abc.execute-api.eu-west-1.amazonaws.com/prod` or `http://127.0.0.1:8787`. */
  publicBaseUrl: string;
  /** Mints a token bound to this approval and this approver (see `createLinkTokens().mint`). */
  mint: (approvalId: string, approver: string) => Promise<{ token: string; claims: LinkClaims }>;
}

export interface EmailApprovalNotice {
  /** The approver's own magic link; the local runtime prints it so it can be clicked from the terminal. */
  link: string;
  messageId: string;
  /** ISO time the link stops working. */
  expiresAt: string;
}

export interface EmailApprovalNotifier {
  /** Sends `approverEmail` one email with a link bound to them and to this approval. */
  notify(approval: Approval, approverEmail: string): Promise<EmailApprovalNotice>;
}

/** A subject is one line: newlines and runs of spaces from a summary become one space. */
const oneLine = (text: string, max: number) => {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

export function approvalLink(publicBaseUrl: string, approvalId: string, token: string): string {
  return `${publicBaseUrl.replace(/\/+$/, '')}/approvals/${encodeURIComponent(approvalId)}/link?token=${encodeURIComponent(token)}`;
}

export function createEmailApprovalNotifier(deps: EmailApprovalNotifierDeps): EmailApprovalNotifier {
  return {
    async notify(approval, approverEmail) {
      const listed = approval.approvers.emails.some(
        (email) => email.toLowerCase() === approverEmail.toLowerCase(),
      );
      if (!listed) {
        throw new NotAnApproverError(
          `${approverEmail} is not an email approver of approval ${approval.approvalId}; add it to the workflow's approvers`,
        );
      }
      const { token, claims } = await deps.mint(approval.approvalId, approverEmail);
      const link = approvalLink(deps.publicBaseUrl, approval.approvalId, token);
      const expires = formatTime(claims.exp);
      const text = [
        'aios needs your approval before it goes on.',
        '',
        approval.summary,
        '',
        `Risk: ${approval.risk}`,
        `Action: ${approval.action.type}`,
        `Workflow: ${approval.workflow} (run ${approval.runId}, step ${approval.stepId})`,
        '',
        'Open this link to see the details and approve or reject:',
        link,
        '',
        `The link is for ${approverEmail} only, works once, and expires at ${expires}.`,
        'Opening it decides nothing; only the Approve or Reject button on the page does.',
      ].join('\n');
      const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font:16px/1.5 system-ui,sans-serif;color:#1a1a1a">
<p>aios needs your approval before it goes on.</p>
<p style="font-size:18px;font-weight:600">${escapeHtml(approval.summary)}</p>
<p>Risk: ${escapeHtml(approval.risk)}<br>Action: ${escapeHtml(approval.action.type)}<br>Workflow: ${escapeHtml(approval.workflow)} (run ${escapeHtml(approval.runId)}, step ${escapeHtml(approval.stepId)})</p>
<p><a href="${escapeHtml(link)}" style="display:inline-block;padding:14px 22px;background:#1d4ed8;color:#fff;border-radius:8px;text-decoration:none;font-weight:700">Review and decide</a></p>
<p style="color:#555;font-size:14px">The link is for ${escapeHtml(approverEmail)} only, works once, and expires at ${escapeHtml(expires)}. Opening it decides nothing; only the Approve or Reject button on the page does.</p>
</body></html>
`;
      const { messageId } = await deps.transport.send({
        from: deps.from,
        to: [approverEmail],
        subject: `Approval needed: ${oneLine(approval.summary, 120)}`,
        text,
        html,
        // One email per link: the nonce makes a re-sent notice a new email with its own link.
        idempotencyKey: `approval-link:${approval.approvalId}:${claims.nonce}`,
      });
      return { link, messageId, expiresAt: new Date(claims.exp).toISOString() };
    },
  };
}
