import * as z from 'zod';
import type { HttpRequest, HttpResult, RouteHandlers } from '../../api/http.ts';
import type { Approval, Approvals, DecideResult } from '../../core/approvals/approval.ts';
import { ApprovalIdSchema } from '../../core/ids.ts';
import { lazySchema } from '../../core/lazy-schema.ts';
import type { Clock } from '../../core/ports.ts';
import { logger, metrics } from '../../shared/powertools.ts';
import type { LinkTokenCheck, LinkTokenFailure, LinkTokenUses } from './link-token.ts';
import { htmlResponse, type ResultPage, renderConfirmationPage, renderResultPage } from './pages.ts';

export interface ApprovalLinkRoutesDeps {
  approvals: Approvals;
  /** Checks a token's signature, expiry and binding to this approval (see `createLinkTokens`). */
  verify: (token: string, approvalId: string) => Promise<LinkTokenCheck>;
  uses: LinkTokenUses;
  clock: Clock;
}

const TokenSchema = z
  .string({ error: 'the link has no token' })
  .min(1, 'the link has no token')
  .max(4096, 'the token is too long');

const PathSchema = z.object({ id: ApprovalIdSchema });
// A request is the page (GET, its query) or the decision (POST, its form): each is built when first
// needed, so a cold start builds only the one its first request reads.
const QuerySchema = lazySchema(() => z.object({ token: TokenSchema }));
// Strict: the page posts exactly these fields, and a link never edits anything, so any other field
// (an edit, a `__proto__`) is refused by name rather than dropped.
const FormSchema = lazySchema(() =>
  z.strictObject({
    token: TokenSchema,
    decision: z.enum(['approve', 'reject'], { error: 'decision must be "approve" or "reject"' }),
    note: z
      .string()
      .max(2000, 'the note is longer than 2000 characters')
      .optional()
      .transform((note) => note?.trim() || undefined),
  }),
);

const FAILURE_STATUS: Record<LinkTokenFailure, number> = {
  malformed: 400,
  'bad-signature': 403,
  'wrong-approval': 403,
  expired: 410,
};

const FAILURE_DETAIL: Record<Exclude<LinkTokenFailure, 'expired'>, string> = {
  malformed: 'The link is incomplete or damaged; it may have been cut when it was copied.',
  'bad-signature': 'The link was not signed by aios, or it was changed after it was sent.',
  'wrong-approval': 'The link belongs to another approval request.',
};

const page = (statusCode: number, result: ResultPage) => htmlResponse(statusCode, renderResultPage(result));

/** A page for a decided or closed request, or nothing while it is still pending. */
function closedRequestPage(approval: Approval): HttpResult | undefined {
  if (approval.status === 'WITHDRAWN') return page(410, { kind: 'run-cancelled', runId: approval.runId });
  if (approval.decision) return page(409, { kind: 'already-decided', decision: approval.decision });
  if (approval.status === 'EXPIRED') return page(410, { kind: 'request-expired' });
  return undefined;
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'the request is not valid';
  const field = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return `${field}${issue.message}`;
}

function formFields(event: HttpRequest): Record<string, string> | undefined {
  const contentType = event.headers['content-type'];
  if (!contentType || !/^application\/x-www-form-urlencoded\s*(;|$)/i.test(contentType)) return undefined;
  return Object.fromEntries(new URLSearchParams(event.body.toString('utf8')));
}

/**
 * The email magic link. GET only shows what is asked and the two buttons (a mail scanner's GET
 * decides nothing and uses nothing up); POST uses the link once and decides. A bad, used or
 * expired link is always a 4xx page with no state change.
 */
