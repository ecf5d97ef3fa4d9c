/** The subset of Amazon States Language the interpreter runs: asl-validator checks the shape, definition.ts the subset. */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: 'FULL' | 'NONE';
}

export interface Catcher {
  ErrorEquals: string[];
  ResultPath?: string | null;
  Next: string;
}

/** A Choice rule: one comparison of a Variable (only those in choice-rules.ts run locally). */
export interface ChoiceRule {
  Variable: string;
  Next?: string;
  [operator: string]: unknown;
}

/** The fields a state may carry locally; definition.ts rejects any other field at load time. */
export interface StateDefinition {
  Type: 'Task' | 'Choice' | 'Map' | 'Pass' | 'Succeed' | 'Fail';
  Comment?: string;
  Next?: string;
  End?: boolean;
  Parameters?: Json;
  ResultSelector?: Json;
  ResultPath?: string | null;
  Retry?: Retrier[];
  Catch?: Catcher[];
  // Task
  Resource?: string;
  TimeoutSeconds?: number;
  // Choice
  Choices?: ChoiceRule[];
  Default?: string;
  // Map
  ItemsPath?: string;
  ItemSelector?: Json;
  ItemProcessor?: StateMachineDefinition & { ProcessorConfig?: { Mode?: string } };
  MaxConcurrency?: number;
  // Fail
  Error?: string;
  Cause?: string;
  CausePath?: string;
}

export interface StateMachineDefinition {
  StartAt: string;
  States: Record<string, StateDefinition>;
  Comment?: string;
  TimeoutSeconds?: number;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export type HistoryEventType =
  | 'ExecutionStarted'
  | 'ExecutionSucceeded'
  | 'ExecutionFailed'
  | 'ExecutionAborted'
  | `${'Task' | 'Choice' | 'Map' | 'Pass' | 'Succeed' | 'Fail'}StateEntered`
  | `${'Task' | 'Choice' | 'Map' | 'Pass' | 'Succeed'}StateExited`
  | 'TaskScheduled'
  | 'TaskStarted'
  | 'TaskSubmitted'
  | 'TaskSucceeded'
  | 'TaskFailed'
  | 'TaskTimedOut'
  | 'MapStateStarted'
  | 'MapStateSucceeded'
  | 'MapStateFailed'
  | 'MapIterationStarted'
  | 'MapIterationSucceeded'
  | 'MapIterationFailed';

export interface HistoryEventDetails {
  stateName?: string;
  input?: Json;
  output?: Json;
  error?: string;
  cause?: string;
  resource?: string;
  parameters?: Json;
  index?: number;
  length?: number;
  timeoutInSeconds?: number;
}

export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: string;
  type: HistoryEventType;
  details: HistoryEventDetails;
}

/** Progress of a Task state, checkpointed so a restart neither loses nor repeats a recorded step. */
export interface TaskProgress {
  phase: 'scheduled' | 'submitted';
  resource: string;
  parameters: Json;
  token?: string;
  timeoutSeconds?: number;
  /** Set when the task starts: TimeoutSeconds counts from then. */
  timeoutAt?: string;
}

export interface MapProgress {
  items: Json[];
  results: Json[];
}

/** One level of the execution's position: the root, or one Map iteration nested in the frame above it. */
export interface Frame {
  stateName: string;
  input: Json;
  enteredAt: string;
  /** Attempts used per retrier of this state, by retrier index. */
  retryCounts?: number[];
  retryAt?: string;
  task?: TaskProgress;
  map?: MapProgress;
  /** Index of this iteration in the parent Map (absent at the root). */
  mapIndex?: number;
}

/** What the store keeps per execution: its summary plus the cursor it resumes from. */
export interface ExecutionMeta {
  executionArn: string;
  stateMachineName: string;
  name: string;
  status: ExecutionStatus;
  input: Json;
  output?: Json;
  error?: string;
  cause?: string;
  startDate: string;
  stopDate?: string;
  /** Bumped by every checkpoint; the store only accepts a write that expects the current version. */
  version: number;
  lastEventId: number;
  /** Innermost frame last. Empty once the execution has stopped. */
  cursor: Frame[];
  /**
   * Events of the last checkpoints not yet written to the history's own items: they ride in this
   * record, so a checkpoint is one write, and are moved out in one write when there are enough of
   * them (see execution-store.ts).
   */
  pendingEvents: HistoryEvent[];
  /** The key the execution's task tokens are derived from (task-token.ts); absent in older executions. */
  tokenKey?: string;
}
