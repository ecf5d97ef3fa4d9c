import type { Judgement } from './schemas.ts';

export interface Promotion {
  minJudged: number;
  minAgreement: number;
}

export interface Agreement {
  /** Judgements counted: the last `minJudged` (or fewer, if there are not that many yet). */
  judged: number;
  agreed: number;
  /** agreed / judged; 0 when nothing is judged. */
  rate: number;
}

/** A rate as the operator reads it and the refusal prints it: two decimals, never rounded up past the gate. */
export const formatRate = (rate: number) => (Math.floor(rate * 100 + 1e-9) / 100).toFixed(2);

/** Agreement over the last `window` judgements (by time). */
export function agreementOf(judgements: readonly Judgement[], window: number): Agreement {
  const last = [...judgements].sort((a, b) => a.at.localeCompare(b.at)).slice(-window);
  const agreed = last.filter((j) => j.verdict === 'agree').length;
  return { judged: last.length, agreed, rate: last.length === 0 ? 0 : agreed / last.length };
}

/** Whether the numbers earn promotion, and if not, why in one line with the numbers. */
export function promotionVerdict(
  agreement: Agreement,
  promotion: Promotion,
): { ok: true } | { ok: false; reason: string } {
  if (agreement.judged < promotion.minJudged) {
    return {
      ok: false,
      reason: `${agreement.judged} judged < ${promotion.minJudged} needed (agreement so far ${formatRate(agreement.rate)})`,
    };
  }
  if (agreement.rate < promotion.minAgreement) {
    return {
      ok: false,
      reason: `agreement ${formatRate(agreement.rate)} < ${promotion.minAgreement} over the last ${agreement.judged} judged (${agreement.agreed} agreed)`,
    };
  }
  return { ok: true };
}

export interface RelaxSuggestion {
  actionType: string;
  approvals: number;
  message: string;
}

/**
 * Action types whose last `minJudged` approvals were all approved unchanged: the gate on them
 * could be relaxed. Only a suggestion; nothing changes by itself.
 */
export function relaxSuggestions(judgements: readonly Judgement[], minJudged: number): RelaxSuggestion[] {
  const byType = new Map<string, Judgement[]>();
  for (const j of judgements) {
    if (j.source !== 'approval') continue;
    byType.set(j.actionType, [...(byType.get(j.actionType) ?? []), j]);
  }
  const suggestions: RelaxSuggestion[] = [];
  for (const [actionType, list] of byType) {
    const last = [...list].sort((a, b) => a.at.localeCompare(b.at)).slice(-minJudged);
    if (last.length < minJudged || last.some((j) => j.verdict !== 'agree')) continue;
    suggestions.push({
      actionType,
      approvals: last.length,
      message: `the last ${last.length} approvals of ${actionType} were all approved unchanged: its approval gate could be relaxed (a policy rule change; nothing was changed)`,
    });
  }
  return suggestions;
}