export function createApprovalLinkRoutes(deps: ApprovalLinkRoutesDeps): RouteHandlers<'approval-links'> {
  function refused(approvalId: string, reason: string, statusCode: number, result: ResultPage) {
    logger.info('approval link refused', { approvalId, reason, statusCode });
    metrics.addMetric('ApprovalLinkRefused', 'Count', 1);
    return page(statusCode, result);
  }

  async function checkToken(
    approvalId: string,
    token: string,
  ): Promise<
    { ok: true; check: Extract<LinkTokenCheck, { ok: true }> } | { ok: false; response: HttpResult }
  > {
    const check = await deps.verify(token, approvalId);
    if (check.ok) return { ok: true, check };
    const status = FAILURE_STATUS[check.reason];
    const result: ResultPage =
      check.reason === 'expired'
        ? { kind: 'link-expired', claims: check.claims }
        : { kind: 'link-invalid', detail: FAILURE_DETAIL[check.reason] };
    return { ok: false, response: refused(approvalId, check.reason, status, result) };
  }

  async function show(approvalId: string, event: HttpRequest): Promise<HttpResult> {
    const query = QuerySchema.safeParse({ ...event.query });
    if (!query.success) {
      return refused(approvalId, 'malformed', 400, {
        kind: 'link-invalid',
        detail: FAILURE_DETAIL.malformed,
      });
    }
    const verified = await checkToken(approvalId, query.data.token);
    if (!verified.ok) return verified.response;
    const approval = await deps.approvals.get(approvalId);
    if (!approval) return refused(approvalId, 'not-found', 404, { kind: 'not-found' });
    const closed = closedRequestPage(approval);
    if (closed) return closed;
    return htmlResponse(
      200,
      renderConfirmationPage({
        approval,
        claims: verified.check.claims,
        token: query.data.token,
        now: deps.clock.now(),
      }),
    );
  }

  async function decide(approvalId: string, event: HttpRequest): Promise<HttpResult> {
    const fields = formFields(event);
    if (!fields) {
      return refused(approvalId, 'bad-form', 400, {
        kind: 'bad-request',
        message: 'Send the form as application/x-www-form-urlencoded, as the page does.',
      });
    }
    const form = FormSchema.safeParse(fields);
    if (!form.success) {
      return refused(approvalId, 'bad-form', 400, { kind: 'bad-request', message: firstIssue(form.error) });
    }
    const verified = await checkToken(approvalId, form.data.token);
    if (!verified.ok) return verified.response;
    const { claims } = verified.check;

    if (!(await deps.uses.markUsed(claims.nonce, claims.exp))) {
      // Reading the record changes nothing; it lets the page say who decided, if anyone has.
      const approval = await deps.approvals.get(approvalId);
      return refused(approvalId, 'used', 409, { kind: 'link-used', decision: approval?.decision });
    }

    const outcome = form.data.decision === 'approve' ? 'approved' : 'rejected';
    const result: DecideResult = await deps.approvals.decide(approvalId, {
      outcome,
      channel: 'email',
      by: claims.approver,
      ...(form.data.note ? { note: form.data.note } : {}),
    });
    if (result.ok) {
      logger.info('approval decided by email link', { approvalId, outcome });
      metrics.addMetric('ApprovalDecidedByEmail', 'Count', 1);
      return page(200, { kind: outcome, approval: result.approval });
    }
    switch (result.reason) {
      case 'not-found':
        return refused(approvalId, 'not-found', 404, { kind: 'not-found' });
      case 'already-decided':
        return (
          closedRequestPage(result.approval) ??
          refused(approvalId, 'already-decided', 409, { kind: 'link-used' })
        );
      case 'expired':
        return refused(approvalId, 'request-expired', 410, { kind: 'request-expired' });
      case 'not-allowed':
        return refused(approvalId, 'not-allowed', 403, { kind: 'not-allowed', message: result.message });
      case 'invalid-edit':
        return refused(approvalId, 'invalid-edit', 400, { kind: 'bad-request', message: result.message });
    }
  }

  /** The approval id from the path, then `step`; any failure is a page that reveals nothing. */
  const route =
    (step: (approvalId: string, event: HttpRequest) => Promise<HttpResult>) =>
    async (event: HttpRequest): Promise<HttpResult> => {
      const path = PathSchema.safeParse({ ...event.params });
      if (!path.success) return page(400, { kind: 'bad-request', message: firstIssue(path.error) });
      const approvalId = path.data.id;
      try {
        return await step(approvalId, event);
      } catch (error) {
        // The page says nothing of internals; the log has the real error (never the token).
        logger.error('approval link failed', { approvalId, method: event.method, error: error as Error });
        return page(500, { kind: 'error' });
      }
    };
  return { showApprovalLink: route(show), decideByApprovalLink: route(decide) };
}
