import { chooseNext } from './choice-rules.ts';
import { type AslClock, scaledDeadline } from './clock.ts';
import { findState, processorOf } from './definition.ts';
import {
  StaleExecutionError,
  StatesError,
  StatesRuntimeError,
  StoreUnavailableError,
  TaskTimedOutError,
} from './errors.ts';
import type { ExecutionRun } from './execution-run.ts';
import type { ExecutionStore } from './execution-store.ts';
import { applyResultPath, evaluatePath } from './json-path.ts';
import { type ContextObject, evaluatePayloadTemplate } from './payload-template.ts';
import { decideRetry, findCatcher } from './retry-policy.ts';
import {
  invokeResource,
  isWaitForTaskToken,
  SQS_SEND_MESSAGE,
  type TaskResources,
} from './task-resources.ts';
import { issueTaskToken } from './task-token.ts';
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
  /** Whether a call (without a task token) may run again after a crash: see LocalStepFunctionsOptions.replaySafe. */
  replaySafe?: (resource: string, parameters: Json) => boolean;
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
    if (
      error instanceof StoreUnavailableError ||
      error instanceof TaskTimedOutError ||
      error instanceof StaleExecutionError
    )
      throw error;
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

function contextOf(token?: string, item?: { Index: number; Value: Json }): ContextObject {
  const context: ContextObject = {};
  if (token !== undefined) context.Task = { Token: token };
  if (item) context.Map = { Item: item };
  return context;
}

const deadline = (from: number, seconds: number, deps: InterpreterDeps): string =>
  new Date(scaledDeadline(from, seconds * 1000, deps.timeScale)).toISOString();

const isDue = (at: string | undefined, deps: InterpreterDeps): boolean =>
  at !== undefined && Date.parse(at) <= deps.clock.now();

const waitUntil = (at: string | undefined): StepOutcome => ({
  kind: 'wait',
  ...(at !== undefined && { until: Date.parse(at) }),
});

async function runTopState(run: ExecutionRun, deps: InterpreterDeps): Promise<StepOutcome> {
  if (run.meta.status !== 'RUNNING') return STOPPED;
  const frame = topFrame(run);
  const state = stateOf(run, deps, run.meta.cursor.length - 1);
  if (frame.retryAt) {
    if (!isDue(frame.retryAt, deps)) return { kind: 'wait', until: Date.parse(frame.retryAt) };
    delete frame.retryAt;
  }
  switch (state.Type) {
    case 'Choice':
      return runChoice(run, deps, frame, state);
    case 'Pass': {
      // Only Parameters: the model-step branch shapes its outcome like the other branches' outcomes.
      const output =
        state.Parameters !== undefined
          ? evaluatePayloadTemplate(state.Parameters, frame.input, contextOf())
          : frame.input;
      run.emit('PassStateExited', { stateName: frame.stateName, output });
      transition(run, deps, state, output);
      return CONTINUE;
    }
    case 'Succeed':
      run.emit('SucceedStateExited', { stateName: frame.stateName, output: frame.input });
      endFrame(run, deps, frame.input);
      return CONTINUE;
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

function runChoice(
  run: ExecutionRun,
  deps: InterpreterDeps,
  frame: Frame,
  state: StateDefinition,
): StepOutcome {
  const next = chooseNext(state.Choices ?? [], frame.input) ?? state.Default;
  if (!next)
    throw new StatesError('States.NoChoiceMatched', `No Choice rule matched in state '${frame.stateName}'`);
  run.emit('ChoiceStateExited', { stateName: frame.stateName, output: frame.input });
  transition(run, deps, { ...state, Next: next }, frame.input);
  return CONTINUE;
}

function runFail(
  run: ExecutionRun,
  deps: InterpreterDeps,
  frame: Frame,
  state: StateDefinition,
): StepOutcome {
  const error = state.Error;
  const cause =
    state.CausePath !== undefined ? evaluateText(state.CausePath, frame.input, 'CausePath') : state.Cause;
  failState(run, deps, error, cause);
  return CONTINUE;
}

function evaluateText(path: string, input: Json, field: string): string {
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
    scheduleTask(run, frame, state);
    return CONTINUE;
  }
  if (task.phase === 'submitted') {
    if (isDue(task.timeoutAt, deps)) return taskTimedOut(run, deps, frame, resource);
    return waitUntil(task.timeoutAt);
  }
  // A call must find what led to it durable: the result of the call before it (a restart does
  // not repeat that one) unless the host named that call replay-safe, and the token it carries,
  // unless it is a queue message whose token the execution's key derives (a restart that takes
  // the same transitions again sends the same message with the same token, a duplicate delivery
  // a queue's consumers bear; one that takes others sends a new token, and the first message's
  // answer finds its token closed). Transitions with no such call in between are committed
  // together; after a crash they are simply taken again.
  const tokenDurableFirst =
    task.token !== undefined && !(run.meta.tokenKey !== undefined && resource.startsWith(SQS_SEND_MESSAGE));
  if (tokenDurableFirst || run.hasUncommittedResult) await commitBeforeCall(run);
  // TimeoutSeconds runs from the start, as on the service: the interpreter's own delay between
  // scheduling and starting (a checkpoint, a busy event loop) must not time a task out unstarted.
  if (task.timeoutSeconds !== undefined) {
    task.timeoutAt = deadline(deps.clock.now(), task.timeoutSeconds, deps);
  }
  run.emit('TaskStarted', { stateName: frame.stateName, resource });
  run.called(task.token === undefined && (deps.replaySafe?.(resource, task.parameters) ?? false));
  const outcome = await withDeadline(
    invokeResource(deps.resources, resource, task.parameters),
    task.timeoutAt,
    deps.clock,
  );
  if (outcome.timedOut) return taskTimedOut(run, deps, frame, resource);
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
    run.emit('TaskSubmitted', { stateName: frame.stateName, resource, output: result });
    return waitUntil(task.timeoutAt);
  }
  run.emit('TaskSucceeded', { stateName: frame.stateName, resource, output: result });
  completeTask(run, deps, frame, state, result);
  return CONTINUE;
}

