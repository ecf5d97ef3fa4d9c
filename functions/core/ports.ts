// Every port of aios in one place: this file holds the central ones and re-exports the rest
// (functions/core/ports/*.ts), so a newcomer finds what the domain needs of the world here.
import type { Handoff } from './agents/handoff.ts';
import type {
  ActionMessage,
  AuditEntry,
  Entity,
  Intent,
  IntentStatus,
  JournalEntry,
  OperatorPolicy,
  Plan,
  Run,
  RunStatus,
  Workflow,
} from './schemas.ts';

/** Canonical state: runs, plans, intents, the run journal and business entities. */
export interface StateStore {
  /** Fails with ConflictError if the run exists. */
  createRun(run: Run): Promise<void>;
  getRun(runId: string): Promise<Run | undefined>;
  /** `getIntent` and `getRun` read together, each as fresh as alone (one request on DynamoDB). */
  getIntentWithRun(runId: string, stepIndex: number): Promise<{ intent?: Intent; run?: Run }>;
  /**
   * `getIntentWithRun` and the circuit breaker of `breakerKey` as stored, read together, each as
   * fresh as alone (one request on DynamoDB, where the breakers' items are in the state table). The
   * gateway hands `breaker` to `CircuitBreaker.allow`, which then decides without reading it again;
   * a store that does not hold the breakers leaves it out.
   */
  getIntentWithRunAndBreaker(
    runId: string,
    stepIndex: number,
    breakerKey: string,
  ): Promise<{ intent?: Intent; run?: Run; breaker?: BreakerReading }>;
  /** Conditional: applies only while the run is in one of `from`; otherwise ConflictError. */
  updateRun(runId: string, from: readonly RunStatus[], patch: Partial<Omit<Run, 'runId'>>): Promise<Run>;
  /**
   * Newest first; `createdBefore` (ISO time) keeps only runs created strictly before it,
   * `createdSince` only those created at or after it.
   */
  listRuns(query?: {
    status?: RunStatus;
    limit?: number;
    createdBefore?: string;
    createdSince?: string;
  }): Promise<Run[]>;
  /** Writes the plan once; a second write of a plan for the same run returns the first. */
  savePlan(plan: Plan): Promise<Plan>;
  getPlan(runId: string): Promise<Plan | undefined>;
  /** Writes the intent once; a second call returns the intent already recorded. */
  recordIntent(intent: Intent): Promise<Intent>;
  /**
   * Writes a new intent and its log entries in one commit (one transaction on DynamoDB), so none
   * is there without the others. When the intent exists already nothing is written, and the stored
   * intent comes back with `created: false`: its entries are the caller's to append (by id).
   */
  recordIntentWithLogs(intent: Intent, logs: StepLogs): Promise<{ intent: Intent; created: boolean }>;
  getIntent(runId: string, stepIndex: number): Promise<Intent | undefined>;
  /**
   * Conditional on the intent's status being one of `from` (and, with `leaseOwner`, on that
   * attempt still holding the claim); otherwise ConflictError.
   */
  updateIntent(
    runId: string,
    stepIndex: number,
    from: readonly IntentStatus[],
    /** `action` changes only when an approver edits the parameters before approving. */
    patch: Partial<Omit<Intent, 'runId' | 'stepIndex' | 'idempotencyKey'>>,
    condition?: { leaseOwner?: string },
  ): Promise<Intent>;
  /**
   * One gateway attempt's claim on an intent, in one conditional write: the intent is RECORDED,
   * or EXECUTING with a lease that ended before `claim.now` (or none, or `claim.supersedes`), and still at
   * `claim.attempts`, so two attempts that read the same intent cannot both win. It becomes
   * EXECUTING, attempts + 1, leased to `claim.owner` until `claim.leaseExpiresAt`; otherwise ConflictError.
   */
  claimIntent(runId: string, stepIndex: number, claim: IntentClaim): Promise<Intent>;
  /**
   * `updateIntent` and the log entries of that change in one commit: on a ConflictError neither
   * is written.
   */
  updateIntentWithLogs(
    runId: string,
    stepIndex: number,
    from: readonly IntentStatus[],
    patch: Partial<Omit<Intent, 'runId' | 'stepIndex' | 'idempotencyKey'>>,
    condition: { leaseOwner?: string },
    logs: StepLogs,
  ): Promise<void>;
  listIntents(runId: string): Promise<Intent[]>;
  /** Append-only; with an `id`, the entry (same id, same time) is written once however often appended. */
  appendJournal(entry: JournalEntry, options?: { id?: string }): Promise<void>;
  listJournal(runId: string): Promise<JournalEntry[]>;
  /**
   * Append-only, never overwritten: every attempt at an action, allowed or not, executed or not.
   * With an `id`, the entry (same id, same time) is written once however often appended.
   */
  appendAudit(entry: AuditEntry, options?: { id?: string }): Promise<void>;
  listAudit(runId: string): Promise<AuditEntry[]>;
  getEntity(type: string, id: string): Promise<Entity | undefined>;
  /** One version from the entity's history (every version is kept). */
  getEntityVersion(type: string, id: string, version: number): Promise<Entity | undefined>;
  /** The newest version written at or before `at` (ISO time): the entity as it was then (replay's snapshot). */
  getEntityAsOf(type: string, id: string, at: string): Promise<Entity | undefined>;
  /** Writes version `expectedVersion + 1` (or 1 when absent); ConflictError if another write won. */
  putEntity(
    entity: Omit<Entity, 'version' | 'updatedAt'>,
    expectedVersion: number | undefined,
    now: Date,
  ): Promise<Entity>;
}

