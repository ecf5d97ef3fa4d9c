import type { ExecutionStore } from '../../lib/local/asl/execution-store.ts';
import { createMemoryExecutionStore } from '../../lib/local/asl/memory-execution-store.ts';

/** An in-memory execution store that counts its checkpoints (the META item replaced). */
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
    },
    checkpoints: () => checkpoints,
  };
}
