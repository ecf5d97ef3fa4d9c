import { MemoryIdSchema } from '../core/ids.ts';
import type { MemoryConsolidator } from '../core/memory/consolidation.ts';
import type { MemoryIndexer } from '../core/memory/indexer.ts';
import type { MemoryService } from '../core/memory/memory-service.ts';
import { MemoryConsolidateRequestSchema } from '../core/memory/schemas.ts';
import { parseOrThrow } from '../core/validation.ts';
import { metrics } from '../shared/powertools.ts';
import { type HttpRequest, type HttpResult, json } from './http.ts';
import { parseBody, pathId } from './request-input.ts';

export interface MemoryApiDeps {
  service: MemoryService;
  /** Reindex and consolidation run through the API only where no scheduled Lambda does them (locally). */
  indexer?: MemoryIndexer;
  consolidator?: MemoryConsolidator;
}

type Route = (event: HttpRequest) => Promise<HttpResult>;

const notConfigured = (what: string) => async () => json(404, { message: `${what} is not configured` });

/** POST /memory, GET /memory/search, GET /memory/{id}/history, and (local-only routes) reindex and consolidate. */
export function memoryRoutes(deps: MemoryApiDeps | undefined) {
  const service = deps?.service;
  const indexer = deps?.indexer;
  const consolidator = deps?.consolidator;
  const writeMemory: Route = service
    ? async (event) => {
        const item = await service.write(parseBody(event));
        metrics.addMetric('MemoryWritten', 'Count', 1);
        return json(201, { item });
      }
    : notConfigured('memory');
  const searchMemory: Route = service
    ? async (event) => {
        const result = await service.search(event.query);
        metrics.addMetric('MemorySearched', 'Count', 1);
        return json(200, result);
      }
    : notConfigured('memory');
  const memoryHistory: Route = service
    ? async (event) => json(200, await service.history(pathId(event, MemoryIdSchema)))
    : notConfigured('memory');
  const reindexMemory: Route = indexer
    ? async () => json(200, await indexer.reindex())
    : notConfigured('memory reindex');
  const consolidateMemory: Route = consolidator
    ? async (event) => {
        const request = parseOrThrow(
          MemoryConsolidateRequestSchema,
          event.body.length > 0 ? parseBody(event) : {},
          'request body',
        );
        return json(200, await consolidator.consolidate(request.asOf));
      }
    : notConfigured('memory consolidation');
  return { writeMemory, searchMemory, memoryHistory, reindexMemory, consolidateMemory };
}