/**
 * A journal and an audit entry written together with an intent: each append-only and never
 * overwritten, and with an `id` written once (as `appendJournal` and `appendAudit` write them).
 */
export interface StepLogs {
  journal: { entry: JournalEntry; id?: string };
  audit: { entry: AuditEntry; id?: string };
}

/** What `StateStore.claimIntent` needs; the times are ISO 8601 in UTC, so they compare as strings. */
export interface IntentClaim {
  owner: string;
  leaseExpiresAt: string;
  now: string;
  /** The attempts count the claimant read. */
  attempts: number;
  /** A lease the claim may take over before it lapses: its holder is known to have ended. */
  supersedes?: string;
}

/** The gateway's inbound queue. */
export interface ActionQueue {
  send(message: ActionMessage): Promise<void>;
}

/**
 * What became of an answer to a paused task: delivered, or the token was already closed (the task
 * timed out, was answered before, or is gone). Which orchestrator errors mean "closed" is the
 * adapter's knowledge: it reports them here instead of throwing.
 */
export type TaskAnswer = { outcome: 'answered' } | { outcome: 'closed'; error: string; reason: string };

export const ANSWERED: TaskAnswer = { outcome: 'answered' };

/** How the gateway, approvals and handoffs answer a paused orchestrator task. */
export interface OrchestratorCallbacks {
  taskSucceeded(taskToken: string, output: unknown): Promise<TaskAnswer>;
  taskFailed(taskToken: string, error: string, cause: string): Promise<TaskAnswer>;
}

/** One transition of a run's execution, as the orchestrator recorded it. */
export interface ExecutionEvent {
  id: number;
  timestamp: string;
  type: string;
  stateName?: string;
  error?: string;
  cause?: string;
}

/** Where a run's execution stands (Step Functions' execution statuses). */
export interface ExecutionState {
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';
  error?: string;
  cause?: string;
}

/**
 * Starts a run's orchestrator executions, stops them and reads back their history. An execution is
 * named after its run (`run-control/executions.ts`): the first has the run id, a retry's adds `_retryN`.
 */
