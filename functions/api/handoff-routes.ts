import type { HandoffService } from '../core/agents/handoff-service.ts';
import { HandoffIdSchema } from '../core/ids.ts';
import { parseOrThrow } from '../core/validation.ts';
import { metrics } from '../shared/powertools.ts';

/** What a route answers: a status and a JSON body (the router turns it into its own response). */
export interface RouteResult {
  status: number;
  body: unknown;
}

/**
 * The handoff inbox over HTTP, as plain functions of already-read inputs, so the route table of
 * the one-house layout can register them as they are (phase 2):
 *   GET  /handoffs                 → list
 *   GET  /handoffs/{id}            → get
 *   POST /handoffs/{id}/complete   → complete, body {"text": "...", "by"?: "..."}
 * Every route is `operator` auth. Bad ids and bodies are ValidationErrors (400, naming the field);
 * an unknown id is a NotFoundError (404); a second completion a ConflictError (409).
 */
export function handoffRoutes(handoffs: Pick<HandoffService, 'list' | 'get' | 'complete'>) {
  const id = (raw: unknown) => parseOrThrow(HandoffIdSchema, raw, 'path id');
  return {
    async list(): Promise<RouteResult> {
      return { status: 200, body: { handoffs: await handoffs.list() } };
    },
    async get(rawId: unknown): Promise<RouteResult> {
      return { status: 200, body: { handoff: await handoffs.get(id(rawId)) } };
    },
    async complete(rawId: unknown, body: unknown): Promise<RouteResult> {
      const handoff = await handoffs.complete(id(rawId), body);
      metrics.addMetric('HandoffCompleted', 'Count', 1);
      return { status: 200, body: { handoff } };
    },
  };
}
