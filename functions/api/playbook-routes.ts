import * as z from 'zod';
import type { PlaybookRegistry } from '../core/playbooks/registry.ts';
import { SlugSchema } from '../core/schemas.ts';
import { parseOrThrow } from '../core/validation.ts';
import { type HttpRequest, type HttpResult, json } from './http.ts';
import { parseBody, pathId } from './request-input.ts';

type Route = (event: HttpRequest) => Promise<HttpResult>;

const ShowQuerySchema = z.object({ version: z.coerce.number().int().positive().optional() });

const notConfigured: Route = async () => json(404, { message: 'the playbook registry is not configured' });

/** GET /playbooks, GET /playbooks/{name} (?version=), POST /playbooks (push), POST /playbooks/diff. */
export function playbookRoutes(registry: PlaybookRegistry | undefined) {
  if (!registry)
    return {
      listPlaybooks: notConfigured,
      getPlaybook: notConfigured,
      pushPlaybook: notConfigured,
      diffPlaybook: notConfigured,
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
  };
}
