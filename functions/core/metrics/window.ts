import * as z from 'zod';
import { lazySchema } from '../lazy-schema.ts';
import { SlugSchema } from '../schemas.ts';
import { DEFAULT_SINCE, isSince, SINCE_PROBLEM } from './since.ts';

/** The query of `GET /metrics` (and what `aios metrics` sends). */
export const MetricsQuerySchema = lazySchema(() =>
  z.object({
    since: z.string().trim().refine(isSince, { message: SINCE_PROBLEM }).default(DEFAULT_SINCE),
    workflow: SlugSchema.optional(),
  }),
);
export type MetricsQuery = z.infer<typeof MetricsQuerySchema>;
