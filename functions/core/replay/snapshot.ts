import type { StateStore } from '../ports.ts';
import type { Action, Entity } from '../schemas.ts';
import type { StateWrite } from './schemas.ts';

/**
 * Canonical state as it stood at one moment (the run's start): each entity at its newest version
 * written at or before then. Every read is remembered, so the replay can say what it saw.
 */
export function stateSnapshot(store: Pick<StateStore, 'getEntityAsOf'>, at: string) {
  const read = new Map<string, Entity | undefined>();
  return {
    at,
    async entity(type: string, id: string): Promise<Entity | undefined> {
      const key = `${type}/${id}`;
      if (!read.has(key)) read.set(key, await store.getEntityAsOf(type, id, at));
      return read.get(key);
    },
    reads: () =>
      [...read.entries()].map(([key, entity]) => {
        const [entityType = '', ...rest] = key.split('/');
        return { entityType, entityId: rest.join('/'), version: entity?.version ?? 0 };
      }),
  };
}
export type StateSnapshot = ReturnType<typeof stateSnapshot>;

const text = (value: unknown) => (typeof value === 'string' ? value : undefined);

/**
 * What a state action would write, worked out against the snapshot as the connector would
 * (state.upsert merges into the current version by default; state.revert brings an earlier one back).
 * Other actions reach outside aios: their effect is the action itself.
 */
export async function stateWriteOf(action: Action, snapshot: StateSnapshot): Promise<StateWrite | undefined> {
  const entityType = text(action.params.entityType);
  const entityId = text(action.params.entityId);
  if (!entityType || !entityId) return undefined;
  if (action.type === 'state.upsert') {
    const current = await snapshot.entity(entityType, entityId);
    const data = (action.params.data ?? {}) as Record<string, unknown>;
    const merge = action.params.merge !== false;
    return {
      entityType,
      entityId,
      fromVersion: current?.version ?? 0,
      toVersion: (current?.version ?? 0) + 1,
      data: merge && current ? { ...current.data, ...data } : data,
    };
  }
  if (action.type === 'state.revert') {
    const current = await snapshot.entity(entityType, entityId);
    const toVersion = Number(action.params.toVersion);
    // Older versions never change, so reading one by number is reading the snapshot.
    return {
      entityType,
      entityId,
      fromVersion: current?.version ?? 0,
      toVersion: (current?.version ?? 0) + 1,
      data: toVersion > 0 ? { revertsTo: toVersion } : { deleted: true },
    };
  }
  return undefined;
}
