import { randomBytes } from 'node:crypto';
import { chooseNext } from './choice-rules.ts';
import { type AslClock, scaledDeadline } from './clock.ts';
import { findState, processorOf } from './definition.ts';
import { StatesError, StatesRuntimeError, StoreUnavailableError, TaskTimedOutError } from './errors.ts';
import type { ExecutionRun } from './execution-run.ts';
import type { ExecutionStore } from './execution-store.ts';
import { applyResultPath, evaluatePath, requireReferencePath, selectPath } from './json-path.ts';
import { type ContextObject, evaluatePayloadTemplate } from './payload-template.ts';
import { decideRetry, findCatcher } from './retry-policy.ts';
import { invokeResource, isWaitForTaskToken, type TaskResources } from './task-resources.ts';
import type { Frame, HistoryEventType, Json, StateDefinition, StateMachineDefinition } from './types.ts';

/** What the interpreter needs from its host for one state machine. */
export interface InterpreterDeps {
  machine: StateMachineDefinition;
  stateMachineArn: string;
  resources: Partial<TaskResources>;
  store: ExecutionStore;
  /** Multiplies every wait, retry interval and timeout. */
  timeScale: number;
  clock: AslClock;
}

/** After a step: run the next one now, wait (until a deadline, or for a task token), or stop. */
export type StepOutcome = { kind: 'continue' } | { kind: 'wait'; until?: number } | { kind: 'stopped' };

const CONTINUE: StepOutcome = { kind: 'continue' };
const STOPPED: StepOutcome = { kind: 'stopped' };

/** Advances the execution by one step of its innermost frame. The caller checkpoints afterwards. */
export function step(run: ExecutionRun, deps: InterpreterDeps): Promise<StepOutcome> {
  return guarded(run, deps, () => runTopState(run, deps));
}

/** Completes the task waiting on `token` with the output a worker sent (SendTaskSuccess). */
export function completeTaskWithToken(
  run: ExecutionRun,
  deps: InterpreterDeps,
  token: string,
  output: Json,
): Promise<StepOutcome> {
  return guarded(run, deps, async () => {
    const { frame, state } = waitingTask(run, deps, token);
    run.emit('TaskSucceeded', { stateName: frame.stateName, resource: state.Resource, output });
    completeTask(run, deps, frame, state, output);
    return CONTINUE;
  });
}

/** Fails the task waiting on `token` (SendTaskFailure); Retry and Catch apply as usual. */
export function failTaskWithToken(
  run: ExecutionRun,
  deps: InterpreterDeps,
  token: string,
  error: string | undefined,
  cause: string | undefined,
): Promise<StepOutcome> {
  return guarded(run, deps, async () => {
    const { frame, state } = waitingTask(run, deps, token);
    run.emit('TaskFailed', { stateName: frame.stateName, resource: state.Resource, error, cause });
    failState(run, deps, error, cause);
    return CONTINUE;
  });
}

/** Restarts the heartbeat clock of the task waiting on `token` (SendTaskHeartbeat). */
export function recordHeartbeat(run: ExecutionRun, deps: InterpreterDeps, token: string): void {
  const { frame } = waitingTask(run, deps, token);
  const task = frame.task;
  if (task?.phase === 'submitted' && task.heartbeatSeconds !== undefined) {
    task.heartbeatAt = deadline(deps.clock.now(), task.heartbeatSeconds, deps);
  }
}

export function stopExecution(run: ExecutionRun, error: string | undefined, cause: string | undefined): void {
  const { meta } = run;
  meta.status = 'ABORTED';
  meta.error = error;
  meta.cause = cause;
  meta.stopDate = run.timestamp();
  meta.cursor = [];
  run.emit('ExecutionAborted', { error, cause });
}

/** Creates the root frame of a new execution and records entering its first state. */
export function enterFirstState(run: ExecutionRun, deps: InterpreterDeps, input: Json): void {
  enterState(run, deps, deps.machine.StartAt, input);
}

// ---------------------------------------------------------------------------------------------

function waitingTask(run: ExecutionRun, deps: InterpreterDeps, token: string) {
  const frame = run.meta.cursor.at(-1);
  if (run.meta.status !== 'RUNNING' || !frame || frame.task?.token !== token) throw new TaskTimedOutError();
  return { frame, state: stateOf(run, deps, run.meta.cursor.length - 1) };
}

