/** @jsxImportSource hono/jsx */
import type { JSX } from 'hono/jsx/jsx-runtime';
import * as z from 'zod';
import type { HandoffService } from '../core/agents/handoff-service.ts';
import type { Approvals } from '../core/approvals/approval.ts';
import { NotFoundError, ValidationError } from '../core/errors.ts';
import type { Clock } from '../core/ports.ts';
import type { TrustService } from '../core/trust/trust-service.ts';
import { type ConsoleHandlers, csrfOf, field, form, page } from './console-kit.tsx';
import { InboxPage } from './pages/inbox.tsx';
import { href } from './pages/layout.tsx';

export interface InboxPagesDeps {
  approvals: Approvals;
  clock: Clock;
  /** The handoff inbox: completing one answers its run, which goes on. */
  handoffs: Pick<HandoffService, 'list' | 'complete'>;
  /** Shadow reviews waiting in the inbox, and the judgement that earns (or withholds) promotion. */
  reviews: Pick<TrustService, 'listReviews' | 'judge'>;
}

/** The console's inbox: approvals (approve with edits, or reject), handoffs and shadow reviews. */
export function inboxPages(deps: InboxPagesDeps): ConsoleHandlers {
  return {
    consoleInbox: async (c) => {
      const [pending, handoffs, reviews] = await Promise.all([
        deps.approvals.listPending(),
        deps.handoffs.list(),
        deps.reviews.listReviews(),
      ]);
      const renderedAt = deps.clock.now().toISOString();
      return page(c, InboxPage({ csrf: csrfOf(c), pending, handoffs, reviews, renderedAt }) as JSX.Element);
    },
    consoleDecide: async (c) => {
      const id = z.string().min(1).max(200).parse(c.req.param('id'));
      const body = await form(c);
      const decision = z.enum(['approve', 'reject']).parse(field(body, 'decision'));
      const edits = Object.fromEntries(
        Object.keys(body)
          .filter((name) => name.startsWith('param.'))
          .map((name) => [name.slice('param.'.length), field(body, name)]),
      );
      const approval = await deps.approvals.get(id);
      if (!approval) throw new NotFoundError(`approval ${id} does not exist`);
      // Only a field whose value the operator changed is an edit.
      const changed = Object.fromEntries(
        Object.entries(edits).filter(([name, value]) => String(approval.action.params[name] ?? '') !== value),
      );
      const result = await deps.approvals.decide(id, {
        outcome: decision === 'approve' ? 'approved' : 'rejected',
        channel: 'api',
        by: 'operator',
        note: field(body, 'note') || undefined,
        editedParams: decision === 'approve' && Object.keys(changed).length > 0 ? changed : undefined,
        openedAt: z.iso
          .datetime()
          .optional()
          .parse(field(body, 'openedAt') || undefined),
      });
      if (!result.ok && result.reason !== 'already-decided')
        return c.text(
          `Not decided: ${'message' in result ? result.message : result.reason}`,
          result.reason === 'invalid-edit' ? 400 : 409,
        );
      return c.redirect(href('/inbox'), 303);
    },
    consoleCompleteHandoff: async (c) => {
      const id = z.string().min(1).max(200).parse(c.req.param('id'));
      // The service checks the text (and an extraction's fields) against the step's declared output.
      await deps.handoffs.complete(id, { text: field(await form(c), 'text') ?? '', by: 'operator' });
      return c.redirect(href('/inbox'), 303);
    },
    consoleJudgeReview: async (c) => {
      const id = z.string().min(1).max(200).parse(c.req.param('id'));
      const body = await form(c);
      const verdict = field(body, 'verdict');
      const changeText = verdict === 'change' ? field(body, 'change')?.trim() : undefined;
      let change: unknown;
      try {
        change = changeText ? JSON.parse(changeText) : undefined;
      } catch {
        throw new ValidationError('change: not JSON (the parameters as you would have them)', []);
      }
      // The trust service checks the verdict and that a change comes with (only) a "change" verdict.
      await deps.reviews.judge(id, {
        verdict,
        ...(change !== undefined ? { change } : {}),
        ...(field(body, 'note') ? { note: field(body, 'note') } : {}),
        by: 'operator',
      });
      return c.redirect(href('/inbox'), 303);
    },
  };
}
