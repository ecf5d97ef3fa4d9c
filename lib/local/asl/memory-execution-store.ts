import { StaleExecutionError } from './errors.ts';
import { type ExecutionStore, mergeHistory } from './execution-store.ts';
import type { ExecutionMeta, HistoryEvent } from './types.ts';

/** An ExecutionStore in process memory, for unit tests; values are cloned so callers cannot alias them. */
export function createMemoryExecutionStore(): ExecutionStore {
  const metas = new Map<string, ExecutionMeta>();
  const events = new Map<string, HistoryEvent[]>();

  // As the DynamoDB store: events move out of META only with a page, and a page written again adds nothing.
  const append = (executionArn: string, page: readonly HistoryEvent[]): void => {
    const list = events.get(executionArn) ?? [];
    const last = list.at(-1)?.id ?? 0;
    list.push(...structuredClone(page.filter((event) => event.id > last)));
    events.set(executionArn, list);
  };
  const replace: ExecutionStore['replace'] = async (meta, expectedVersion) => {
    const current = metas.get(meta.executionArn);
    if (!current || current.version !== expectedVersion) {
      throw new StaleExecutionError(meta.executionArn, expectedVersion);
    }
    metas.set(meta.executionArn, structuredClone(meta));
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
    replace,
    async replaceWithPage(meta, expectedVersion, page) {
      await replace(meta, expectedVersion);
      append(meta.executionArn, page);
    },
    async events(executionArn) {
      const meta = metas.get(executionArn);
      return meta ? mergeHistory(structuredClone(events.get(executionArn) ?? []), meta) : [];
    },
    async list() {
      return [...metas.values()].map((meta) => structuredClone(meta));
    },
  };
}
