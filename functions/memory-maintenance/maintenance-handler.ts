import * as z from 'zod';
import type { MemoryConsolidator } from '../core/memory/consolidation.ts';
import type { MemoryIndexer } from '../core/memory/indexer.ts';
import { agentHandler } from '../shared/agent-middleware.ts';
import { metrics } from '../shared/powertools.ts';

export const MaintenanceEventSchema = z.discriminatedUnion('op', [
  /** From the EventBridge schedule. */
  z.object({ op: z.literal('consolidate'), asOf: z.iso.datetime().optional() }),
  /** By hand (`aws lambda invoke`), e.g. after changing the embedding model or its dimensions. */
  z.object({ op: z.literal('reindex') }),
]);

/** Consolidation on a schedule, and reindex on demand: the jobs too long for an API request. */
export function createMemoryMaintenanceHandler(deps: {
  consolidator: MemoryConsolidator;
  indexer: MemoryIndexer;
}) {
  return agentHandler(MaintenanceEventSchema, async (event) => {
    if (event.op === 'reindex') return deps.indexer.reindex();
    const report = await deps.consolidator.consolidate(event.asOf);
    metrics.addMetric('MemoryConsolidated', 'Count', report.consolidated);
    return report;
  });
}