export interface Orchestrator {
  /** Starts the run's execution (input `{runId}`) under that name: a second start of the same name is a no-op. */
  startRun(runId: string, executionName?: string): Promise<void>;
  /** Stops the execution (StopExecution); one already ended or never started is left as it is. */
  stopRun(executionName: string, reason: { error: string; cause: string }): Promise<void>;
  /** The execution as it stands; undefined when it does not exist. */
  execution(executionName: string): Promise<ExecutionState | undefined>;
  /** The execution's events in order; empty when the execution does not exist (yet). */
  history(executionName: string): Promise<ExecutionEvent[]>;
}

export type ModelTier = 'fast' | 'slow';

export interface ModelRequest {
  tier: ModelTier;
  system: string;
  prompt: string;
  maxTokens: number;
}

export interface ModelResponse {
  text: string;
  modelId: string;
  inputTokens: number;
  outputTokens: number;
}

export interface ModelPort {
  converse(request: ModelRequest): Promise<ModelResponse>;
  /** Cost in USD of a call with these token counts on this model. */
  priceUsd(modelId: string, inputTokens: number, outputTokens: number): number;
  /** The model a tier maps to, so a budget can be reserved before the call. */
  modelFor(tier: ModelTier): string;
}

export interface Clock {
  now(): Date;
}

/**
 * Where the workflows (playbooks) are read: the registry on both runtimes, a fixed list in tests.
 * Without a version it is the newest (what a new run starts on); a run in flight asks for the
 * version it was pinned to at its start, so a later push never changes it.
 */
export interface WorkflowCatalog {
  workflow(name: string, version?: number): Promise<Workflow | undefined>;
  /** The newest version of each. */
  workflows(): Promise<Workflow[]>;
  /**
   * The newest operator policy's version, which a new run is pinned to (`policyVersion`) as it is
   * to its workflow's; undefined where policies are not versioned (a fixed catalogue).
   */
  policyVersion?(): Promise<number | undefined>;
}

/**
 * The schedule that starts a playbook's runs, kept what the playbook's newest version says: created,
 * updated or deleted at push time (EventBridge Scheduler on AWS, the local scheduler locally).
 */
export interface PlaybookSchedules {
  sync(workflow: Workflow): Promise<'created' | 'updated' | 'deleted' | 'none'>;
}

export interface RateLimit {
  /** Tokens added to the bucket per second. */
  ratePerSecond: number;
  /** Bucket size: how many calls may go at once after a quiet spell. */
  burst: number;
}

/** A token bucket per key (a connector), shared by every concurrent gateway. */
export interface RateLimiter {
  /** Takes one token if there is one; otherwise says how long until there will be. */
  tryAcquire(key: string, limit: RateLimit, now: Date): Promise<{ granted: boolean; retryAfterMs: number }>;
}

