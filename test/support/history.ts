import type { HistoryEvent, HistoryEventType } from '../../lib/local/asl/types.ts';

/** The names of the states entered, in order: what a scenario asserts its path on. */
export function enteredStates(history: readonly HistoryEvent[]): string[] {
  return history.filter((e) => e.type.endsWith('StateEntered')).map((e) => e.details.stateName ?? '?');
}

export function eventsOf(history: readonly HistoryEvent[], type: HistoryEventType): HistoryEvent[] {
  return history.filter((e) => e.type === type);
}

/** Events that happened while the named state was the one most recently entered. */
export function eventsInState(history: readonly HistoryEvent[], stateName: string): HistoryEvent[] {
  let current: string | undefined;
  const found: HistoryEvent[] = [];
  for (const event of history) {
    if (event.type.endsWith('StateEntered')) current = event.details.stateName;
    else if (current === stateName) found.push(event);
  }
  return found;
}