async function guarded(
  run: ExecutionRun,
  deps: InterpreterDeps,
  action: () => Promise<StepOutcome>,
): Promise<StepOutcome> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof StoreUnavailableError || error instanceof TaskTimedOutError) throw error;
    let fatal = error;
    if (error instanceof StatesError && !(error instanceof StatesRuntimeError)) {
      try {
        failState(run, deps, error.name, error.causeText);
        return CONTINUE;
      } catch (inner) {
        fatal = inner;
      }
    }
    failExecution(run, 'States.Runtime', fatal instanceof Error ? fatal.message : String(fatal));
    return STOPPED;
  }
}

function scopeOf(run: ExecutionRun, depth: number): string[] {
  return run.meta.cursor.slice(0, depth).map((frame) => frame.stateName);
}

function stateOf(run: ExecutionRun, deps: InterpreterDeps, depth: number): StateDefinition {
  const frame = run.meta.cursor[depth] as Frame;
  return findState(deps.machine, scopeOf(run, depth), frame.stateName);
}

function topFrame(run: ExecutionRun): Frame {
  const frame = run.meta.cursor.at(-1);
  if (!frame) throw new Error('The execution has no current state');
  return frame;
}

function contextOf(
  run: ExecutionRun,
  deps: InterpreterDeps,
  frame: Frame,
  extra: Partial<ContextObject> = {},
) {
  const { meta } = run;
  const context: ContextObject = {
    Execution: {
      Id: meta.executionArn,
      Name: meta.name,
      Input: meta.input,
      StartTime: meta.startDate,
      RoleArn: 'arn:aws:iam::000000000000:role/local-step-functions',
    },
    StateMachine: { Id: deps.stateMachineArn, Name: meta.stateMachineName },
    State: {
      Name: frame.stateName,
      EnteredTime: frame.enteredAt,
      RetryCount: (frame.retryCounts ?? []).reduce((sum, count) => sum + count, 0),
    },
    ...extra,
  };
  return context;
}

const deadline = (from: number, seconds: number, deps: InterpreterDeps): string =>
  new Date(scaledDeadline(from, seconds * 1000, deps.timeScale)).toISOString();

const isDue = (at: string | undefined, deps: InterpreterDeps): boolean =>
  at !== undefined && Date.parse(at) <= deps.clock.now();

function earliest(...times: (string | undefined)[]): number | undefined {
  const values = times.filter((time): time is string => time !== undefined).map((time) => Date.parse(time));
  return values.length > 0 ? Math.min(...values) : undefined;
}

async function runTopState(run: ExecutionRun, deps: InterpreterDeps): Promise<StepOutcome> {
  if (run.meta.status !== 'RUNNING') return STOPPED;
  const frame = topFrame(run);
  const state = stateOf(run, deps, run.meta.cursor.length - 1);
  if (frame.retryAt) {
    if (!isDue(frame.retryAt, deps)) return { kind: 'wait', until: Date.parse(frame.retryAt) };
    delete frame.retryAt;
  }
  switch (state.Type) {
    case 'Pass':
      return runPass(run, deps, frame, state);
    case 'Choice':
      return runChoice(run, deps, frame, state);
    case 'Wait':
      return runWait(run, deps, frame, state);
    case 'Succeed': {
      const output = selectPath(
        selectPath(frame.input, state.InputPath, 'InputPath'),
        state.OutputPath,
        'OutputPath',
      );
      run.emit('SucceedStateExited', { stateName: frame.stateName, output });
      endFrame(run, deps, output);
      return CONTINUE;
    }
    case 'Fail':
      return runFail(run, deps, frame, state);
    case 'Task':
      return runTask(run, deps, frame, state);
    case 'Map':
      return runMap(run, deps, frame, state);
    default:
      throw new StatesRuntimeError(`State type ${state.Type} is not supported`);
  }
}

