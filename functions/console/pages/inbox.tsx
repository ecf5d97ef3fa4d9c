/** @jsxImportSource hono/jsx */
import type { Handoff } from '../../core/agents/handoff.ts';
import type { Approval } from '../../core/approvals/approval.ts';
import type { ReviewItem } from '../../core/trust/schemas.ts';
import { time } from './format.ts';
import { HandoffCard } from './handoff-card.tsx';
import { ActionForm, href, Layout } from './layout.tsx';
import { ReviewCard } from './review-card.tsx';

export interface InboxPageProps {
  csrf: string;
  pending: readonly Approval[];
  /** Model steps handed to the operator, waiting for their output. */
  handoffs: readonly Handoff[];
  /** What shadow runs would have done, waiting for the operator's judgement. */
  reviews?: readonly ReviewItem[];
  /** When the page was rendered: sent back as `openedAt`, so the decision's own time is measured. */
  renderedAt: string;
}

const paramValue = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

function ApprovalCard({
  approval,
  csrf,
  renderedAt,
}: {
  approval: Approval;
  csrf: string;
  renderedAt: string;
}) {
  const id = approval.approvalId;
  const action = href(`/inbox/${encodeURIComponent(id)}`);
  return (
    <section class="card" aria-labelledby={`a-${id}`}>
      <h2 id={`a-${id}`}>{approval.summary}</h2>
      <p class="muted">
        {`${approval.workflow} · risk ${approval.risk} · asked ${time(approval.createdAt)} · expires ${time(approval.expiresAt)} · `}
        <a href={href(`/runs/${encodeURIComponent(approval.runId)}`)}>run</a>
      </p>
      <ActionForm action={action} csrf={csrf}>
        <input type="hidden" name="openedAt" value={renderedAt} />
        {approval.editable.map((name) => (
          <>
            <label for={`${id}-${name}`}>{`Edit ${name}`}</label>
            <input
              id={`${id}-${name}`}
              name={`param.${name}`}
              value={paramValue(approval.action.params[name])}
            />
          </>
        ))}
        <label for={`${id}-note`}>Note</label>
        <input id={`${id}-note`} name="note" maxlength={2000} />
        <p>
          <button type="submit" name="decision" value="approve">
            {approval.editable.length > 0 ? 'Approve (with edits)' : 'Approve'}
          </button>{' '}
          <button type="submit" name="decision" value="reject">
            Reject
          </button>
        </p>
      </ActionForm>
    </section>
  );
}

/**
 * Everything waiting for the operator, oldest first: approvals (approve, reject, or edit then
 * approve), handoffs (write what the model could not) and shadow reviews (judge a proposed action).
 */
export function InboxPage({ csrf, pending, handoffs, reviews = [], renderedAt }: InboxPageProps) {
  const waiting = [
    ...pending.map((approval) => ({ at: approval.createdAt, approval })),
    ...handoffs.map((handoff) => ({ at: handoff.createdAt, handoff })),
    ...reviews.map((review) => ({ at: review.createdAt, review })),
  ].sort((a, b) => a.at.localeCompare(b.at));
  return (
    <Layout title="Inbox" csrf={csrf}>
      {waiting.length === 0 ? (
        <p>Nothing waits for you.</p>
      ) : (
        waiting.map((item) =>
          'approval' in item ? (
            <ApprovalCard approval={item.approval} csrf={csrf} renderedAt={renderedAt} />
          ) : 'review' in item ? (
            <ReviewCard review={item.review} csrf={csrf} />
          ) : (
            <HandoffCard handoff={item.handoff} csrf={csrf} />
          ),
        )
      )}
    </Layout>
  );
}
