import { ReviewIdSchema } from '../core/ids.ts';
import { SlugSchema } from '../core/schemas.ts';
import type { TrustService } from '../core/trust/trust-service.ts';
import { type HttpRequest, type HttpResult, json } from './http.ts';
import { parseBody, pathId } from './request-input.ts';

type Route = (event: HttpRequest) => Promise<HttpResult>;

const notConfigured: Route = async () =>
  json(404, { message: 'shadow reviews and promotion are not configured' });
const optionalBody = (event: HttpRequest): unknown => (event.body.length === 0 ? {} : parseBody(event));

/** GET /reviews, POST /reviews/{id}, GET /workflows/{name}/trust, POST /workflows/{name}/promote and /demote. */
export function trustRoutes(trust: TrustService | undefined) {
  if (!trust)
    return {
      listReviews: notConfigured,
      judgeReview: notConfigured,
      workflowTrust: notConfigured,
      promoteWorkflow: notConfigured,
      demoteWorkflow: notConfigured,
    };
  const name = (event: HttpRequest) => pathId(event, SlugSchema, 'name');
  return {
    listReviews: (async () => json(200, { reviews: await trust.listReviews() })) satisfies Route,
    judgeReview: (async (event) => {
      const review = await trust.judge(pathId(event, ReviewIdSchema), parseBody(event));
      return json(200, { review });
    }) satisfies Route,
    workflowTrust: (async (event) => json(200, await trust.status(name(event)))) satisfies Route,
    promoteWorkflow: (async (event) =>
      json(200, { change: await trust.promote(name(event), optionalBody(event)) })) satisfies Route,
    demoteWorkflow: (async (event) =>
      json(200, { change: await trust.demote(name(event), optionalBody(event)) })) satisfies Route,
  };
}
