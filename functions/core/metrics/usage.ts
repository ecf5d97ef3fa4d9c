import type { Approval } from '../approvals/approval.ts';
import type { ExecutionEvent } from '../ports.ts';
import type { AuditEntry, Intent, JournalEntry, Run } from '../schemas.ts';
import { AWS_PRICES, USAGE_ASSUMPTIONS } from './prices.ts';

/** Everything a run recorded, as the metrics read it: no second source of truth. */
export interface RunRecord {
  run: Run;
  journal: readonly JournalEntry[];
  audit: readonly AuditEntry[];
  intents: readonly Intent[];
  /** The approvals of the run's steps, decided or not. */
  approvals: readonly Approval[];
  history: readonly ExecutionEvent[];
}

/** The AWS usage a run recorded, or that follows from what it recorded. */
export interface AwsUsage {
  stateTransitions: number;
  lambdaInvocations: number;
  lambdaGbSeconds: number;
  sqsRequests: number;
  dynamoDbWriteUnits: number;
}

export interface RunCost {
  runId: string;
  modelUsd: number;
  modelCalls: number;
  usage: AwsUsage;
  awsUsd: number;
  totalUsd: number;
}

const KIB = 1024;
const writeUnits = (item: unknown) => Math.max(1, Math.ceil(Buffer.byteLength(JSON.stringify(item)) / KIB));
const numberOr = (value: unknown, fallback: number) =>
  typeof value === 'number' && Number.isFinite(value) ? value : fallback;

/**
 * The run's usage, estimated from its records: every `*StateEntered` is a billed transition; every
 * task the orchestrator started and every gateway attempt is a Lambda invocation, timed by the
 * model call or the audit line that measured it, else by the typical warm invocation; each write
 * to the state table (run, intents, journal, audit, approvals) counts its 1 KiB units.
 */
export function awsUsageOf(record: RunRecord): AwsUsage {
  const stateTransitions = record.history.filter((e) => e.type.endsWith('StateEntered')).length;
  const agentInvocations = record.history.filter((e) => e.type === 'TaskStarted').length;
  const gatewayAttempts = record.intents.reduce((sum, i) => sum + i.attempts, 0);
  const modelMs = record.journal
    .filter((e) => e.kind === 'model')
    .reduce((sum, e) => sum + numberOr(e.data?.durationMs, 0), 0);
  const measuredModelCalls = record.journal.filter((e) => e.kind === 'model').length;
  const gatewayMs = record.audit.reduce((sum, e) => sum + numberOr(e.durationMs, 0), 0);
  const measuredGateway = record.audit.filter((e) => e.durationMs !== undefined).length;
  const lambdaInvocations = agentInvocations + gatewayAttempts;
  const unmeasured = Math.max(0, lambdaInvocations - measuredModelCalls - measuredGateway);
  const lambdaMs = modelMs + gatewayMs + unmeasured * USAGE_ASSUMPTIONS.unmeasuredInvocationMs;
  // A run is written when queued, started and finished; an intent when recorded and settled.
  const dynamoDbWriteUnits =
    3 * writeUnits(record.run) +
    record.intents.reduce((sum, i) => sum + 2 * writeUnits(i), 0) +
    record.journal.reduce((sum, e) => sum + writeUnits(e), 0) +
    record.audit.reduce((sum, e) => sum + writeUnits(e), 0) +
    record.approvals.reduce((sum, a) => sum + (1 + a.history.length) * writeUnits(a), 0);
  return {
    stateTransitions,
    lambdaInvocations,
    lambdaGbSeconds: (lambdaMs / 1000) * USAGE_ASSUMPTIONS.lambdaMemoryGb,
    sqsRequests: gatewayAttempts * USAGE_ASSUMPTIONS.sqsRequestsPerAttempt,
    dynamoDbWriteUnits,
  };
}

export function awsUsd(usage: AwsUsage): number {
  return (
    usage.stateTransitions * AWS_PRICES.stepFunctionsPerTransition +
    usage.lambdaInvocations * AWS_PRICES.lambdaPerRequest +
    usage.lambdaGbSeconds * AWS_PRICES.lambdaPerGbSecond +
    usage.sqsRequests * AWS_PRICES.sqsPerRequest +
    usage.dynamoDbWriteUnits * AWS_PRICES.dynamoDbPerWriteUnit
  );
}

/** Model spend is what the journal says each call cost; the run's own counter is the budget's, not the bill's. */
export function runCost(record: RunRecord): RunCost {
  const models = record.journal.filter((e) => e.kind === 'model');
  const modelUsd = models.reduce((sum, e) => sum + numberOr(e.data?.costUsd, 0), 0);
  const usage = awsUsageOf(record);
  const aws = awsUsd(usage);
  return {
    runId: record.run.runId,
    modelUsd,
    modelCalls: models.length,
    usage,
    awsUsd: aws,
    totalUsd: modelUsd + aws,
  };
}
