import type { BreakerStatus, CircuitBreaker } from '../core/ports.ts';
import { ACTION_DESCRIPTORS, type ActionDescriptor } from './descriptors.ts';

export interface ConnectorStatus extends Omit<ActionDescriptor, 'compensation'> {
  type: string;
  /** The action that undoes this one, if any. */
  compensatedBy?: string;
  breakerState: BreakerStatus;
}

/** Every action type with its risk, limits and its circuit breaker's state right now. */
export async function connectorStatuses(breaker: CircuitBreaker, now: Date): Promise<ConnectorStatus[]> {
  return Promise.all(
    Object.entries(ACTION_DESCRIPTORS).map(async ([type, { compensation, ...descriptor }]) => ({
      type,
      ...descriptor,
      ...(compensation ? { compensatedBy: compensation.action } : {}),
      breakerState: await breaker.status(type, now),
    })),
  );
}