export interface BreakerPolicy {
  /** Failures within `windowSeconds` that open the breaker. */
  failureThreshold: number;
  windowSeconds: number;
  /** How long it stays open before one probe is let through (half-open). */
  openSeconds: number;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerStatus {
  key: string;
  state: BreakerState;
  failures: number;
  openedAt?: string;
  /** When an open breaker lets its probe through. */
  retryAt?: string;
}

/**
 * A breaker's item as a read joined with another found it (`StateStore.getIntentWithRunAndBreaker`).
 * What the item holds is the breaker adapter's business; `store` and `key` say where it was read,
 * and a breaker uses only a reading of its own store and key.
 */
export interface BreakerReading {
  store: string;
  key: string;
  /** The stored item; undefined when there is none (a breaker that never opened). */
  item: Record<string, unknown> | undefined;
}

/** A circuit breaker per key (a connector), shared by every concurrent gateway. */
export interface CircuitBreaker {
  /**
   * May a call go now? Closed: yes. Open: no, until `openSeconds` have passed. Then exactly one
   * caller gets the half-open probe (a conditional write decides who); the others wait. With
   * `seen` (read just before, with the intent) the decision starts from it instead of a read; a
   * lost write reads again as always.
   */
  allow(
    key: string,
    policy: BreakerPolicy,
    now: Date,
    seen?: BreakerReading,
  ): Promise<{ allowed: boolean; state: BreakerState; retryAfterMs: number }>;
  /** A success closes a half-open breaker and clears the failures. */
  recordSuccess(key: string, now: Date): Promise<void>;
  /** A failure counts towards opening; a failed probe opens it again. */
  recordFailure(key: string, policy: BreakerPolicy, now: Date): Promise<void>;
  status(key: string, now: Date): Promise<BreakerStatus>;
}

/** A message the gateway gave up on after its receives ran out. */
export interface DeadLetter {
  messageId: string;
  /** How many times it was received before it was dead-lettered. */
  receiveCount: number;
  sentAt: string;
  runId?: string;
  stepIndex?: number;
  actionType?: string;
  /** The body, without the task token and grant (they are credentials). */
  summary: string;
}

/** The gateway's dead-letter queue: look at what is there, send it back. */
export interface DeadLetters {
  list(limit: number): Promise<DeadLetter[]>;
  /** Moves every dead letter back to the action queue; says how many, or the move task started. */
  redrive(): Promise<{ moved?: number; taskHandle?: string }>;
}

/**
 * Handoff inbox items; the task token is kept beside the record and never leaves the server.
 * `complete` is the one conditional write: the first completion wins.
 */
export interface HandoffStore {
  /** Writes the item once; a second create keeps the record and takes the newer task token. */
  create(handoff: Handoff, taskToken: string): Promise<Handoff>;
  get(handoffId: string): Promise<Handoff | undefined>;
  taskToken(handoffId: string): Promise<string | undefined>;
  /** PENDING → COMPLETED with the operator's output; ConflictError when it is no longer PENDING. */
  complete(handoffId: string, completion: NonNullable<Handoff['completion']>): Promise<Handoff>;
  /** PENDING → WITHDRAWN (its run was cancelled): it leaves the inbox; ConflictError when no longer PENDING. */
  withdraw(handoffId: string, at: string): Promise<Handoff>;
  /** The run has its answer on `taskToken`; it leaves the unanswered list. */
  markAnswered(handoffId: string, at: string): Promise<void>;
  listPending(): Promise<Handoff[]>;
  /** Completed, the run not yet told (a crash fell between the two). */
  listUnanswered(): Promise<Handoff[]>;
}

// The playbook registry's store (core/playbooks/registry.ts): versions never change once written.

/** One stored version of a playbook. */
export interface PlaybookVersion {
  workflow: Workflow;
  pushedAt: string;
  /** Who pushed it (the API caller, or `seed` for the shipped playbooks). */
  pushedBy: string;
}

/** One stored version of the operator policy. */
export interface PolicyVersion {
  version: number;
  policy: OperatorPolicy;
  pushedAt: string;
  /** Who pushed it (the API caller, or `seed` for the shipped policy). */
  pushedBy: string;
  /** Why, as the operator said when pushing: the policy's history is its own audit trail. */
  reason?: string;
}

/** Where the registry keeps its versions (a DynamoDB adapter on both runtimes; an in-memory double in tests). */
export interface PlaybookStore {
  /** Writes the version only if it is not there yet; ConflictError if it is. */
  putPlaybook(version: PlaybookVersion): Promise<void>;
  getPlaybook(name: string, version: number): Promise<PlaybookVersion | undefined>;
  /** The newest version of each playbook, by name. */
  latestPlaybooks(): Promise<PlaybookVersion[]>;
  /** Every version of one playbook, oldest first. */
  playbookVersions(name: string): Promise<PlaybookVersion[]>;
  /** Writes the policy version only if it is not there yet; ConflictError if it is. */
  putPolicy(version: PolicyVersion): Promise<void>;
  getPolicy(version: number): Promise<PolicyVersion | undefined>;
  latestPolicy(): Promise<PolicyVersion | undefined>;
}

export type * from './ports/alerts.ts';
export type * from './ports/approvals.ts';
export type * from './ports/credentials.ts';
export type * from './ports/email-transport.ts';
export * from './ports/memory.ts';
export type * from './ports/run-start-claims.ts';
export type * from './ports/slack-transport.ts';
export * from './ports/triggers.ts';
