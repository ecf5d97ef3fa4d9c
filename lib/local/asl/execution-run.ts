import type { AslClock } from './clock.ts';
import type { ExecutionStore } from './execution-store.ts';
import { toJson } from './json.ts';
import type { ExecutionMeta, HistoryEvent, HistoryEventDetails, HistoryEventType } from './types.ts';

export type CommitListener = (meta: ExecutionMeta, events: readonly HistoryEvent[]) => void;

/**
 * Pending events are moved out of META into a page once there are this many, or this many bytes
 * of them: a page per Map iteration or so, and META stays far below the store's 400 KB item limit.
 */
const PAGE_EVENTS = 25;
const PAGE_BYTES = 64 * 1024;

/**
 * A working copy of one execution: state handlers change `meta.cursor` and emit events, and
 * `checkpoint` makes the changes durable with one conditional write, or fails with
 * StaleExecutionError when another interpreter got there first.
 */
export class ExecutionRun {
  private buffer: HistoryEvent[] = [];
  /** Events committed in META's pendingEvents and not yet in a page. */
  private carried: HistoryEvent[];
  private carriedBytes: number;
  private committedSnapshot: string;
  /** A resource was called since the last commit: its result is not durable yet. */
  private calledSinceCommit = false;

  constructor(
    readonly meta: ExecutionMeta,
    private readonly store: ExecutionStore,
    private readonly onCommit: CommitListener,
    private readonly clock: AslClock,
  ) {
    this.carried = meta.pendingEvents;
    this.carriedBytes = JSON.stringify(this.carried).length;
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

  /**
   * Records that a resource was called: the next call must not start before this one's result is
   * durable, unless the host says the call is replay-safe (after a crash it may run again and
   * answer the same, so its result may wait for the next checkpoint).
   */
  called(replaySafe = false): void {
    if (!replaySafe) this.calledSinceCommit = true;
  }

  /** Whether a resource's result is still only in memory. */
  get hasUncommittedResult(): boolean {
    return this.calledSinceCommit;
  }

  /** Whether everything in memory is committed: this copy may be reused for the next step. */
  get clean(): boolean {
    return this.buffer.length === 0 && snapshot(this.meta) === this.committedSnapshot;
  }

  /** Writes a brand-new execution; false when one with this ARN already exists. */
  async create(): Promise<boolean> {
    this.meta.version = 1;
    this.meta.pendingEvents = this.buffer;
    const created = await this.store.create(this.meta);
    if (created) {
      this.carriedBytes = JSON.stringify(this.buffer).length;
      this.committed();
    }
    return created;
  }

  async checkpoint(): Promise<void> {
    if (this.buffer.length === 0 && snapshot(this.meta) === this.committedSnapshot) return;
    const expectedVersion = this.meta.version;
    const pending = this.carried.concat(this.buffer);
    const bufferBytes = this.buffer.reduce((bytes, event) => bytes + JSON.stringify(event).length, 0);
    // Enough gathered: this commit moves them to a page of their own instead of carrying them on.
    const page = pending.length >= PAGE_EVENTS || this.carriedBytes + bufferBytes >= PAGE_BYTES;
    this.meta.version = expectedVersion + 1;
    this.meta.pendingEvents = page ? [] : pending;
    try {
      if (page) await this.store.replaceWithPage(this.meta, expectedVersion, pending);
      else await this.store.replace(this.meta, expectedVersion);
    } catch (error) {
      this.meta.version = expectedVersion;
      this.meta.pendingEvents = this.carried;
      throw error;
    }
    this.carriedBytes = page ? 0 : this.carriedBytes + bufferBytes;
    this.committed();
  }

  private committed(): void {
    const events = this.buffer;
    this.buffer = [];
    this.calledSinceCommit = false;
    this.carried = this.meta.pendingEvents;
    this.committedSnapshot = snapshot(this.meta);
    this.onCommit(this.meta, events);
  }
}

function snapshot(meta: ExecutionMeta): string {
  return JSON.stringify({ ...meta, pendingEvents: undefined, version: undefined });
}
