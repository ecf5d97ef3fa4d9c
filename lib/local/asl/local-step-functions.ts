import { randomUUID } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { type AslClock, systemAslClock } from './clock.ts';
import { loadDefinition } from './definition.ts';
import {
  ExecutionAlreadyExistsError,
  ExecutionDoesNotExistError,
  InvalidOutputError,
  InvalidTokenError,
  StaleExecutionError,
  StateMachineDoesNotExistError,
  TaskTimedOutError,
} from './errors.ts';
import { type CommitListener, ExecutionRun } from './execution-run.ts';
import type { ExecutionStore } from './execution-store.ts';
import {
  completeTaskWithToken,
  enterFirstState,
  failTaskWithToken,
  type InterpreterDeps,
  step,
  stopExecution,
} from './interpreter.ts';
import { canonicalJson, toJson } from './json.ts';
import { SQS_SEND_MESSAGE, type TaskResources } from './task-resources.ts';
import { executionOfTaskToken, LEGACY_TOKEN_FORMAT, newTokenKey } from './task-token.ts';
import type { ExecutionMeta, ExecutionStatus, HistoryEvent, Json, StateMachineDefinition } from './types.ts';

const ACCOUNT = 'arn:aws:states:local:000000000000';
export const stateMachineArn = (name: string): string => `${ACCOUNT}:stateMachine:${name}`;
export const executionArn = (stateMachineName: string, name: string): string =>
  `${ACCOUNT}:execution:${stateMachineName}:${name}`;

// setTimeout cannot wait longer; a later deadline is re-armed when this one fires.
const MAX_TIMER_MS = 2 ** 31 - 1;
/**
 * How long the checkpoint of "message sent, waiting for its answer" is put off: an answer that
 * comes sooner (a gateway round, tens of milliseconds) commits it with its own checkpoint, one
 * write for the whole step. A crash before either leaves an earlier checkpoint (the send itself
 * needs none before it, see runTask), and the restart takes the same transitions again and sends
 * the message again, with the same token (derived from the execution's key and its place in the
 * history): a second delivery of a message, which a queue's consumers must bear anyway (SQS is
 * at-least-once). Only queue messages are put off this way; a Lambda invoked with a token (a
 * notification) is committed at once.
 */
const SENT_MESSAGE_COMMIT_DELAY_MS = 1_000;

export interface LocalStepFunctionsOptions {
  /** State machine name → definition JSON text, with `${Name}` placeholders. */
  definitions: Readonly<Record<string, string>>;
  substitutions?: Readonly<Record<string, string>>;
  resources: Partial<TaskResources>;
  store: ExecutionStore;
  /** Multiplies every retry interval and timeout (e.g. 0.001 in tests). Default 1. */
  timeScale?: number;
  /** The time every timestamp and deadline is read from, and the timers that wake executions. Default the system's. */
  clock?: AslClock;
  onEvent?: (executionArn: string, event: HistoryEvent) => void;
  /**
   * Calls (without a task token) that may run again after a crash and answer the same: an
   * idempotent read-decide-record. The call after one need not wait for its result to be
   * committed; a crash takes it again from the last checkpoint. Default: none.
   */
  replaySafe?: (resource: string, parameters: Json) => boolean;
  /** Where failures of the interpreter itself (not of executions) are reported. Default console.error. */
  logError?: (message: string, error: unknown) => void;
}

export interface ExecutionDescription {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  input: Json;
  output?: Json;
  error?: string;
  cause?: string;
  startDate: Date;
  stopDate?: Date;
}

export type ExecutionListItem = Omit<ExecutionDescription, 'input' | 'output' | 'error' | 'cause'>;

