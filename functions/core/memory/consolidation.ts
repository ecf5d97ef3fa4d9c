import { createHash } from 'node:crypto';
import { ConflictError } from '../errors.ts';
import type { MemoryLog } from '../ports/memory.ts';
import type { Clock, ModelPort } from '../ports.ts';
import { readLatest } from './indexer.ts';
import type { MemoryService } from './memory-service.ts';
import type { MemoryItem } from './schemas.ts';

export interface ConsolidationDeps {
  log: MemoryLog;
  memory: MemoryService;
  model: ModelPort;
  clock: Clock;
  /** Working items kept per namespace; the oldest beyond it are consolidated early. */
  maxWorkingPerNamespace?: number;
  /** Items summarised in one model call. */
  maxItemsPerSummary?: number;
}

export interface ConsolidationReport {
  asOf: string;
  /** One summary per namespace (and chunk) of working memory that was due. */
  summaries: { namespace: string; id: string; items: number }[];
  /** Working items folded into a summary and retired. */
  consolidated: number;
  /** Other items past their validity, retired without a summary. */
  expired: number;
  modelCalls: number;
  costUsd: number;
}

const SYSTEM_PROMPT = [
  "You consolidate a one-person company's working memory into long-term memory.",
  'Summarise the memories below into a few short factual sentences: keep names, amounts, dates and',
  'decisions, drop chatter. Answer with the summary text only.',
].join('\n');
const MAX_SUMMARY_TOKENS = 600;
const MAX_SUMMARY_CHARS = 4000;

const byValidFrom = (a: MemoryItem, b: MemoryItem) =>
  a.validFrom < b.validFrom ? -1 : a.validFrom > b.validFrom ? 1 : a.id < b.id ? -1 : 1;

/**
 * Summarises expired working memory into long-term items through the model port, retires what it
 * summarised and whatever else has expired, and keeps each namespace's working memory bounded.
 * The summary is written before anything is retired, under an id derived from what it summarises,
 * so a crash part-way leaves nothing lost and a rerun writes nothing twice.
 */
export function createMemoryConsolidator(deps: ConsolidationDeps) {
  const cap = deps.maxWorkingPerNamespace ?? 200;
  const chunk = deps.maxItemsPerSummary ?? 50;

  async function retire(item: MemoryItem, reason: 'consolidated' | 'expired', into?: string) {
    try {
      await deps.memory.retire(item, reason, into);
      return true;
    } catch (error) {
      // Someone wrote a newer version meanwhile: that version decides, not this pass.
      if (error instanceof ConflictError) return false;
      throw error;
    }
  }

  return {
    async consolidate(asOfInput?: string): Promise<ConsolidationReport> {
      const asOf = asOfInput ?? deps.clock.now().toISOString();
      const active = (await readLatest(deps.log)).filter(
        (item) => item.state === 'active' && item.tier !== 'session',
      );
      const expired = (item: MemoryItem) => item.validUntil !== undefined && item.validUntil <= asOf;

      const due = new Map<string, MemoryItem[]>();
      for (const item of active.filter((i) => i.tier === 'working').sort(byValidFrom)) {
        const list = due.get(item.namespace) ?? [];
        list.push(item);
        due.set(item.namespace, list);
      }
      for (const [namespace, items] of due) {
        const live = items.filter((i) => !expired(i));
        const overflow = new Set(live.slice(0, Math.max(0, live.length - cap)));
        due.set(
          namespace,
          items.filter((i) => expired(i) || overflow.has(i)),
        );
      }

      const report: ConsolidationReport = {
        asOf,
        summaries: [],
        consolidated: 0,
        expired: 0,
        modelCalls: 0,
        costUsd: 0,
      };
      for (const namespace of [...due.keys()].sort()) {
        const items = due.get(namespace) ?? [];
        for (let i = 0; i < items.length; i += chunk) {
          const group = items.slice(i, i + chunk);
          const summaryId = `summary-${createHash('sha256')
            .update(group.map((g) => `${g.id}@${g.version}`).join(','))
            .digest('hex')
            .slice(0, 16)}`;
          const prompt = `<namespace>${namespace}</namespace>\n<memories>${JSON.stringify(
            group.map((g) => ({ id: g.id, kind: g.kind, validFrom: g.validFrom, text: g.text })),
          )}</memories>`;
          const response = await deps.model.converse({
            tier: 'fast',
            system: SYSTEM_PROMPT,
            prompt,
            maxTokens: MAX_SUMMARY_TOKENS,
          });
          report.modelCalls += 1;
          report.costUsd += deps.model.priceUsd(
            response.modelId,
            response.inputTokens,
            response.outputTokens,
          );
          const text = response.text.trim().slice(0, MAX_SUMMARY_CHARS);
          if (!text) throw new Error(`the model returned an empty summary for ${namespace}`);
          try {
            await deps.memory.write({
              id: summaryId,
              namespace,
              kind: 'summary',
              tier: 'long-term',
              text,
              origin: { document: `consolidation of ${group.length} working items (${response.modelId})` },
            });
          } catch (error) {
            // An earlier pass wrote this summary and stopped before retiring everything: finish it.
            if (!(error instanceof ConflictError)) throw error;
          }
          report.summaries.push({ namespace, id: summaryId, items: group.length });
          for (const item of group)
            if (await retire(item, 'consolidated', summaryId)) report.consolidated += 1;
        }
      }
      for (const item of active.filter((i) => i.tier !== 'working' && expired(i))) {
        if (await retire(item, 'expired')) report.expired += 1;
      }
      return report;
    },
  };
}

export type MemoryConsolidator = ReturnType<typeof createMemoryConsolidator>;
