import type { ExecutionStore } from '../../lib/local/asl/execution-store.ts';
import { createMemoryExecutionStore } from '../../lib/local/asl/memory-execution-store.ts';

/** An in-memory execution store that counts its checkpoints (the META item replaced, with or without a page of events). */
export function countingExecutionStore(): { store: ExecutionStore; checkpoints: () => number } {
  const inner = createMemoryExecutionStore();
  let checkpoints = 0;
  return {
    store: {
      ...inner,
      replace: (meta, expected) => {
        checkpoints += 1;
        return inner.replace(meta, expected);
      },
      replaceWithPage: (meta, expected, page) => {
        checkpoints += 1;
        return inner.replaceWithPage(meta, expected, page);
      },
    },
    checkpoints: () => checkpoints,
  };
}