export interface LocalStepFunctions {
  startExecution(request: {
    stateMachineName: string;
    name?: string;
    input?: unknown;
  }): Promise<{ executionArn: string; startDate: Date }>;
  describeExecution(executionArn: string): Promise<ExecutionDescription>;
  getExecutionHistory(executionArn: string): Promise<HistoryEvent[]>;
  listExecutions(filter?: {
    status?: ExecutionStatus;
    stateMachineName?: string;
  }): Promise<ExecutionListItem[]>;
  /**
   * The task a RUNNING execution waits on for its token, with the token it waits on now and the
   * parameters it was sent with; undefined when it waits on none. (The service shows the same in
   * the execution's history: the last TaskScheduled event names the token.)
   */
  waitingTask(
    executionArn: string,
  ): Promise<{ stateName: string; token: string; parameters: Json } | undefined>;
  /** `output` is JSON text, like the real API; any other value is taken as the output itself. */
  sendTaskSuccess(taskToken: string, output: unknown): Promise<void>;
  sendTaskFailure(taskToken: string, error?: string, cause?: string): Promise<void>;
  stopExecution(
    executionArn: string,
    reason?: { error?: string; cause?: string },
  ): Promise<{ stopDate: Date }>;
  /** Continues every RUNNING execution of a known state machine from its last checkpoint; returns their ARNs. */
  resumeAll(): Promise<string[]>;
  /** Resolves with the description once the execution has stopped; rejects after `timeoutMs`. */
  waitForExecution(executionArn: string, timeoutMs?: number): Promise<ExecutionDescription>;
  /** Stops all timers and waits for steps in progress, so the process can exit. */
  close(): Promise<void>;
}

/** A durable local stand-in for Step Functions that runs the ASL definitions given to it. */
export function createLocalStepFunctions(options: LocalStepFunctionsOptions): LocalStepFunctions {
  return new LocalStepFunctionsRuntime(options);
}

class LocalStepFunctionsRuntime implements LocalStepFunctions {
  private readonly machines = new Map<string, InterpreterDeps>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly timers = new Map<string, () => void>();
  private readonly stopListeners = new Map<string, Set<() => void>>();
  /**
   * The working copy of each execution as this process last committed it, handed from one step
   * to the next instead of read back from the store. Taken out while a step runs and put back only
   * when everything is committed, so a failed step leaves nothing behind and the next reads the store.
   */
  private readonly committedRuns = new Map<string, ExecutionRun>();
  /** Executions whose kept copy holds a sent message's wait not yet committed, with the timer that commits it. */
  private readonly deferredCommits = new Map<string, NodeJS.Timeout>();
  private readonly logError: (message: string, error: unknown) => void;
  private readonly clock: AslClock;
  private closed = false;

  constructor(private readonly options: LocalStepFunctionsOptions) {
    this.logError = options.logError ?? ((message, error) => console.error(message, error));
    this.clock = options.clock ?? systemAslClock;
    for (const [name, text] of Object.entries(options.definitions)) {
      const machine: StateMachineDefinition = loadDefinition(name, text, options.substitutions ?? {});
      this.machines.set(name, {
        machine,
        stateMachineArn: stateMachineArn(name),
        resources: options.resources,
        store: options.store,
        timeScale: options.timeScale ?? 1,
        clock: this.clock,
        ...(options.replaySafe && { replaySafe: options.replaySafe }),
      });
    }
  }

  async startExecution(request: { stateMachineName: string; name?: string; input?: unknown }) {
    const deps = this.machines.get(request.stateMachineName);
    if (!deps) throw new StateMachineDoesNotExistError(request.stateMachineName);
    const name = request.name ?? randomUUID();
    const arn = executionArn(request.stateMachineName, name);
    const input = toJson(request.input ?? {});
    const startDate = new Date(this.clock.now()).toISOString();
    const meta: ExecutionMeta = {
      executionArn: arn,
      stateMachineName: request.stateMachineName,
      name,
      status: 'RUNNING',
      input,
      startDate,
      version: 0,
      lastEventId: 0,
      cursor: [],
      pendingEvents: [],
      tokenKey: newTokenKey(),
    };
    const run = this.newRun(meta);
    run.emit('ExecutionStarted', { input, resource: deps.stateMachineArn });
    enterFirstState(run, deps, input);
    if (!(await run.create())) {
      const existing = await this.options.store.get(arn);
      if (existing && canonicalJson(existing.input) === canonicalJson(input)) {
        return { executionArn: arn, startDate: new Date(existing.startDate) };
      }
      throw new ExecutionAlreadyExistsError(arn);
    }
    this.keep(run);
    this.drive(arn);
    return { executionArn: arn, startDate: new Date(startDate) };
  }