function runPass(
  run: ExecutionRun,
  deps: InterpreterDeps,
  frame: Frame,
  state: StateDefinition,
): StepOutcome {
  const effective = selectPath(frame.input, state.InputPath, 'InputPath');
  const parameters =
    state.Parameters !== undefined
      ? evaluatePayloadTemplate(state.Parameters, effective, contextOf(run, deps, frame))
      : effective;
  const result = state.Result !== undefined ? state.Result : parameters;
  const output = selectPath(
    applyResultPath(frame.input, result, state.ResultPath),
    state.OutputPath,
    'OutputPath',
  );
  run.emit('PassStateExited', { stateName: frame.stateName, output });
  transition(run, deps, state, output);
  return CONTINUE;
}

function runChoice(
  run: ExecutionRun,
  deps: InterpreterDeps,
  frame: Frame,
  state: StateDefinition,
): StepOutcome {
  const effective = selectPath(frame.input, state.InputPath, 'InputPath');
  const next = chooseNext(state.Choices ?? [], effective) ?? state.Default;
  if (!next)
    throw new StatesError('States.NoChoiceMatched', `No Choice rule matched in state '${frame.stateName}'`);
  const output = selectPath(effective, state.OutputPath, 'OutputPath');
  run.emit('ChoiceStateExited', { stateName: frame.stateName, output });
  transition(run, deps, { ...state, Next: next }, output);
  return CONTINUE;
}

function runWait(
  run: ExecutionRun,
  deps: InterpreterDeps,
  frame: Frame,
  state: StateDefinition,
): StepOutcome {
  const effective = selectPath(frame.input, state.InputPath, 'InputPath');
  if (!frame.waitUntil) frame.waitUntil = waitDeadline(effective, state, frame, deps);
  if (!isDue(frame.waitUntil, deps)) return { kind: 'wait', until: Date.parse(frame.waitUntil) };
  const output = selectPath(effective, state.OutputPath, 'OutputPath');
  run.emit('WaitStateExited', { stateName: frame.stateName, output });
  transition(run, deps, state, output);
  return CONTINUE;
}

// Counted from entering the state, as the service does: neither a busy interpreter stepping the
// state late nor a restart before its first step lengthens the wait.
function waitDeadline(input: Json, state: StateDefinition, frame: Frame, deps: InterpreterDeps): string {
  const entered = Date.parse(frame.enteredAt);
  let seconds = state.Seconds;
  if (state.SecondsPath !== undefined) {
    const value = evaluatePath(state.SecondsPath, input, 'SecondsPath');
    if (typeof value !== 'number' || value < 0) {
      throw new StatesRuntimeError(
        `SecondsPath '${state.SecondsPath}' must name a non-negative number, got ${JSON.stringify(value)}`,
      );
    }
    seconds = value;
  }
  let timestamp = state.Timestamp;
  if (state.TimestampPath !== undefined) {
    const value = evaluatePath(state.TimestampPath, input, 'TimestampPath');
    if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) {
      throw new StatesRuntimeError(
        `TimestampPath '${state.TimestampPath}' must name a timestamp, got ${JSON.stringify(value)}`,
      );
    }
    timestamp = value;
  }
  if (timestamp !== undefined) seconds = Math.max(0, (Date.parse(timestamp) - entered) / 1000);
  return deadline(entered, seconds ?? 0, deps);
}

function runFail(
  run: ExecutionRun,
  _deps: InterpreterDeps,
  frame: Frame,
  state: StateDefinition,
): StepOutcome {
  const error =
    state.ErrorPath !== undefined ? evaluateText(state.ErrorPath, frame.input, 'ErrorPath') : state.Error;
  const cause =
    state.CausePath !== undefined ? evaluateText(state.CausePath, frame.input, 'CausePath') : state.Cause;
  failState(run, _deps, error, cause);
  return CONTINUE;
}

function evaluateText(path: string, input: Json, field: string): string {
  requireReferencePath(path, field);
  const value = evaluatePath(path, input, field);
  if (typeof value !== 'string')
    throw new StatesRuntimeError(`${field} '${path}' must name a string, got ${JSON.stringify(value)}`);
  return value;
}

