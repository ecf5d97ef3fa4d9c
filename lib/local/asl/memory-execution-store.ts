import { StaleExecutionError } from './errors.ts';
import { type ExecutionStore, mergeHistory } from './execution-store.ts';
import type { ExecutionMeta, HistoryEvent } from './types.ts';

/** An ExecutionStore in process memory, for unit tests; values are cloned so callers cannot alias them. */
export function createMemoryExecutionStore(): ExecutionStore {
  const metas = new Map<string, ExecutionMeta>();
  const events = new Map<string, HistoryEvent[]>();

  // As the DynamoDB store: pending events move out only when flushed, and a second flush adds nothing.
  const append = (meta: ExecutionMeta): void => {
    const list = events.get(meta.executionArn) ?? [];
    const last = list.at(-1)?.id ?? 0;
    list.push(...structuredClone(meta.pendingEvents.filter((event) => event.id > last)));
    events.set(meta.executionArn, list);
  };

  return {
    async create(meta) {
      if (metas.has(meta.executionArn)) return false;
      metas.set(meta.executionArn, structuredClone(meta));
      return true;
    },
    async get(executionArn) {
      const meta = metas.get(executionArn);
      return meta && structuredClone(meta);
    },
    async replace(meta, expectedVersion) {
      const current = metas.get(meta.executionArn);
      if (!current || current.version !== expectedVersion) {
        throw new StaleExecutionError(meta.executionArn, expectedVersion);
      }
      metas.set(meta.executionArn, structuredClone(meta));
    },
    async events(executionArn) {
      const meta = metas.get(executionArn);
      return meta ? mergeHistory(structuredClone(events.get(executionArn) ?? []), meta) : [];
    },
    async flushPendingEvents(meta) {
      append(meta);
    },
    async list() {
      return [...metas.values()].map((meta) => structuredClone(meta));
    },
  };
}
