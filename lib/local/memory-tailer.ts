import type { MemoryIndexer } from '../../functions/core/memory/indexer.ts';
import type { LogPosition, MemoryLog } from '../../functions/core/ports/memory.ts';

export interface MemoryTailerOptions {
  log: MemoryLog;
  indexer: MemoryIndexer;
  /**
   * How long the tailer waits for a nudge before it passes over the log anyway: only a backstop
   * (a pass that failed, a writer that does not nudge). Every write of this process's memory
   * service nudges it, and a search catches up first, so nothing waits on this.
   */
  backstopMs?: number;
  /**
   * Each pass re-reads this much of the log before the cursor: a write that took its timestamp
   * earlier but landed later is still seen. Re-applying an entry is a no-op (versions decide).
   */
  lookbackMs?: number;
  consumer?: string;
  onError?: (error: Error) => void;
}

export interface MemoryTailer {
  /** Resolves when everything in the log at the time of the call is indexed. */
  catchUp(): Promise<void>;
  /** Starts a pass soon, without waiting for it. */
  nudge(): void;
  stop(): Promise<void>;
}

const shift = (position: LogPosition, ms: number): LogPosition => {
  const at = Date.parse(position.slice(0, position.indexOf('#')));
  return Number.isNaN(at) ? position : new Date(at - ms).toISOString();
};

/**
 * What the DynamoDB stream and the indexer Lambda do on AWS: follows the memory log in write order
 * and indexes each entry, keeping its position in a cursor item in the same table, so a restart
 * goes on where it stopped and no write is lost.
 */
export function startMemoryTailer(options: MemoryTailerOptions): MemoryTailer {
  const consumer = options.consumer ?? 'local-indexer';
  const lookbackMs = options.lookbackMs ?? 10_000;
  const backstopMs = options.backstopMs ?? 5_000;
  const report = (error: unknown) => options.onError?.(error as Error);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();
  let queued: Promise<void> | undefined;

  async function pass() {
    const cursor = await options.log.getCursor(consumer);
    let after = cursor ? shift(cursor, lookbackMs) : undefined;
    let furthest = cursor;
    for (;;) {
      const page = await options.log.read(after, 200);
      if (page.entries.length === 0 || !page.last) break;
      await options.indexer.apply(page.entries);
      after = page.last;
      if (!furthest || page.last > furthest) {
        furthest = page.last;
        await options.log.setCursor(consumer, furthest);
      }
    }
  }

  function catchUp(): Promise<void> {
    if (queued) return queued;
    const next = chain.then(() => {
      queued = undefined;
      return pass();
    });
    queued = next;
    chain = next.catch(() => undefined);
    return next;
  }

  // A nudged pass puts the backstop off: the store is read when there is news, not on a beat.
  const rearm = () => {
    if (timer) clearTimeout(timer);
    timer = stopped ? undefined : setTimeout(wake, backstopMs);
  };
  function wake() {
    if (stopped) return;
    catchUp().catch(report).finally(rearm);
  }
  // What a process before this one wrote and did not index yet.
  wake();

  return {
    catchUp,
    nudge: wake,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await chain;
    },
  };
}
