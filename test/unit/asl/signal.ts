/** Wakes whoever waits for a condition each time something it depends on may have changed. */
export function createSignal() {
  const checks = new Set<() => void>();
  return {
    notify(): void {
      for (const check of [...checks]) check();
    },
    /** Resolves once `condition` holds: at once, or at the first notify() after which it does. */
    until(condition: () => boolean): Promise<void> {
      return new Promise((resolve) => {
        const check = () => {
          if (!condition()) return;
          checks.delete(check);
          resolve();
        };
        checks.add(check);
        check();
      });
    },
  };
}
