import type { HandoffService } from '../../functions/core/agents/handoff-service.ts';
import type { Approval } from '../../functions/core/approvals/approval.ts';
import type { ApprovalService } from '../../functions/core/approvals/service.ts';
import type { ConnectorCatalogue } from '../../functions/core/connector.ts';
import type { GatewayLimits } from '../../functions/core/gateway.ts';
import type {
  ModelPort,
  Orchestrator,
  OrchestratorCallbacks,
  StateStore,
  WorkflowCatalog,
} from '../../functions/core/ports.ts';
import type { OperatorPolicy } from '../../functions/core/schemas.ts';
import type { AslClock } from './asl/clock.ts';
import type { HistoryEvent, LocalStepFunctions } from './asl/index.ts';
import type { EmbeddedDynamoDB } from './embedded-dynamodb.ts';
import type { LocalMemory } from './memory.ts';
import type { LocalQueue } from './queue/index.ts';
import type { LocalScheduler } from './scheduler/local-scheduler.ts';

// The local runtime's contract: what it is started with and what it gives back (runtime.ts starts it).

export const ACTION_QUEUE = 'aios-actions';
export const ACTION_DLQ = 'aios-actions-dlq';
export const ACCOUNT = '000000000000';

/** The same names the CDK stack substitutes, pointing at the in-process stand-ins. */
export const LOCAL_SUBSTITUTIONS = {
  PlannerFunctionArn: `arn:aws:lambda:local:${ACCOUNT}:function:aios-planner`,
  ExecutorFunctionArn: `arn:aws:lambda:local:${ACCOUNT}:function:aios-executor`,
  MonitorFunctionArn: `arn:aws:lambda:local:${ACCOUNT}:function:aios-monitor`,
  RunRecorderFunctionArn: `arn:aws:lambda:local:${ACCOUNT}:function:aios-run-recorder`,
  ActionQueueUrl: `http://127.0.0.1/${ACCOUNT}/${ACTION_QUEUE}`,
  ApprovalFunctionArn: `arn:aws:lambda:local:${ACCOUNT}:function:aios-approvals`,
} as const;

export interface LocalRuntimeOptions {
  /** Where everything is kept; omit for an in-memory runtime (tests). */
  dataDir?: string;
  /** HTTP port; 0 picks a free one. */
  port: number;
  model?: ModelPort;
  catalog?: WorkflowCatalog;
  /** Multiplies every wait of the orchestrator (retry backoff, timeouts); tests make it small. */
  timeScale?: number;
  /**
   * How long a gateway message stays invisible while handled; a crashed attempt reappears after it.
   * The gateway's function timeout (and so every connector call's deadline) is a sixth of it.
   */
  visibilityTimeoutSeconds?: number;
  maxReceiveCount?: number;
  pollIntervalMs?: number;
  /** Extra wiring for tests: wrap a connector-facing fetch, observe orchestrator events. */
  fetchImpl?: typeof fetch;
  onExecutionEvent?: (executionArn: string, event: HistoryEvent) => void;
  onWorkerError?: (error: Error) => void;
  operatorPolicy?: OperatorPolicy;
  /** Rate limits and breakers per action type; the connector descriptors by default. */
  limitsOf?: (actionType: string) => GatewayLimits | undefined;
  /** How often the approval escalation job runs (default every 30 s). */
  escalationIntervalMs?: number;
  /** Called with each magic link sent, so `aios dev` can print it. */
  onApprovalLink?: (approval: Approval, email: string, link: string) => void;
  /** Fault injection for the crash tests: wraps how the gateway answers the orchestrator. */
  decorateCallbacks?: (callbacks: OrchestratorCallbacks) => OrchestratorCallbacks;
  /** Fault injection for the tests: wraps how the API starts a run's execution. */
  decorateOrchestrator?: (orchestrator: Orchestrator) => Orchestrator;
  /** Model steps: calls per tier before the other tier, and the first backoff (tests make it small). */
  modelRetry?: { attempts: number; baseDelayMs: number };
  /** The schedules' clock: when fires are due and when the scheduler wakes (tests drive it). */
  schedulerClock?: AslClock;
  /** Where a failed run and a handoff are told (once each): a Slack outbox channel, else emails (default Slack #aios-alerts). */
  operatorAlerts?: { slackChannel: string } | { email: readonly string[] };
  /** Proxies in front of the server whose X-Forwarded-For the console's login slow-down believes (default 0). */
  trustedProxies?: number;
}

export interface LocalRuntime {
  readonly url: string;
  readonly apiToken: string;
  readonly store: StateStore;
  readonly stepFunctions: LocalStepFunctions;
  readonly queue: LocalQueue;
  readonly db: EmbeddedDynamoDB;
  /** The gateway's connector catalogue. */
  readonly connectors: ConnectorCatalogue;
  readonly approvals: ApprovalService;
  /** Model steps handed to the operator: list them, complete them. */
  readonly handoffs: HandoffService;
  /** What the local Slack app signs interactions with (.aios/slack-signing-secret). */
  readonly slackSigningSecret: string;
  /** Every route the HTTP server serves, from the route table (the fuzz test reads these, so a new route is fuzzed too). */
  readonly routes: readonly { method: string; path: string; public: boolean }[];
  /** The local scheduler: a test drives a pass after moving its clock. */
  readonly schedules: LocalScheduler;
  /** One pass of the approval escalation job, now. */
  escalate(): ReturnType<ApprovalService['escalate']>;
  /** Memory: its log, index, indexer tailer and services. */
  readonly memory: LocalMemory;
  executionArnFor(runId: string): string;
  close(): Promise<void>;
}
