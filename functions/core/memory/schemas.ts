import * as z from 'zod';
import { MemoryIdSchema, SlugSchema } from '../ids.ts';
import { lazySchema } from '../lazy-schema.ts';

/** Whose memory an item is: the operator's own, one customer's, or one project's. */
export const MemoryNamespaceSchema = z
  .string()
  .max(140)
  .regex(
    /^(operator|(customer|project):[a-z0-9][a-z0-9._-]{0,127})$/,
    'must be "operator", "customer:<id>" or "project:<id>" (lowercase letters, digits, dot, dash, underscore)',
  );
export type MemoryNamespace = z.infer<typeof MemoryNamespaceSchema>;

export const MemoryTierSchema = z.enum(['session', 'working', 'long-term']);
export type MemoryTier = z.infer<typeof MemoryTierSchema>;

/** What the item is: fact, playbook, postmortem, run-summary, decision, contract, summary, ... */
export const MemoryKindSchema = SlugSchema;

export { MemoryIdSchema } from '../ids.ts';

/** Where an item came from: a run (and step), or a document. */
export const MemoryOriginSchema = lazySchema(() =>
  z
    .object({
      runId: z.string().min(1).max(200).optional(),
      stepIndex: z.number().int().nonnegative().optional(),
      document: z.string().min(1).max(500).optional(),
    })
    .strict(),
);
export type MemoryOrigin = z.infer<typeof MemoryOriginSchema>;

export const MemoryTextSchema = z.string().trim().min(1, 'must not be empty').max(8000);

/**
 * One version of one memory item. An item's versions share its id; the newest active version is
 * the one retrieval sees, the older ones are its history. A retired version (consolidated,
 * expired, pruned) removes the item from retrieval and keeps it in history.
 */
export const MemoryItemSchema = lazySchema(() =>
  z.object({
    id: MemoryIdSchema,
    version: z.number().int().positive(),
    namespace: MemoryNamespaceSchema,
    kind: MemoryKindSchema,
    tier: MemoryTierSchema,
    text: MemoryTextSchema,
    /** What the item is about, e.g. `workflow:onboarding`; the planner filters on it. */
    subject: z.string().min(1).max(200).optional(),
    origin: MemoryOriginSchema,
    validFrom: z.iso.datetime(),
    validUntil: z.iso.datetime().optional(),
    /** The version this one replaces: the newer fact wins retrieval, the older stays in history. */
    supersedes: z.object({ id: MemoryIdSchema, version: z.number().int().positive() }).optional(),
    state: z.enum(['active', 'retired']),
    retiredReason: z.enum(['consolidated', 'expired', 'pruned']).optional(),
    /** For a consolidated item: the long-term item its summary went into. */
    consolidatedInto: MemoryIdSchema.optional(),
    recordedAt: z.iso.datetime(),
  }),
);
export type MemoryItem = z.infer<typeof MemoryItemSchema>;

/** POST /memory: a new item, or (with `supersedes`) a new version of an existing one. */
export const MemoryWriteRequestSchema = lazySchema(() =>
  z
    .object({
      namespace: MemoryNamespaceSchema,
      kind: MemoryKindSchema,
      text: MemoryTextSchema,
      tier: MemoryTierSchema.exclude(['session']).default('long-term'),
      subject: z.string().min(1).max(200).optional(),
      origin: MemoryOriginSchema.default({}),
      /** A caller-chosen id makes the write idempotent: the same id and text again is a no-op. */
      id: MemoryIdSchema.optional(),
      /** The id of the item this write replaces (its current version). */
      supersedes: MemoryIdSchema.optional(),
      validFrom: z.iso.datetime().optional(),
      validUntil: z.iso.datetime().optional(),
      /** Working memory only: how long until it is due for consolidation (default 7 days). */
      ttlDays: z.number().positive().max(3650).optional(),
    })
    .strict()
    .refine((r) => !(r.id && r.supersedes), {
      message: 'give either id or supersedes, not both',
      path: ['id'],
    })
    .refine((r) => !r.validFrom || !r.validUntil || r.validFrom < r.validUntil, {
      message: 'must be after validFrom',
      path: ['validUntil'],
    }),
);
export type MemoryWriteRequest = z.input<typeof MemoryWriteRequestSchema>;

const csv = <T extends z.ZodType>(item: T) =>
  z.preprocess(
    (value) =>
      typeof value === 'string'
        ? value
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : value,
    z.array(item).min(1),
  );

/** GET /memory/search: the namespace is required, so a search never crosses into another's memory. */
export const MemorySearchRequestSchema = lazySchema(() =>
  z
    .object({
      q: z.string().trim().min(1, 'must not be empty').max(2000),
      namespace: csv(MemoryNamespaceSchema),
      kind: csv(MemoryKindSchema).optional(),
      tier: csv(MemoryTierSchema.exclude(['session'])).optional(),
      subject: csv(z.string().min(1).max(200)).optional(),
      /** Only items valid from this instant on (ISO 8601). */
      since: z.iso.datetime().optional(),
      /** Only items valid from before this instant. */
      before: z.iso.datetime().optional(),
      k: z.coerce.number().int().min(1).max(100).default(10),
    })
    .strict(),
);
export type MemorySearchRequest = z.input<typeof MemorySearchRequestSchema>;

export const MemoryConsolidateRequestSchema = lazySchema(() =>
  z
    .object({
      /** Evaluate expiry as of this instant (defaults to now); lets an operator preview the effect. */
      asOf: z.iso.datetime().optional(),
    })
    .strict()
    .default({}),
);

/** One ranked result of a search, with everything needed to explain why it ranked there. */
export interface MemoryHit {
  rank: number;
  id: string;
  version: number;
  namespace: string;
  kind: string;
  tier: MemoryTier;
  subject?: string;
  text: string;
  origin: MemoryOrigin;
  validFrom: string;
  validUntil?: string;
  score: number;
  scores: { vector: number; lexical: number };
}

export interface MemorySearchResult {
  query: string;
  /** The index version that answered: results are reproducible against it. */
  indexVersion: string;
  /** How many candidates the index returned before re-ranking. */
  candidates: number;
  hits: MemoryHit[];
  /** When asked for: the best candidates beyond the top k, ranked the same way (for the run journal). */
  considered?: MemoryHit[];
}

/** One version in an item's history, with how it stands today. */
export interface MemoryHistoryEntry extends MemoryItem {
  status: 'current' | 'superseded' | 'retired' | 'expired';
  /** When a newer version replaced this one. */
  supersededAt?: string;
}
