import * as z from 'zod';
import type { Connector } from '../core/connector.ts';
import { ConflictError, PermanentConnectorError, TransientConnectorError } from '../core/errors.ts';
import { lazySchema } from '../core/lazy-schema.ts';
import type { StateStore } from '../core/ports.ts';
import { SlugSchema } from '../core/schemas.ts';

export const StateRevertParams = lazySchema(() =>
  z.object({
    entityType: SlugSchema,
    entityId: z.string().min(1).max(128),
    /** The version whose data comes back; 0 means the entity did not exist before. */
    toVersion: z.number().int().nonnegative(),
    /** The version the compensated step wrote; if someone wrote since, reverting would lose their change. */
    expectVersion: z.number().int().positive(),
  }),
);

/**
 * The compensation of `state.upsert`: writes a new version holding an earlier version's data
 * (history is kept, nothing is deleted). Repeating it finds its own write, like state.upsert.
 */
export function stateRevertConnector(store: StateStore): Connector<typeof StateRevertParams> {
  return {
    type: 'state.revert',
    paramsSchema: StateRevertParams,
    risk: 'write',
    undoable: true,
    idempotent: true,
    async execute(params, context) {
      const current = await store.getEntity(params.entityType, params.entityId);
      if (!current)
        throw new PermanentConnectorError(`${params.entityType}/${params.entityId} does not exist`);
      if (current.updatedBy === context.idempotencyKey) {
        return { entityType: current.type, entityId: current.id, version: current.version, replayed: true };
      }
      if (current.version !== params.expectVersion) {
        throw new PermanentConnectorError(
          `${params.entityType}/${params.entityId} is at v${current.version}, not v${params.expectVersion}: someone changed it since, so it is not reverted blindly`,
        );
      }
      const earlier =
        params.toVersion === 0
          ? undefined
          : await store.getEntityVersion(params.entityType, params.entityId, params.toVersion);
      if (params.toVersion > 0 && !earlier) {
        throw new PermanentConnectorError(
          `${params.entityType}/${params.entityId} has no v${params.toVersion}`,
        );
      }
      context.signal?.throwIfAborted();
      try {
        const written = await store.putEntity(
          {
            type: params.entityType,
            id: params.entityId,
            // Before its first version the entity did not exist: the revert leaves a tombstone.
            data: earlier ? earlier.data : { deleted: true },
            updatedBy: context.idempotencyKey,
          },
          current.version,
          context.now,
        );
        return {
          entityType: written.type,
          entityId: written.id,
          version: written.version,
          restored: params.toVersion,
        };
      } catch (error) {
        if (error instanceof ConflictError) {
          throw new TransientConnectorError(
            `${params.entityType}/${params.entityId} changed during the revert; will retry`,
            {
              cause: error,
            },
          );
        }
        throw error;
      }
    },
  };
}
