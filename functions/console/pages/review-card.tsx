/** @jsxImportSource hono/jsx */
import type { ReviewItem } from '../../core/trust/schemas.ts';
import { time } from './format.ts';
import { json } from './handoff-card.tsx';
import { ActionForm, href } from './layout.tsx';

/**
 * What a shadow run would have done, for the operator to judge: as I would do it, I would change it
 * (the parameters as they would have them), or I would not do it. The judgements earn promotion.
 */
export function ReviewCard({ review, csrf }: { review: ReviewItem; csrf: string }) {
  const id = review.reviewId;
  return (
    <section class="card" aria-labelledby={`r-${id}`}>
      <h2 id={`r-${id}`}>{`Shadow review: ${review.title}`}</h2>
      <p class="muted">
        {`${review.workflow} v${review.workflowVersion} · would ${review.action.type} · proposed ${time(review.createdAt)} · `}
        <a href={href(`/runs/${encodeURIComponent(review.runId)}`)}>run</a>
      </p>
      <pre>{json(review.action.params)}</pre>
      <ActionForm action={href(`/reviews/${encodeURIComponent(id)}`)} csrf={csrf}>
        <label for={`${id}-change`}>
          The parameters as you would have them (JSON, for "I would change it")
        </label>
        <textarea id={`${id}-change`} name="change" rows={4} />
        <label for={`${id}-note`}>Note</label>
        <input id={`${id}-note`} name="note" maxlength={2000} />
        <p>
          <button type="submit" name="verdict" value="agree">
            As I would do it
          </button>{' '}
          <button type="submit" name="verdict" value="change">
            I would change it
          </button>{' '}
          <button type="submit" name="verdict" value="reject">
            I would not do it
          </button>
        </p>
      </ActionForm>
    </section>
  );
}
