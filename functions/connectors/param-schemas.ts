import type * as z from 'zod';
import { jsonShapeProblem } from '../core/validation.ts';
import { EmailSendParams } from './email-send.ts';
import { HttpRequestParams } from './http-request.ts';
import { SlackDeleteParams, SlackPostParams } from './slack-post.ts';
import { StateRevertParams } from './state-revert.ts';
import { StateUpsertParams } from './state-upsert.ts';

/** Each action's parameter schema, for the places that check parameters without running them (approval edits). */
export const PARAM_SCHEMAS: Readonly<Record<string, z.ZodType>> = {
  'state.upsert': StateUpsertParams,
  'state.revert': StateRevertParams,
  'http.request': HttpRequestParams,
  'email.send': EmailSendParams,
  'slack.post': SlackPostParams,
  'slack.delete': SlackDeleteParams,
};

/** The problem with these parameters for this action, named field by field; undefined when they are fine. */
export function paramsProblem(actionType: string, params: Record<string, unknown>): string | undefined {
  const schema = PARAM_SCHEMAS[actionType];
  if (!schema) return `no connector handles ${actionType}`;
  // A value under `__proto__` passes the schema and then vanishes: an edit hidden there is refused by name.
  const hidden = jsonShapeProblem(params);
  if (hidden) return `${hidden.path}: ${hidden.message}`;
  const parsed = schema.safeParse(params);
  return parsed.success
    ? undefined
    : parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}