async function runTask(
  run: ExecutionRun,
  deps: InterpreterDeps,
  frame: Frame,
  state: StateDefinition,
): Promise<StepOutcome> {
  const resource = state.Resource as string;
  const task = frame.task;
  if (!task) {
    await scheduleTask(run, deps, frame, state);
    return CONTINUE;
  }
  if (task.phase === 'submitted') {
    if (isDue(task.timeoutAt, deps)) return taskTimedOut(run, deps, frame, resource, 'States.Timeout');
    if (isDue(task.heartbeatAt, deps)) {
      return taskTimedOut(run, deps, frame, resource, 'States.HeartbeatTimeout');
    }
    return { kind: 'wait', until: earliest(task.timeoutAt, task.heartbeatAt) };
  }
  // TimeoutSeconds runs from the start, as on the service: the interpreter's own delay between
  // scheduling and starting (a checkpoint, a busy event loop) must not time a task out unstarted.
  if (task.timeoutSeconds !== undefined) {
    task.timeoutAt = deadline(deps.clock.now(), task.timeoutSeconds, deps);
  }
  run.emit('TaskStarted', { stateName: frame.stateName, resource });
  const outcome = await withDeadline(
    invokeResource(deps.resources, resource, task.parameters),
    task.timeoutAt,
    deps.clock,
  );
  if (outcome.timedOut) return taskTimedOut(run, deps, frame, resource, 'States.Timeout');
  if (outcome.error) {
    if (outcome.error instanceof StatesRuntimeError || !(outcome.error instanceof StatesError))
      throw outcome.error;
    run.emit('TaskFailed', {
      stateName: frame.stateName,
      resource,
      error: outcome.error.name,
      cause: outcome.error.causeText,
    });
    failState(run, deps, outcome.error.name, outcome.error.causeText);
    return CONTINUE;
  }
  const result = outcome.value as Json;
  if (task.token) {
    task.phase = 'submitted';
    if (task.heartbeatSeconds !== undefined) {
      task.heartbeatAt = deadline(deps.clock.now(), task.heartbeatSeconds, deps);
    }
    run.emit('TaskSubmitted', { stateName: frame.stateName, resource, output: result });
    return { kind: 'wait', until: earliest(task.timeoutAt, task.heartbeatAt) };
  }
  run.emit('TaskSucceeded', { stateName: frame.stateName, resource, output: result });
  completeTask(run, deps, frame, state, result);
  return CONTINUE;
}

// Recorded before the call, so that a restart re-sends with the same parameters (and the same token).
async function scheduleTask(run: ExecutionRun, deps: InterpreterDeps, frame: Frame, state: StateDefinition) {
  const resource = state.Resource as string;
  const effective = selectPath(frame.input, state.InputPath, 'InputPath');
  const token = isWaitForTaskToken(resource) ? randomBytes(32).toString('base64url') : undefined;
  const context = contextOf(run, deps, frame, token ? { Task: { Token: token } } : {});
  const parameters =
    state.Parameters !== undefined
      ? evaluatePayloadTemplate(state.Parameters, effective, context)
      : effective;
  const timeoutSeconds = secondsOf(
    state.TimeoutSeconds,
    state.TimeoutSecondsPath,
    effective,
    'TimeoutSecondsPath',
  );
  const heartbeatSeconds = secondsOf(
    state.HeartbeatSeconds,
    state.HeartbeatSecondsPath,
    effective,
    'HeartbeatSecondsPath',
  );
  if (token) {
    try {
      await deps.store.putToken({ token, executionArn: run.meta.executionArn, stateName: frame.stateName });
    } catch (error) {
      throw new StoreUnavailableError(error);
    }
  }
  frame.task = {
    phase: 'scheduled',
    resource,
    parameters,
    token,
    timeoutSeconds,
    heartbeatSeconds,
  };
  run.emit('TaskScheduled', {
    stateName: frame.stateName,
    resource,
    parameters,
    timeoutInSeconds: timeoutSeconds,
    heartbeatInSeconds: heartbeatSeconds,
  });
}

