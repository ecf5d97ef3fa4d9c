import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MemoryIndexer } from '../../../functions/core/memory/indexer.ts';
import type { MemoryLog } from '../../../functions/core/ports/memory.ts';
import { startMemoryTailer } from '../../../lib/local/memory-tailer.ts';

/** A log with nothing new in it that counts the passes made over it (each starts with the cursor). */
function quietLog() {
  let passes = 0;
  const log = {
    getCursor: async () => {
      passes += 1;
      return undefined;
    },
    read: async () => ({ entries: [] }),
    setCursor: async () => undefined,
  } as unknown as MemoryLog;
  return { log, passes: () => passes };
}

const indexer = { apply: async () => undefined } as unknown as MemoryIndexer;

describe('memory tailer', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reads the log when nudged, not on a beat: one pass at start, one per nudge, a rare backstop', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { log, passes } = quietLog();
    const tailer = startMemoryTailer({ log, indexer, backstopMs: 5_000 });
    try {
      await vi.advanceTimersByTimeAsync(4_000);
      expect(passes()).toBe(1);
      tailer.nudge();
      await vi.advanceTimersByTimeAsync(4_000);
      // The nudge put the backstop off: 8 s in, still only the start and the nudge.
      expect(passes()).toBe(2);
      await vi.advanceTimersByTimeAsync(1_100);
      expect(passes()).toBe(3);
    } finally {
      await tailer.stop();
    }
  });

  it('stops passing once stopped', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { log, passes } = quietLog();
    const tailer = startMemoryTailer({ log, indexer, backstopMs: 1_000 });
    await vi.advanceTimersByTimeAsync(10);
    await tailer.stop();
    const stopped = passes();
    tailer.nudge();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(passes()).toBe(stopped);
  });
});
