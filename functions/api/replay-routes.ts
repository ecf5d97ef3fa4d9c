import type { Replay } from '../core/replay/replay.ts';
import { type HttpRequest, type HttpResult, json } from './http.ts';
import { parseBody, runIdOf } from './request-input.ts';

type Route = (event: HttpRequest) => Promise<HttpResult>;

const notConfigured: Route = async () => json(404, { message: 'replay is not configured' });
/** An optional JSON body: none at all is the same as `{}` (the run's version, the recorded model). */
const optionalBody = (event: HttpRequest): unknown => (event.body.length === 0 ? {} : parseBody(event));

/** POST /runs/{id}/replay (the replay's request is checked by the replay service) and GET /runs/{id}/replays. */
export function replayRoutes(replay: Replay | undefined) {
  if (!replay) return { replayRun: notConfigured, listReplays: notConfigured };
  return {
    replayRun: (async (event) => {
      const runId = runIdOf(event);
      return json(201, { replay: await replay.replay(runId, optionalBody(event) as never, 'operator') });
    }) satisfies Route,
    listReplays: (async (event) => {
      const runId = runIdOf(event);
      return json(200, { runId, replays: await replay.list(runId) });
    }) satisfies Route,
  };
}
