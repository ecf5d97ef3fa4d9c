import * as z from 'zod';
import type { Connector } from '../core/connector.ts';
import { ConflictError, TransientConnectorError } from '../core/errors.ts';
import { lazySchema } from '../core/lazy-schema.ts';
import type { StateStore } from '../core/ports.ts';
import { SlugSchema } from '../core/schemas.ts';

export const StateUpsertParams = lazySchema(() =>
  z.object({
    entityType: SlugSchema,
    entityId: z.string().min(1).max(128),
    data: z.record(z.string(), z.unknown()),
    /** Merge into the current version (default) or replace it. */
    merge: z.boolean().default(true),
  }),
);

/**
 * Writes a new version of a canonical entity. The version records the idempotency key that
 * wrote it, so a repeated call finds its own write and does not add another version.
 */
export function stateUpsertConnector(store: StateStore): Connector<typeof StateUpsertParams> {
  return {
    type: 'state.upsert',
    paramsSchema: StateUpsertParams,
    risk: 'write',
    // A new version supersedes the old, which stays in the history.
    undoable: true,
    idempotent: true,
    async execute(params, context) {
      const current = await store.getEntity(params.entityType, params.entityId);
      if (current?.updatedBy === context.idempotencyKey) {
        return { entityType: current.type, entityId: current.id, version: current.version, replayed: true };
      }
      // The write is the effect: none starts after the deadline.
      context.signal?.throwIfAborted();
      try {
        const written = await store.putEntity(
          {
            type: params.entityType,
            id: params.entityId,
            data: params.merge && current ? { ...current.data, ...params.data } : params.data,
            updatedBy: context.idempotencyKey,
          },
          current?.version,
          context.now,
        );
        return { entityType: written.type, entityId: written.id, version: written.version };
      } catch (error) {
        if (error instanceof ConflictError) {
          throw new TransientConnectorError(
            `${params.entityType}/${params.entityId} was changed by another writer; will retry`,
            { cause: error },
          );
        }
        throw error;
      }
    },
  };
}
