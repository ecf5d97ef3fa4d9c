/**
 * The CloudWatch metrics (Powertools, EMF; namespace `aios`, dimension `service: aios`) that the
 * handlers emit and the stack's dashboard draws: one list, so a renamed metric cannot leave an
 * empty graph behind.
 */
export const METRICS_NAMESPACE = 'aios';
export const METRICS_SERVICE = 'aios';

export const METRIC_NAMES = {
  runStarted: 'RunStarted',
  runSucceeded: 'RunSucceeded',
  runFailed: 'RunFailed',
  actionSucceeded: 'ActionSucceeded',
  /** Emitted per finished run by the run recorder (phase 2 of issue 13): the playbook's minutes when it succeeded. */
  timeSavedMinutes: 'TimeSavedMinutes',
  /** Per finished run: model spend plus the estimated AWS cost, in US dollars. */
  runCostUsd: 'RunCostUsd',
  /** Per approval decided by a person that rejected or edited the proposal. */
  humanOverride: 'HumanOverride',
} as const;