  async describeExecution(arn: string): Promise<ExecutionDescription> {
    return describe(await this.requireExecution(arn));
  }

  async getExecutionHistory(arn: string): Promise<HistoryEvent[]> {
    await this.requireExecution(arn);
    return this.options.store.events(arn);
  }

  async listExecutions(filter: { status?: ExecutionStatus; stateMachineName?: string } = {}) {
    const metas = await this.options.store.list();
    return metas
      .filter((meta) => !filter.status || meta.status === filter.status)
      .filter((meta) => !filter.stateMachineName || meta.stateMachineName === filter.stateMachineName)
      .sort((a, b) => b.startDate.localeCompare(a.startDate))
      .map((meta): ExecutionListItem => {
        const { input: _input, output: _output, error: _error, cause: _cause, ...item } = describe(meta);
        return item;
      });
  }

  async waitingTask(arn: string) {
    // After a step this process is taking (a send is no longer committed before it is made), and
    // from this process's copy first: it holds a sent message's wait before that is committed.
    const meta = this.locks.has(arn)
      ? await this.withLock(arn, async () => this.committedRuns.get(arn)?.meta ?? this.options.store.get(arn))
      : (this.committedRuns.get(arn)?.meta ?? (await this.options.store.get(arn)));
    const frame = meta?.status === 'RUNNING' ? meta.cursor.at(-1) : undefined;
    const token = frame?.task?.token;
    if (!frame?.task || token === undefined) return undefined;
    return { stateName: frame.stateName, token, parameters: frame.task.parameters };
  }

  async sendTaskSuccess(taskToken: string, output: unknown): Promise<void> {
    const value = parseOutput(output);
    await this.withTokenTask(taskToken, (run, deps) => completeTaskWithToken(run, deps, taskToken, value));
  }

  async sendTaskFailure(taskToken: string, error?: string, cause?: string): Promise<void> {
    await this.withTokenTask(taskToken, (run, deps) => failTaskWithToken(run, deps, taskToken, error, cause));
  }

  async stopExecution(arn: string, reason: { error?: string; cause?: string } = {}) {
    return this.withLock(arn, async () => {
      const run = await this.load(arn);
      if (!run) throw new ExecutionDoesNotExistError(arn);
      const { meta } = run;
      if (meta.status === 'RUNNING') {
        stopExecution(run, reason.error, reason.cause);
        await run.checkpoint();
        this.clearTimer(arn);
      }
      this.keep(run);
      return { stopDate: new Date(meta.stopDate ?? this.clock.now()) };
    });
  }

  async resumeAll(): Promise<string[]> {
    const running = (await this.options.store.list()).filter(
      (meta) => meta.status === 'RUNNING' && this.machines.has(meta.stateMachineName),
    );
    for (const meta of running) this.drive(meta.executionArn);
    return running.map((meta) => meta.executionArn);
  }

