import { ConflictError } from '../../functions/core/errors.ts';
import type {
  ScheduleFire,
  SchedulerCursor,
  SchedulerCursors,
  ScheduleState,
  ScheduleStore,
  WebhookEvent,
  WebhookEvents,
} from '../../functions/core/ports/triggers.ts';

/** In-memory trigger stores for unit tests, with the DynamoDB adapters' conditional-write contracts. */
export function createMemoryScheduleStore(): ScheduleStore & { readonly fires: Map<string, ScheduleFire> } {
  const fires = new Map<string, ScheduleFire>();
  const states = new Map<string, ScheduleState>();
  const key = (playbook: string, at: string) => `${playbook}#${at}`;
  const stateOf = (playbook: string): ScheduleState =>
    structuredClone(states.get(playbook)) ?? { playbook, paused: false };
  return {
    fires,
    async state(playbook) {
      return stateOf(playbook);
    },
    async setPaused(playbook, paused, at) {
      const next = { ...stateOf(playbook), paused, changedAt: at.toISOString() };
      states.set(playbook, next);
      return structuredClone(next);
    },
    async recordFire(fire) {
      const held = fires.get(key(fire.playbook, fire.scheduledAt));
      if (held) return { fire: structuredClone(held), created: false };
      fires.set(key(fire.playbook, fire.scheduledAt), structuredClone(fire));
      return { fire: structuredClone(fire), created: true };
    },
    async settleFire(fire) {
      fires.set(key(fire.playbook, fire.scheduledAt), structuredClone(fire));
      const state = stateOf(fire.playbook);
      if (!state.lastFire || state.lastFire.scheduledAt <= fire.scheduledAt)
        states.set(fire.playbook, { ...state, lastFire: structuredClone(fire) });
    },
    async getFire(playbook, scheduledAt) {
      return structuredClone(fires.get(key(playbook, scheduledAt)));
    },
  };
}

export function createMemorySchedulerCursors(): SchedulerCursors & {
  readonly cursors: Map<string, SchedulerCursor>;
} {
  const cursors = new Map<string, SchedulerCursor>();
  return {
    cursors,
    async get(playbook) {
      return structuredClone(cursors.get(playbook));
    },
    async put(playbook, cursor, expectedThrough) {
      if (cursors.get(playbook)?.through !== expectedThrough)
        throw new ConflictError(`the scheduler cursor of ${playbook} moved meanwhile`);
      cursors.set(playbook, structuredClone(cursor));
    },
  };
}

export function createMemoryWebhookEvents(): WebhookEvents & { readonly events: Map<string, WebhookEvent> } {
  const events = new Map<string, WebhookEvent>();
  return {
    events,
    async claim(event) {
      const id = `${event.playbook}#${event.eventId}`;
      const held = events.get(id);
      if (held) return { event: structuredClone(held), created: false };
      events.set(id, structuredClone(event));
      return { event: structuredClone(event), created: true };
    },
  };
}
