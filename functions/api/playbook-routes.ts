import * as z from 'zod';
import { NotFoundError } from '../core/errors.ts';
import type { PlaybookRegistry } from '../core/playbooks/registry.ts';
import { SlugSchema } from '../core/schemas.ts';
import { parseOrThrow } from '../core/validation.ts';
import { type HttpRequest, type HttpResult, json } from './http.ts';
import { parseBody, pathId } from './request-input.ts';

type Route = (event: HttpRequest) => Promise<HttpResult>;

const ShowQuerySchema = z.object({ version: z.coerce.number().int().positive().optional() });
/** The policy itself is checked by the registry, which names every problem under `policy.`. */
const PutPolicyBodySchema = z.object({
  policy: z.unknown().refine((value) => value !== undefined, 'the operator policy is required'),
  reason: z.string().trim().min(1, 'say why the policy changes').max(500),
});

const notConfigured: Route = async () => json(404, { message: 'the playbook registry is not configured' });

/** GET /playbooks, GET /playbooks/{name} (?version=), POST /playbooks (push), POST /playbooks/diff. */
export function playbookRoutes(registry: PlaybookRegistry | undefined) {
  if (!registry)
    return {
      listPlaybooks: notConfigured,
      getPlaybook: notConfigured,
      pushPlaybook: notConfigured,
      diffPlaybook: notConfigured,
      getPolicy: notConfigured,
      putPolicy: notConfigured,
    };
  return {
    listPlaybooks: (async () => json(200, { playbooks: await registry.list() })) satisfies Route,
    getPlaybook: (async (event) => {
      const name = pathId(event, SlugSchema, 'name');
      const { version } = parseOrThrow(ShowQuerySchema, event.query, 'query');
      return json(200, await registry.show(name, version));
    }) satisfies Route,
    // The whole file is the body; every problem comes back in one 400.
    pushPlaybook: (async (event) => {
      const result = await registry.push(parseBody(event), 'operator');
      return json(result.status === 'pushed' ? 201 : 200, result);
    }) satisfies Route,
    diffPlaybook: (async (event) => json(200, await registry.diff(parseBody(event)))) satisfies Route,
    getPolicy: (async (event) => {
      const { version } = parseOrThrow(ShowQuerySchema, event.query, 'query');
      return json(200, await registry.showPolicy(version));
    }) satisfies Route,
    putPolicy: (async (event) => {
      const body = parseOrThrow(PutPolicyBodySchema, parseBody(event), 'request body');
      const before = await registry.showPolicy().catch((error: unknown) => {
        if (error instanceof NotFoundError) return undefined;
        throw error;
      });
      const pushed = await registry.pushPolicy(body.policy, 'operator', body.reason);
      return json(pushed.version === before?.version ? 200 : 201, {
        status: pushed.version === before?.version ? 'unchanged' : 'pushed',
        ...pushed,
      });
    }) satisfies Route,
  };
}
