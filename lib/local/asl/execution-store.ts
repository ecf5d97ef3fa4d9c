import type { ExecutionMeta, HistoryEvent } from './types.ts';

/**
 * Where executions are checkpointed. The META record is the single point of truth: a checkpoint
 * is one conditional write of it (expecting the previous version), carrying in `pendingEvents`
 * every event not yet in the history's own items. Once enough have gathered, the checkpoint that
 * would carry them writes them as a page of the history instead, in the same commit as META
 * (`replaceWithPage`: one transaction), so they are in exactly one of the two at every moment.
 */
export interface ExecutionStore {
  /** Creates the execution; returns false (writing nothing) when its ARN already exists. */
  create(meta: ExecutionMeta): Promise<boolean>;
  get(executionArn: string): Promise<ExecutionMeta | undefined>;
  /** Replaces META if it is still at `expectedVersion`, else throws StaleExecutionError. */
  replace(meta: ExecutionMeta, expectedVersion: number): Promise<void>;
  /** The execution's history, in order, including events of the last checkpoint. */
  events(executionArn: string): Promise<HistoryEvent[]>;
  /**
   * As `replace`, and in the same commit writes `page` (the events META no longer carries) as one
   * item of the history; a page that starts at the same event is replaced.
   */
  replaceWithPage(meta: ExecutionMeta, expectedVersion: number, page: readonly HistoryEvent[]): Promise<void>;
  /** Every execution's META; a RUNNING one's cursor names the token its task waits on, if any. */
  list(): Promise<ExecutionMeta[]>;
  /**
   * The execution a token of the old form (43 characters, which did not name its execution) was
   * recorded for: a task that waited across an upgrade can still be answered.
   */
  legacyTokenExecution?(token: string): Promise<string | undefined>;
}

/** Merges stored event items with the META's pending ones, dropping any beyond the last checkpoint. */
export function mergeHistory(stored: readonly HistoryEvent[], meta: ExecutionMeta): HistoryEvent[] {
  const byId = new Map<number, HistoryEvent>();
  for (const event of stored) byId.set(event.id, event);
  for (const event of meta.pendingEvents) byId.set(event.id, event);
  return [...byId.values()].filter((event) => event.id <= meta.lastEventId).sort((a, b) => a.id - b.id);
}
