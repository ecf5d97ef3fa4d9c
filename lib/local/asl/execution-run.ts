import type { AslClock } from './clock.ts';
import type { ExecutionStore } from './execution-store.ts';
import { toJson } from './json.ts';
import type { ExecutionMeta, HistoryEvent, HistoryEventDetails, HistoryEventType } from './types.ts';

export type CommitListener = (meta: ExecutionMeta, events: readonly HistoryEvent[]) => void;

/**
 * A working copy of one execution: state handlers change `meta.cursor` and emit events, and
 * `checkpoint` makes the changes durable with one conditional write, or fails with
 * StaleExecutionError when another interpreter got there first.
 */
export class ExecutionRun {
  private buffer: HistoryEvent[] = [];
  private committedSnapshot: string;

  constructor(
    readonly meta: ExecutionMeta,
    private readonly store: ExecutionStore,
    private readonly onCommit: CommitListener,
    private readonly clock: AslClock,
  ) {
    this.committedSnapshot = snapshot(meta);
  }

  /** The clock's time as a history timestamp. */
  timestamp(): string {
    return new Date(this.clock.now()).toISOString();
  }

  emit(type: HistoryEventType, details: HistoryEventDetails): void {
    const id = ++this.meta.lastEventId;
    this.buffer.push({
      id,
      previousEventId: id - 1,
      timestamp: this.timestamp(),
      type,
      details: toJson(details) as HistoryEventDetails,
    });
  }

  /** Writes a brand-new execution; false when one with this ARN already exists. */
  async create(): Promise<boolean> {
    this.meta.version = 1;
    this.meta.pendingEvents = this.buffer;
    const created = await this.store.create(this.meta);
    if (created) this.committed();
    return created;
  }

  async checkpoint(): Promise<void> {
    if (this.buffer.length === 0 && snapshot(this.meta) === this.committedSnapshot) return;
    const expectedVersion = this.meta.version;
    this.meta.version = expectedVersion + 1;
    this.meta.pendingEvents = this.buffer;
    try {
      await this.store.replace(this.meta, expectedVersion);
    } catch (error) {
      this.meta.version = expectedVersion;
      throw error;
    }
    this.committed();
  }

  private committed(): void {
    const events = this.buffer;
    this.buffer = [];
    this.committedSnapshot = snapshot(this.meta);
    this.onCommit(this.meta, events);
  }
}

function snapshot(meta: ExecutionMeta): string {
  return JSON.stringify({ ...meta, pendingEvents: undefined, version: undefined });
}
