import type { ExecutionMeta, HistoryEvent, TokenRecord } from './types.ts';

/**
 * Where executions are checkpointed. The META record is the single point of truth: a checkpoint
 * is one conditional write of it (expecting the previous version), carrying the new events in
 * `pendingEvents`; the events are then copied to their own items. A crash between the two loses
 * nothing: readers merge `pendingEvents`, and whoever next loads the execution to advance it
 * calls `flushPendingEvents` first. This needs no multi-item transaction, which the embedded store lacks.
 */
export interface ExecutionStore {
  /** Creates the execution; returns false (writing nothing) when its ARN already exists. */
  create(meta: ExecutionMeta): Promise<boolean>;
  get(executionArn: string): Promise<ExecutionMeta | undefined>;
  /** Replaces META if it is still at `expectedVersion`, else throws StaleExecutionError. */
  replace(meta: ExecutionMeta, expectedVersion: number): Promise<void>;
  /** The execution's history, in order, including events of the last checkpoint. */
  events(executionArn: string): Promise<HistoryEvent[]>;
  /** Writes the event items of META's last checkpoint, in case a crash cut that short (idempotent). */
  flushPendingEvents(meta: ExecutionMeta): Promise<void>;
  list(): Promise<ExecutionMeta[]>;
  putToken(record: TokenRecord): Promise<void>;
  getToken(token: string): Promise<TokenRecord | undefined>;
}

/** Merges stored event items with the META's pending ones, dropping any beyond the last checkpoint. */
export function mergeHistory(stored: readonly HistoryEvent[], meta: ExecutionMeta): HistoryEvent[] {
  const byId = new Map<number, HistoryEvent>();
  for (const event of stored) byId.set(event.id, event);
  for (const event of meta.pendingEvents) byId.set(event.id, event);
  return [...byId.values()].filter((event) => event.id <= meta.lastEventId).sort((a, b) => a.id - b.id);
}