function secondsOf(fixed: number | undefined, path: string | undefined, input: Json, field: string) {
  if (path === undefined) return fixed;
  const value = evaluatePath(path, input, field);
  if (typeof value !== 'number' || value <= 0) {
    throw new StatesRuntimeError(
      `${field} '${path}' must name a positive number, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function taskTimedOut(
  run: ExecutionRun,
  deps: InterpreterDeps,
  frame: Frame,
  resource: string,
  error: string,
): StepOutcome {
  const cause =
    error === 'States.HeartbeatTimeout'
      ? 'The task did not send a heartbeat within HeartbeatSeconds'
      : 'The task did not complete within TimeoutSeconds';
  run.emit('TaskTimedOut', { stateName: frame.stateName, resource, error, cause });
  failState(run, deps, error, cause);
  return CONTINUE;
}

type Settled = { timedOut: true } | { timedOut: false; value?: unknown; error?: unknown };

async function withDeadline(
  promise: Promise<unknown>,
  at: string | undefined,
  clock: AslClock,
): Promise<Settled> {
  const settled: Promise<Settled> = promise.then(
    (value) => ({ timedOut: false, value }),
    (error: unknown) => ({ timedOut: false, error: error ?? new Error('undefined was thrown') }),
  );
  if (at === undefined) return settled;
  let cancel: (() => void) | undefined;
  const expired = new Promise<Settled>((resolve) => {
    cancel = clock.setTimer(() => resolve({ timedOut: true }), Math.max(0, Date.parse(at) - clock.now()));
  });
  try {
    return await Promise.race([settled, expired]);
  } finally {
    cancel?.();
  }
}

function completeTask(
  run: ExecutionRun,
  deps: InterpreterDeps,
  frame: Frame,
  state: StateDefinition,
  result: Json,
) {
  const selected =
    state.ResultSelector !== undefined
      ? evaluatePayloadTemplate(state.ResultSelector, result, contextOf(run, deps, frame))
      : result;
  const output = selectPath(
    applyResultPath(frame.input, selected, state.ResultPath),
    state.OutputPath,
    'OutputPath',
  );
  run.emit('TaskStateExited', { stateName: frame.stateName, output });
  transition(run, deps, state, output);
}

function runMap(run: ExecutionRun, deps: InterpreterDeps, frame: Frame, state: StateDefinition): StepOutcome {
  if (!frame.map) {
    const effective = selectPath(frame.input, state.InputPath, 'InputPath');
    if (state.ItemsPath !== undefined) requireReferencePath(state.ItemsPath, 'ItemsPath');
    const items =
      state.ItemsPath !== undefined ? evaluatePath(state.ItemsPath, effective, 'ItemsPath') : effective;
    if (!Array.isArray(items)) {
      throw new StatesRuntimeError(
        `The Map state '${frame.stateName}' needs an array of items, got ${JSON.stringify(items)}`,
      );
    }
    const selector = state.ItemSelector ?? state.Parameters;
    const selected = items.map((value, index) =>
      selector !== undefined
        ? evaluatePayloadTemplate(
            selector,
            effective,
            contextOf(run, deps, frame, { Map: { Item: { Index: index, Value: value } } }),
          )
        : value,
    );
    frame.map = { items: selected, results: [] };
    run.emit('MapStateStarted', { stateName: frame.stateName, length: selected.length });
  }
  startNextIterationOrFinish(run, deps, frame, state);
  return CONTINUE;
}

// Items run one after another: a simpler durable cursor, and allowed for any MaxConcurrency.
function startNextIterationOrFinish(
  run: ExecutionRun,
  deps: InterpreterDeps,
  frame: Frame,
  state: StateDefinition,
) {
  const map = frame.map as NonNullable<Frame['map']>;
  const index = map.results.length;
  if (index < map.items.length) {
    run.emit('MapIterationStarted', { stateName: frame.stateName, index });
    const depth = run.meta.cursor.length;
    const processor = processorOf(deps.machine, [...scopeOf(run, depth - 1), frame.stateName]);
    enterState(run, deps, processor.StartAt, map.items[index] as Json, { push: true, mapIndex: index });
    return;
  }
  const selected =
    state.ResultSelector !== undefined
      ? evaluatePayloadTemplate(state.ResultSelector, map.results, contextOf(run, deps, frame))
      : map.results;
  const output = selectPath(
    applyResultPath(frame.input, selected, state.ResultPath),
    state.OutputPath,
    'OutputPath',
  );
  run.emit('MapStateSucceeded', { stateName: frame.stateName });
  run.emit('MapStateExited', { stateName: frame.stateName, output });
  transition(run, deps, state, output);
}

const ENTERED: Record<StateDefinition['Type'], HistoryEventType> = {
  Task: 'TaskStateEntered',
  Choice: 'ChoiceStateEntered',
  Map: 'MapStateEntered',
  Pass: 'PassStateEntered',
  Wait: 'WaitStateEntered',
  Succeed: 'SucceedStateEntered',
  Fail: 'FailStateEntered',
  Parallel: 'TaskStateEntered',
};

/** Puts a new frame on `name`: in place of the current top, or pushed above it for a Map iteration. */
function enterState(
  run: ExecutionRun,
  deps: InterpreterDeps,
  name: string,
  input: Json,
  options: { push?: boolean; mapIndex?: number } = {},
) {
  const { cursor } = run.meta;
  const depth = options.push || cursor.length === 0 ? cursor.length : cursor.length - 1;
  const state = findState(deps.machine, scopeOf(run, depth), name);
  const frame: Frame = { stateName: name, input, enteredAt: run.timestamp() };
  const mapIndex = options.mapIndex ?? cursor[depth]?.mapIndex;
  if (mapIndex !== undefined) frame.mapIndex = mapIndex;
  cursor[depth] = frame;
  run.emit(ENTERED[state.Type], { stateName: name, input });
}

function transition(run: ExecutionRun, deps: InterpreterDeps, state: StateDefinition, output: Json) {
  if (state.Next !== undefined && state.Type !== 'Succeed') enterState(run, deps, state.Next, output);
  else endFrame(run, deps, output);
}

/** The current branch ended with `output`: the execution succeeds, or the Map iteration does. */
function endFrame(run: ExecutionRun, deps: InterpreterDeps, output: Json) {
  const { meta } = run;
  if (meta.cursor.length === 1) {
    meta.status = 'SUCCEEDED';
    meta.output = output;
    meta.stopDate = run.timestamp();
    meta.cursor = [];
    run.emit('ExecutionSucceeded', { output });
    return;
  }
  const child = meta.cursor.pop() as Frame;
  const parent = topFrame(run);
  (parent.map as NonNullable<Frame['map']>).results.push(output);
  run.emit('MapIterationSucceeded', { stateName: parent.stateName, index: child.mapIndex });
  startNextIterationOrFinish(run, deps, parent, stateOf(run, deps, meta.cursor.length - 1));
}

/** The current state failed: retry it, catch the error, or fail the enclosing Map / the execution. */
function failState(
  run: ExecutionRun,
  deps: InterpreterDeps,
  error: string | undefined,
  cause: string | undefined,
) {
  const { meta } = run;
  for (;;) {
    const frame = topFrame(run);
    const state = stateOf(run, deps, meta.cursor.length - 1);
    const errorName = error ?? '';
    const retry = decideRetry(state.Retry, frame.retryCounts ?? [], errorName);
    if (retry) {
      const counts = frame.retryCounts ?? [];
      counts[retry.retrierIndex] = (counts[retry.retrierIndex] ?? 0) + 1;
      frame.retryCounts = Array.from(counts, (count) => count ?? 0);
      frame.retryAt = new Date(scaledDeadline(deps.clock.now(), retry.delayMs, deps.timeScale)).toISOString();
      delete frame.task;
      delete frame.map;
      return;
    }
    const catcher = findCatcher(state.Catch, errorName);
    if (catcher) {
      const errorOutput: Json = { Error: error ?? null, Cause: cause ?? null };
      const output = applyResultPath(frame.input, errorOutput, catcher.ResultPath);
      run.emit(state.Type === 'Map' ? 'MapStateExited' : 'TaskStateExited', {
        stateName: frame.stateName,
        output,
      });
      enterState(run, deps, catcher.Next, output);
      return;
    }
    if (meta.cursor.length === 1) {
      failExecution(run, error, cause);
      return;
    }
    const child = meta.cursor.pop() as Frame;
    const parent = topFrame(run);
    run.emit('MapIterationFailed', { stateName: parent.stateName, index: child.mapIndex, error, cause });
    run.emit('MapStateFailed', { stateName: parent.stateName, error, cause });
  }
}

function failExecution(run: ExecutionRun, error: string | undefined, cause: string | undefined) {
  const { meta } = run;
  meta.status = 'FAILED';
  meta.error = error;
  meta.cause = cause;
  meta.stopDate = run.timestamp();
  meta.cursor = [];
  run.emit('ExecutionFailed', { error, cause });
}
