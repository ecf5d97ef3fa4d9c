import { formatRate } from '../../functions/core/trust/agreement.ts';
import type { ReviewItem } from '../../functions/core/trust/schemas.ts';
import type { ModeChange, WorkflowTrust } from '../../functions/core/trust/trust-service.ts';
import type { ApiClient } from './api-client.ts';
import { type Output, readInput } from './commands.ts';
import { CliError, EXIT } from './errors.ts';

// What `aios reviews | review | trust | promote | demote` do once their options are parsed
// (registered in trust-commands.ts), through the routes of functions/api/trust-routes.ts.

const VERDICTS = ['agree', 'change', 'reject'] as const;

function formatReviews(reviews: readonly ReviewItem[]): string {
  if (reviews.length === 0) return 'No shadow run waits for your review.';
  const lines = [`${reviews.length} proposed action${reviews.length === 1 ? '' : 's'} to judge:`];
  for (const r of reviews) {
    lines.push(
      `  ${r.reviewId}  ${r.workflow} v${r.workflowVersion} step ${r.stepIndex + 1} "${r.title}": ${r.action.type} ${JSON.stringify(r.action.params)}`,
      `      judge it: aios review ${r.reviewId} agree | change --set key=value... | reject`,
    );
  }
  return lines.join('\n');
}

export async function reviewsCommand(client: ApiClient, output: Output, options: { json: boolean }) {
  const { reviews } = await client.request<{ reviews: ReviewItem[] }>('GET', '/reviews');
  output.out(options.json ? JSON.stringify(reviews, null, 2) : formatReviews(reviews));
  return EXIT.ok;
}

export async function reviewCommand(
  client: ApiClient,
  output: Output,
  id: string,
  verdict: string,
  options: { set: string[]; note?: string; by?: string; json: boolean },
) {
  if (!(VERDICTS as readonly string[]).includes(verdict)) {
    throw new CliError(
      `the verdict is one of ${VERDICTS.join(', ')}, not ${JSON.stringify(verdict)}`,
      EXIT.badInput,
    );
  }
  const change = options.set.length > 0 ? await readInput(undefined, options.set) : undefined;
  const { review } = await client.request<{ review: ReviewItem }>(
    'POST',
    `/reviews/${encodeURIComponent(id)}`,
    {
      verdict,
      ...(change ? { change } : {}),
      ...(options.note ? { note: options.note } : {}),
      ...(options.by ? { by: options.by } : {}),
    },
  );
  output.out(
    options.json
      ? JSON.stringify(review, null, 2)
      : `Review ${review.reviewId} judged: ${review.judgement?.verdict}.`,
  );
  return EXIT.ok;
}

function formatTrust(trust: WorkflowTrust): string {
  const lines = [
    `${trust.workflow} v${trust.version}: ${trust.mode}; promotion needs ${trust.promotion.minJudged} judged and agreement ≥ ${trust.promotion.minAgreement}`,
    ...trust.agreement.map(
      (a) =>
        `  v${a.version}: agreement ${formatRate(a.rate)} over the last ${a.judged} judged (${a.agreed} agreed)`,
    ),
    ...trust.suggestions.map((s) => `  suggestion: ${s.message}`),
    ...trust.modeChanges.map((c) => `  ${c.at}  ${c.mode} by ${c.by}: ${c.why}`),
  ];
  return lines.join('\n');
}

export async function trustCommand(
  client: ApiClient,
  output: Output,
  workflow: string,
  options: { json: boolean },
) {
  const trust = await client.request<WorkflowTrust>(
    'GET',
    `/workflows/${encodeURIComponent(workflow)}/trust`,
  );
  output.out(options.json ? JSON.stringify(trust, null, 2) : formatTrust(trust));
  return EXIT.ok;
}

export async function modeCommand(
  client: ApiClient,
  output: Output,
  workflow: string,
  to: 'promote' | 'demote',
  options: { why?: string; by?: string; json: boolean },
) {
  const { change } = await client.request<{ change: ModeChange }>(
    'POST',
    `/workflows/${encodeURIComponent(workflow)}/${to}`,
    { ...(options.why ? { why: options.why } : {}), ...(options.by ? { by: options.by } : {}) },
  );
  output.out(
    options.json
      ? JSON.stringify(change, null, 2)
      : `${workflow} is ${change.mode} now${change.agreement ? ` (agreement ${formatRate(change.agreement.rate)} over the last ${change.agreement.judged} judged)` : ''}; new runs start in ${change.mode} mode.`,
  );
  return EXIT.ok;
}
