import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { MemoryIdSchema } from '../core/ids.ts';
import type { MemoryConsolidator } from '../core/memory/consolidation.ts';
import type { MemoryIndexer } from '../core/memory/indexer.ts';
import type { MemoryService } from '../core/memory/memory-service.ts';
import { MemoryConsolidateRequestSchema } from '../core/memory/schemas.ts';
import { parseOrThrow } from '../core/validation.ts';
import { metrics } from '../shared/powertools.ts';
import { pathId } from './request-input.ts';

export interface MemoryApiDeps {
  service: MemoryService;
  /** Reindex and consolidation run through the API only where no scheduled Lambda does them (locally). */
  indexer?: MemoryIndexer;
  consolidator?: MemoryConsolidator;
}

type Route = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

/** POST /memory, GET /memory/search, GET /memory/{id}/history (and, locally, reindex and consolidate). */
export function memoryRoutes(
  deps: MemoryApiDeps,
  helpers: {
    json: (statusCode: number, body: unknown) => APIGatewayProxyResult;
    parseBody: (event: APIGatewayProxyEvent) => unknown;
  },
): Record<string, Route> {
  const { json, parseBody } = helpers;
  const routes: Record<string, Route> = {
    'POST /memory': async (event) => {
      const item = await deps.service.write(parseBody(event));
      metrics.addMetric('MemoryWritten', 'Count', 1);
      return json(201, { item });
    },
    'GET /memory/search': async (event) => {
      const result = await deps.service.search(event.queryStringParameters ?? {});
      metrics.addMetric('MemorySearched', 'Count', 1);
      return json(200, result);
    },
    'GET /memory/{id}/history': async (event) => {
      return json(200, await deps.service.history(pathId(event, MemoryIdSchema)));
    },
  };
  const { indexer, consolidator } = deps;
  if (indexer) {
    routes['POST /memory/reindex'] = async () => json(200, await indexer.reindex());
  }
  if (consolidator) {
    routes['POST /memory/consolidate'] = async (event) => {
      const request = parseOrThrow(
        MemoryConsolidateRequestSchema,
        event.body ? parseBody(event) : {},
        'request body',
      );
      return json(200, await consolidator.consolidate(request.asOf));
    };
  }
  return routes;
}