/** A checkpoint that failed is not the execution's failure: the step is abandoned and resumes later. */
async function commitBeforeCall(run: ExecutionRun): Promise<void> {
  try {
    await run.checkpoint();
  } catch (error) {
    if (error instanceof StaleExecutionError) throw error;
    throw new StoreUnavailableError(error);
  }
}

// Recorded before the call, so that a restart that finds it committed re-sends with the same
// parameters and the same token.
function scheduleTask(run: ExecutionRun, frame: Frame, state: StateDefinition) {
  const resource = state.Resource as string;
  // The token names its execution itself; with the execution's key it is derived from this place
  // in the history, this state and its input, so the same transitions taken again after a crash
  // issue it again.
  const { executionArn, tokenKey, lastEventId } = run.meta;
  const token = isWaitForTaskToken(resource)
    ? issueTaskToken(
        executionArn,
        tokenKey === undefined
          ? undefined
          : { tokenKey, position: lastEventId, stateName: frame.stateName, input: frame.input },
      )
    : undefined;
  const parameters =
    state.Parameters !== undefined
      ? evaluatePayloadTemplate(state.Parameters, frame.input, contextOf(token))
      : frame.input;
  const timeoutSeconds = state.TimeoutSeconds;
  frame.task = {
    phase: 'scheduled',
    resource,
    parameters,
    token,
    timeoutSeconds,
  };
  run.emit('TaskScheduled', {
    stateName: frame.stateName,
    resource,
    parameters,
    timeoutInSeconds: timeoutSeconds,
  });
}

function taskTimedOut(run: ExecutionRun, deps: InterpreterDeps, frame: Frame, resource: string): StepOutcome {
  const error = 'States.Timeout';
  const cause = 'The task did not complete within TimeoutSeconds';
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
      ? evaluatePayloadTemplate(state.ResultSelector, result, contextOf())
      : result;
  const output = applyResultPath(frame.input, selected, state.ResultPath);
  run.emit('TaskStateExited', { stateName: frame.stateName, output });
  transition(run, deps, state, output);
}

function runMap(run: ExecutionRun, deps: InterpreterDeps, frame: Frame, state: StateDefinition): StepOutcome {
  if (!frame.map) {
    const items = evaluatePath(state.ItemsPath ?? '$', frame.input, 'ItemsPath');
    if (!Array.isArray(items)) {
      throw new StatesRuntimeError(
        `The Map state '${frame.stateName}' needs an array of items, got ${JSON.stringify(items)}`,
      );
    }
    const selector = state.ItemSelector;
    const selected = items.map((value, index) =>
      selector !== undefined
        ? evaluatePayloadTemplate(selector, frame.input, contextOf(undefined, { Index: index, Value: value }))
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
  const output = applyResultPath(frame.input, map.results, state.ResultPath);
  run.emit('MapStateSucceeded', { stateName: frame.stateName });
  run.emit('MapStateExited', { stateName: frame.stateName, output });
  transition(run, deps, state, output);
}

const ENTERED: Record<StateDefinition['Type'], HistoryEventType> = {
  Task: 'TaskStateEntered',
  Choice: 'ChoiceStateEntered',
  Map: 'MapStateEntered',
  Pass: 'PassStateEntered',
  Succeed: 'SucceedStateEntered',
  Fail: 'FailStateEntered',
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
