import type { AslClock } from '../../../lib/local/asl/index.ts';

interface Timer {
  at: number;
  callback: () => void;
}

/**
 * A clock that moves only when the test moves it, so a test states how much time passes instead of
 * sleeping and hoping the machine keeps up. A timer fires on a later turn of the event loop once its
 * time is reached, as a real one would; one armed for a time already past fires at the next turn.
 */
export class ManualClock implements AslClock {
  private time: number;
  private readonly timers = new Set<Timer>();
  private readonly armed = new Set<() => void>();

  constructor(start = Date.UTC(2030, 0, 1)) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimer(callback: () => void, delayMs: number): () => void {
    const timer = { at: this.time + delayMs, callback };
    this.timers.add(timer);
    for (const listener of [...this.armed]) listener();
    if (delayMs <= 0) this.fireDue();
    return () => {
      this.timers.delete(timer);
    };
  }

  /**
   * Resolves with the earliest time a timer waits for, once one waits for a time still to come: the
   * deadline the interpreter armed, which a test can check before moving time on to it.
   */
  nextDeadline(): Promise<number> {
    return new Promise((resolve) => {
      const check = () => {
        const ahead = [...this.timers].filter((timer) => timer.at > this.time);
        if (ahead.length === 0) return;
        this.armed.delete(check);
        resolve(Math.min(...ahead.map((timer) => timer.at)));
      };
      this.armed.add(check);
      check();
    });
  }

  /** Moves time to `at` (never back); the timers due by then fire in deadline order. */
  advanceTo(at: number): void {
    this.advance(Math.max(0, at - this.time));
  }

  /** Moves time forward by `ms`; the timers due by then fire in deadline order. */
  advance(ms: number): void {
    this.time += ms;
    this.fireDue();
  }

  private fireDue(): void {
    setImmediate(() => {
      const due = [...this.timers].filter((timer) => timer.at <= this.time).sort((a, b) => a.at - b.at);
      for (const timer of due) if (this.timers.delete(timer)) timer.callback();
    });
  }
}
