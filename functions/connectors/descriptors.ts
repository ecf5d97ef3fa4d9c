import type { Compensation, Risk } from '../core/connector.ts';
import type { BreakerPolicy, RateLimit } from '../core/ports.ts';

/**
 * What the orchestrator and the gateway know about each action type without building its
 * transport: the policy decides by `risk`, the gateway throttles by `rateLimit` and trips by
 * `breaker`. Each connector declares the same risk (a unit test holds them together).
 */
export interface ActionDescriptor {
  risk: Risk;
  rateLimit: RateLimit;
  breaker: BreakerPolicy;
  /** How to undo an effect of this type, if it can be undone by another action. */
  compensation?: Compensation;
}

const DEFAULT_BREAKER: BreakerPolicy = { failureThreshold: 5, windowSeconds: 60, openSeconds: 30 };

export const ACTION_DESCRIPTORS: Readonly<Record<string, ActionDescriptor>> = {
  'state.upsert': {
    risk: 'write',
    rateLimit: { ratePerSecond: 50, burst: 50 },
    breaker: DEFAULT_BREAKER,
    compensation: {
      action: 'state.revert',
      params: (params, output) => ({
        entityType: params.entityType,
        entityId: params.entityId,
        toVersion: Number(output.version) - 1,
        expectVersion: Number(output.version),
      }),
    },
  },
  'state.revert': { risk: 'write', rateLimit: { ratePerSecond: 50, burst: 50 }, breaker: DEFAULT_BREAKER },
  'http.request': { risk: 'write', rateLimit: { ratePerSecond: 10, burst: 10 }, breaker: DEFAULT_BREAKER },
  'email.send': {
    risk: 'external-message',
    rateLimit: { ratePerSecond: 1, burst: 5 },
    breaker: DEFAULT_BREAKER,
  },
  'slack.post': {
    risk: 'external-message',
    rateLimit: { ratePerSecond: 1, burst: 3 },
    breaker: DEFAULT_BREAKER,
    compensation: {
      action: 'slack.delete',
      params: (_params, output) => ({ channel: output.channel, ts: output.ts }),
    },
  },
  'slack.delete': {
    risk: 'external-message',
    rateLimit: { ratePerSecond: 1, burst: 3 },
    breaker: DEFAULT_BREAKER,
  },
};

export const describeAction = (type: string): ActionDescriptor | undefined => ACTION_DESCRIPTORS[type];
