import * as z from 'zod';

const ID_CHARACTERS = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * An id as it arrives from outside (a path, a Slack button, a link): short and of safe characters,
 * so that an id the store could not hold as a key, or that could never have been issued, is a 400
 * at the edge rather than an error in the store.
 */
const idSchema = (what: string, maxLength: number) =>
  z
    .string({ error: `must be a ${what}` })
    .min(1, `must be a ${what}`)
    .max(maxLength, `a ${what} has at most ${maxLength} characters`)
    .regex(
      ID_CHARACTERS,
      `a ${what} is letters, digits, dot, dash and underscore, starting with a letter or digit`,
    );

/** `<workflow>-<yyyymmdd>-<hhmmss>-<8 hex>`, at most 89 characters today. */
export const RunIdSchema = idSchema('run id', 128);

/** `<runId>-s<stepIndex>`. */
export const ApprovalIdSchema = idSchema('approval id', 160);

/** A memory item's id: `mem-<hex>`, or one the writer chose. */
export const MemoryIdSchema = idSchema('memory id', 128);

/** `<runId>-h<stepIndex>`. */
export const HandoffIdSchema = idSchema('handoff id', 160);

/** `<runId>-r<stepIndex>`: a shadow run's proposed action, for review. */
export const ReviewIdSchema = idSchema('review id', 160);

/** Names are kebab-case so they are safe in keys, ARNs, execution names and URLs. */
export const SlugSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lowercase letters, digits and dashes');