  waitForExecution(arn: string, timeoutMs = 60_000): Promise<ExecutionDescription> {
    return new Promise((resolve, reject) => {
      const listeners = this.stopListeners.get(arn) ?? new Set();
      this.stopListeners.set(arn, listeners);
      // Polling too, for executions that another interpreter on the same store advances; not while
      // this process holds the execution (a step under way, or its committed copy kept): its own
      // commits call `check` as the execution stops, and a read now would only add a request.
      const poll = setInterval(() => {
        if (!this.locks.has(arn) && !this.committedRuns.has(arn)) check();
      }, 250);
      const expiry = setTimeout(
        () => finish(() => reject(new Error(`Execution ${arn} did not finish within ${timeoutMs} ms`))),
        timeoutMs,
      );
      const finish = (settle: () => void) => {
        clearInterval(poll);
        clearTimeout(expiry);
        listeners.delete(check);
        settle();
      };
      const check = () => {
        this.describeExecution(arn).then(
          (description) => {
            if (description.status !== 'RUNNING') finish(() => resolve(description));
          },
          (error: unknown) => finish(() => reject(error)),
        );
      };
      listeners.add(check);
      check();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
    await Promise.allSettled([...this.locks.values()]);
    // A wait whose checkpoint was put off is committed now: the next process must not send again.
    for (const arn of [...this.deferredCommits.keys()]) await this.commitKept(arn);
    this.committedRuns.clear();
  }

  // -------------------------------------------------------------------------------------------

  private readonly onCommit: CommitListener = (meta, events) => {
    this.cancelDeferredCommit(meta.executionArn);
    for (const event of events) {
      try {
        this.options.onEvent?.(meta.executionArn, event);
      } catch (error) {
        this.logError('onEvent listener failed', error);
      }
    }
    if (meta.status !== 'RUNNING') {
      for (const listener of this.stopListeners.get(meta.executionArn) ?? []) listener();
    }
  };

  private async requireExecution(arn: string): Promise<ExecutionMeta> {
    const meta = await this.options.store.get(arn);
    if (!meta) throw new ExecutionDoesNotExistError(arn);
    return meta;
  }

  private newRun(meta: ExecutionMeta): ExecutionRun {
    return new ExecutionRun(meta, this.options.store, this.onCommit, this.clock);
  }

  /** The execution's working copy, to advance it: the one this process committed last, else the store's. */
  private async load(arn: string): Promise<ExecutionRun | undefined> {
    const kept = this.committedRuns.get(arn);
    if (kept) {
      this.committedRuns.delete(arn);
      return kept;
    }
    const meta = await this.options.store.get(arn);
    return meta && this.newRun(meta);
  }

  /**
   * Keeps a working copy for the next step, if everything in it is committed (or its commit is put
   * off, see SENT_MESSAGE_COMMIT_DELAY_MS); a stopped one is dropped.
   */
  private keep(run: ExecutionRun, commitPutOff = false): void {
    const { meta } = run;
    if (this.closed || meta.status !== 'RUNNING' || !(run.clean || commitPutOff)) return;
    this.committedRuns.set(meta.executionArn, run);
  }

  /** Commits the kept copy whose checkpoint was put off, if nothing has committed it since. */
  private async commitKept(arn: string): Promise<void> {
    this.cancelDeferredCommit(arn);
    const run = this.committedRuns.get(arn);
    if (!run || run.clean) return;
    // Taken out while it commits: a failure leaves no copy, and the next step reads the store.
    this.committedRuns.delete(arn);
    try {
      await run.checkpoint();
    } catch (error) {
      if (!(error instanceof StaleExecutionError))
        this.logError(
          `Execution ${arn} could not commit its wait; it resumes from its last checkpoint`,
          error,
        );
      return;
    }
    this.committedRuns.set(arn, run);
  }

  private putOffCommit(arn: string): void {
    if (this.deferredCommits.has(arn)) return;
    const timer = setTimeout(() => {
      this.deferredCommits.delete(arn);
      void this.withLock(arn, () => this.commitKept(arn));
    }, SENT_MESSAGE_COMMIT_DELAY_MS);
    // Never what keeps a process alive: exiting before it fires is a crash, which the design bears.
    timer.unref();
    this.deferredCommits.set(arn, timer);
  }

  private cancelDeferredCommit(arn: string): void {
    clearTimeout(this.deferredCommits.get(arn));
    this.deferredCommits.delete(arn);
  }

  /** Runs `action` after every earlier action on the same execution in this process has finished. */
  private withLock<T>(arn: string, action: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(arn) ?? Promise.resolve();
    const result = previous.then(action, action);
    const tail = result.catch(() => undefined);
    this.locks.set(arn, tail);
    void tail.then(() => {
      if (this.locks.get(arn) === tail) this.locks.delete(arn);
    });
    return result;
  }

  private async withTokenTask(
    token: string,
    action: (run: ExecutionRun, deps: InterpreterDeps) => Promise<unknown>,
  ): Promise<void> {
    const arn =
      executionOfTaskToken(token, `${ACCOUNT}:execution:`) ??
      (LEGACY_TOKEN_FORMAT.test(token) ? await this.options.store.legacyTokenExecution?.(token) : undefined);
    if (!arn) throw new InvalidTokenError('Invalid token: malformed or not issued by this interpreter');
    await this.withLock(arn, async () => {
      const run = await this.load(arn);
      if (!run) throw new InvalidTokenError('Invalid token: not issued by this interpreter');
      if (run.meta.status !== 'RUNNING') throw new TaskTimedOutError();
      const deps = this.machines.get(run.meta.stateMachineName);
      if (!deps) throw new StateMachineDoesNotExistError(run.meta.stateMachineName);
      try {
        await action(run, deps);
      } catch (error) {
        // A token the execution no longer waits on changed nothing: the copy goes back as it was,
        // with a wait whose commit is still put off (dropping it would lose the wait's events).
        if (error instanceof TaskTimedOutError) this.keep(run, this.deferredCommits.has(arn));
        throw error;
      }
      await run.checkpoint();
      this.keep(run);
    });
    this.drive(arn);
  }

  /** Advances the execution in the background until it waits or stops. */
  private drive(arn: string): void {
    if (this.closed) return;
    this.withLock(arn, () => this.advance(arn)).catch((error: unknown) => {
      if (error instanceof StaleExecutionError) return;
      this.logError(`Execution ${arn} could not advance; it resumes on the next resumeAll()`, error);
    });
  }

  private async advance(arn: string): Promise<void> {
    this.clearTimer(arn);
    if (this.closed) return;
    const run = await this.load(arn);
    if (run?.meta.status !== 'RUNNING') return;
    const deps = this.machines.get(run.meta.stateMachineName);
    if (!deps) throw new StateMachineDoesNotExistError(run.meta.stateMachineName);
    while (!this.closed) {
      // Steps without a call in between are committed together: before the next call (see
      // runTask), or here when the execution waits or stops.
      const outcome = await step(run, deps);
      if (outcome.kind === 'stopped') {
        await run.checkpoint();
        return;
      }
      if (outcome.kind === 'wait') {
        // Closing: commit now, as close() commits what was put off before it.
        const putOff = !this.closed && waitsForSentMessage(run);
        if (putOff) this.putOffCommit(arn);
        else await run.checkpoint();
        if (outcome.until !== undefined) this.setTimer(arn, outcome.until);
        this.keep(run, putOff);
        return;
      }
      // Lets other executions, timers and API calls in between long runs of steps.
      await yieldToEventLoop();
    }
  }

  private setTimer(arn: string, at: number): void {
    this.clearTimer(arn);
    if (this.closed) return;
    const delay = Math.min(Math.max(0, at - this.clock.now()), MAX_TIMER_MS);
    this.timers.set(
      arn,
      this.clock.setTimer(() => {
        this.timers.delete(arn);
        this.drive(arn);
      }, delay),
    );
  }

  private clearTimer(arn: string): void {
    this.timers.get(arn)?.();
    this.timers.delete(arn);
  }
}

/** The execution just sent a queue message carrying a task token and waits for its answer. */
function waitsForSentMessage(run: ExecutionRun): boolean {
  const task = run.meta.cursor.at(-1)?.task;
  return (
    run.hasUncommittedResult && task?.phase === 'submitted' && task.resource.startsWith(SQS_SEND_MESSAGE)
  );
}

function parseOutput(output: unknown): Json {
  if (typeof output !== 'string') return toJson(output);
  try {
    return JSON.parse(output) as Json;
  } catch {
    throw new InvalidOutputError('The task output is not valid JSON text');
  }
}

function describe(meta: ExecutionMeta): ExecutionDescription {
  return {
    executionArn: meta.executionArn,
    stateMachineArn: stateMachineArn(meta.stateMachineName),
    name: meta.name,
    status: meta.status,
    input: meta.input,
    ...(meta.output !== undefined && { output: meta.output }),
    ...(meta.error !== undefined && { error: meta.error }),
    ...(meta.cause !== undefined && { cause: meta.cause }),
    startDate: new Date(meta.startDate),
    ...(meta.stopDate !== undefined && { stopDate: new Date(meta.stopDate) }),
  };
}
