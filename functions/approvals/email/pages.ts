import type { HttpResult } from '../../api/http.ts';
import type { Approval, Decision } from '../../core/approvals/approval.ts';
import type { LinkClaims } from './link-token.ts';

/*
 * The pages of an email approval link: plain server-rendered HTML, no script, readable on a phone.
 * Every value that comes from a record, a token or a request goes through `escapeHtml`.
 */

/** No script, no frames, no referrer (the token is in the URL), never cached (it holds a live token). */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

export function htmlResponse(statusCode: number, html: string): HttpResult {
  return { statusCode, headers: { ...PAGE_HEADERS }, body: html };
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Safe in element content and in quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (char) => ENTITIES[char] ?? char);
}

/** `2026-11-25 10:15 UTC`; a value that is not a date is shown as it is (escaped by the caller). */
export function formatTime(value: string | number | Date): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

const RISK_LABELS: Record<Approval['risk'], string> = {
  read: 'read only',
  write: 'changes records',
  'external-message': 'sends a message outside',
  money: 'moves money',
};

const MAX_PARAM_CHARS = 600;

function paramText(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value, null, 2) ?? String(value));
  return text.length > MAX_PARAM_CHARS
    ? `${text.slice(0, MAX_PARAM_CHARS)}… (${text.length} characters)`
    : text;
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;padding:16px;font:18px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#f6f6f4}
main{max-width:640px;margin:0 auto;background:#fff;border-radius:12px;padding:20px;box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.5rem;line-height:1.25;margin:0 0 12px}
p{margin:0 0 12px}
.summary{font-size:1.2rem;font-weight:600}
dl{margin:0 0 16px}
dt{font-weight:600;margin-top:10px}
dd{margin:0}
pre{white-space:pre-wrap;word-break:break-word;background:#f1f1ee;padding:8px;border-radius:6px;font-size:.95rem;margin:4px 0 0}
.risk-money{color:#a40000;font-weight:700}
label{display:block;font-weight:600;margin:12px 0 4px}
textarea{width:100%;min-height:4.5em;font:inherit;padding:8px;border:1px solid #999;border-radius:6px}
.buttons{display:flex;flex-wrap:wrap;gap:12px;margin-top:16px}
button{flex:1 1 200px;min-height:56px;font:inherit;font-size:1.2rem;font-weight:700;border:0;border-radius:10px;color:#fff;cursor:pointer}
.approve{background:#1d7a32}
.reject{background:#b3261e}
.muted{color:#555;font-size:.95rem}
`;

function layout(title: string, content: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)} · aios</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${content}
</main>
</body>
</html>
`;
}

export interface ConfirmationPageInput {
  approval: Approval;
  claims: LinkClaims;
  /** Goes back in a hidden field: the POST carries it in its body, never in a URL it makes. */
  token: string;
  now: Date;
}

/** What a GET of a valid link shows: the request, and Approve / Reject. It decides nothing. */
export function renderConfirmationPage({ approval, claims, token, now }: ConfirmationPageInput): string {
  const minutesLeft = Math.max(1, Math.ceil((claims.exp - now.getTime()) / 60_000));
  const params = Object.entries(approval.action.params)
    .map(([name, value]) => `<dt>${escapeHtml(name)}</dt><dd><pre>${escapeHtml(paramText(value))}</pre></dd>`)
    .join('\n');
  const riskClass = approval.risk === 'money' ? ' class="risk-money"' : '';
  // No `action`: the form posts back to this very URL, whatever the stage prefix in front of it.
  return layout(
    'Approval needed',
    `<h1>Approval needed</h1>
<p class="summary" id="summary">${escapeHtml(approval.summary)}</p>
<dl>
<dt>Risk</dt><dd${riskClass} id="risk">${escapeHtml(approval.risk)} (${escapeHtml(RISK_LABELS[approval.risk])})</dd>
<dt>Action</dt><dd id="action"><code>${escapeHtml(approval.action.type)}</code></dd>
<dt>Workflow</dt><dd>${escapeHtml(approval.workflow)}, run <code>${escapeHtml(approval.runId)}</code>, step ${escapeHtml(approval.stepId)}</dd>
</dl>
${params ? `<p><strong>Parameters</strong></p>\n<dl id="params">\n${params}\n</dl>` : ''}
<form method="post">
<input type="hidden" name="token" value="${escapeHtml(token)}">
<label for="note">Note (optional)</label>
<textarea id="note" name="note" maxlength="2000"></textarea>
<div class="buttons">
<button type="submit" class="approve" name="decision" value="approve">Approve</button>
<button type="submit" class="reject" name="decision" value="reject">Reject</button>
</div>
</form>
<p class="muted">This link is for <span id="approver">${escapeHtml(claims.approver)}</span> only, works once, and expires at ${escapeHtml(formatTime(claims.exp))} (in ${minutesLeft} minute${minutesLeft === 1 ? '' : 's'}). Opening it decides nothing; only a button does.</p>`,
  );
}

/** Every page but the confirmation. */
export type ResultPage =
  | { kind: 'approved'; approval: Approval }
  | { kind: 'rejected'; approval: Approval }
  /** A second click anywhere (this link, another link, Slack, the CLI): first decision wins. */
  | { kind: 'already-decided'; decision: Decision }
  | { kind: 'link-expired'; claims?: LinkClaims }
  /** The approval request itself ran out (escalation ended it), whatever the link. */
  | { kind: 'request-expired' }
  /** The run was cancelled while the request waited: it was withdrawn. */
  | { kind: 'run-cancelled'; runId: string }
  | { kind: 'link-used'; decision?: Decision }
  | { kind: 'link-invalid'; detail: string }
  | { kind: 'not-found' }
  | { kind: 'not-allowed'; message: string }
  | { kind: 'bad-request'; message: string }
  | { kind: 'error' };

const outcomeWord = (decision: Decision) => (decision.outcome === 'approved' ? 'approved' : 'rejected');

function byLine(decision: Decision): string {
  const channel = decision.channel === 'email' ? 'an email link' : decision.channel;
  return `by <strong class="by">${escapeHtml(decision.by)}</strong> at <time>${escapeHtml(formatTime(decision.at))}</time> (via ${escapeHtml(channel)})`;
}

function noteLine(decision: Decision | undefined): string {
  return decision?.note ? `<p>Note: ${escapeHtml(decision.note)}</p>` : '';
}

export function resultPageTitle(page: ResultPage): string {
  switch (page.kind) {
    case 'approved':
      return 'Approved — the run goes on';
    case 'rejected':
      return 'Rejected';
    case 'already-decided':
      return `Already ${outcomeWord(page.decision)}`;
    case 'link-expired':
      return 'This link has expired';
    case 'request-expired':
      return 'This approval request has expired';
    case 'run-cancelled':
      return 'The run was cancelled';
    case 'link-used':
      return 'This link was already used';
    case 'link-invalid':
      return 'This link is not valid';
    case 'not-found':
      return 'No such approval request';
    case 'not-allowed':
      return 'You cannot decide this request';
    case 'bad-request':
      return 'This request is not valid';
    case 'error':
      return 'Something went wrong';
  }
}

export function renderResultPage(page: ResultPage): string {
  const title = resultPageTitle(page);
  const heading = `<h1>${escapeHtml(title)}</h1>`;
  switch (page.kind) {
    case 'approved':
    case 'rejected': {
      const decision = page.approval.decision;
      const what = `<p class="summary">${escapeHtml(page.approval.summary)}</p>`;
      const who = decision
        ? `<p>${page.kind === 'approved' ? 'Approved' : 'Rejected'} ${byLine(decision)}.</p>`
        : '';
      const next =
        page.kind === 'approved'
          ? '<p>The run goes on with this step. You can close this page.</p>'
          : '<p>The step will not run. You can close this page.</p>';
      return layout(title, `${heading}\n${what}\n${who}\n${noteLine(decision)}\n${next}`);
    }
    case 'already-decided':
      return layout(
        title,
        `<h1>Already ${escapeHtml(outcomeWord(page.decision))} ${byLine(page.decision)}</h1>\n${noteLine(page.decision)}\n<p>The first decision stands; nothing was changed.</p>`,
      );
    case 'link-expired': {
      const when = page.claims ? ` at ${escapeHtml(formatTime(page.claims.exp))}` : '';
      return layout(
        title,
        `${heading}\n<p>The link expired${when}. Nothing was decided. Ask for a new link, or decide in Slack or with <code>aios approve</code>.</p>`,
      );
    }
    case 'request-expired':
      return layout(
        title,
        `${heading}\n<p>The request waited too long and was closed. Nothing was decided here.</p>`,
      );
    case 'run-cancelled':
      return layout(
        title,
        `${heading}\n<p>Run <code>${escapeHtml(page.runId)}</code> was cancelled, so this request was withdrawn. Nothing was decided here.</p>`,
      );
    case 'link-used': {
      const state = page.decision
        ? `<p>The request was ${escapeHtml(outcomeWord(page.decision))} ${byLine(page.decision)}.</p>`
        : '<p>Each link works once. Nothing was changed.</p>';
      return layout(title, `${heading}\n${state}`);
    }
    case 'link-invalid':
      return layout(
        title,
        `${heading}\n<p>${escapeHtml(page.detail)}</p>\n<p>Nothing was decided. Open the link from the email exactly as it was sent.</p>`,
      );
    case 'not-found':
      return layout(title, `${heading}\n<p>The request this link points to does not exist (any more).</p>`);
    case 'not-allowed':
    case 'bad-request':
      return layout(title, `${heading}\n<p>${escapeHtml(page.message)}</p>\n<p>Nothing was decided.</p>`);
    case 'error':
      return layout(
        title,
        `${heading}\n<p>The decision may not have been recorded, and this link may no longer work. Decide in Slack or with <code>aios approve</code>, or ask for a new link.</p>`,
      );
  }
}
