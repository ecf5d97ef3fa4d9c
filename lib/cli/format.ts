import type { DeadLetter, ExecutionEvent } from '../../functions/core/ports.ts';
import type { RunDetails } from '../../functions/core/runs-service.ts';
import type { AuditEntry, JournalEntry, Run } from '../../functions/core/schemas.ts';

const pad = (text: string, width: number) =>
  text.length >= width ? text : text + ' '.repeat(width - text.length);

export function formatRunsTable(runs: readonly Run[]): string {
  if (runs.length === 0)
    return 'No runs yet. Start one with: npx aios run onboarding --input playbooks/examples/new-customer.json';
  const rows = [
    ['RUN', 'WORKFLOW', 'STATUS', 'MODE', 'CREATED'],
    ...runs.map((r) => [r.runId, `${r.workflow} v${r.workflowVersion}`, r.status, r.mode, r.createdAt]),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => row[i]?.length ?? 0))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, i) => pad(cell, widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function formatJournalLine(entry: JournalEntry): string {
  return `  ${entry.at.slice(11, 23)}  ${pad(entry.kind, 8)} ${entry.message}`;
}

const duration = (from?: string, to?: string) =>
  from && to ? `${Math.max(0, new Date(to).getTime() - new Date(from).getTime())} ms` : '-';

export function formatRunDetails(details: RunDetails): string {
  const { run, plan, intents } = details;
  const lines = [
    `Run ${run.runId}`,
    `  workflow  ${run.workflow} v${run.workflowVersion} (${run.mode})`,
    `  status    ${run.status}`,
    `  created   ${run.createdAt}${run.finishedAt ? `, finished ${run.finishedAt} (${duration(run.createdAt, run.finishedAt)})` : ''}`,
    `  budget    $${run.spentUsd.toFixed(4)} of $${run.budget.maxUsd} spent, ${run.modelCalls} of ${run.budget.maxModelCalls} model calls`,
    `  input     ${JSON.stringify(run.input)}`,
  ];
  if (run.summary) lines.push(`  summary   ${run.summary}`);
  if (run.failure) lines.push(`  failure   ${run.failure.account}`);
  lines.push('', plan ? `Plan (${plan.steps.length} steps, by ${plan.modelId})` : 'Plan: none yet');
  plan?.steps.forEach((step, index) => {
    const intent = intents.find((i) => i.stepIndex === index);
    lines.push(`  ${index + 1}. ${step.title} [${step.id}]`);
    lines.push(`     action    ${step.action.type} ${JSON.stringify(step.action.params)}`);
    if (!intent) {
      lines.push('     intent    not recorded yet');
      return;
    }
    lines.push(
      `     intent    ${intent.status}, key ${intent.idempotencyKey}, ${intent.decision ?? '-'}: ${intent.reason ?? '-'}`,
    );
    if (intent.result) lines.push(`     result    ${JSON.stringify(intent.result.output)}`);
    if (intent.error) lines.push(`     error     ${intent.error}`);
    lines.push(
      `     timing    recorded ${intent.recordedAt}, ${intent.attempts} attempt(s), took ${duration(intent.startedAt, intent.finishedAt)}`,
    );
  });
  return lines.join('\n');
}

/** One line per orchestrator transition, as Step Functions' console lists them. */
export function formatHistory(runId: string, events: readonly ExecutionEvent[]): string {
  if (events.length === 0) return `Run ${runId} has no execution history yet.`;
  const typeWidth = Math.max(...events.map((e) => e.type.length));
  const lines = events.map((e) => {
    const problem = e.error ? `  ${e.error}${e.cause ? `: ${e.cause.slice(0, 160)}` : ''}` : '';
    return `${String(e.id).padStart(4)}  ${e.timestamp.slice(11, 23)}  ${pad(e.type, typeWidth)}  ${e.stateName ?? ''}${problem}`.trimEnd();
  });
  return [`Execution history of ${runId} (${events.length} events)`, ...lines].join('\n');
}

/** The audit log: who asked for what, what the policy said, and what became of it. */
export function formatAudit(runId: string, entries: readonly AuditEntry[]): string {
  if (entries.length === 0) return `Run ${runId} has no audit entries yet.`;
  const outcomeWidth = Math.max(...entries.map((e) => e.outcome.length));
  const lines = entries.map((e) => {
    const who = `${e.agent}${e.grantId ? `/${e.grantId}` : ''}`;
    const took = e.durationMs === undefined ? '' : ` ${e.durationMs} ms`;
    // A workflow's mode changes have no step: the day matters more than the step number there.
    const where =
      e.actionType === 'workflow.mode' ? e.at.slice(0, 10) : `step ${String(e.stepIndex + 1).padStart(2)}`;
    return `  ${e.at.slice(11, 23)}  ${where}  ${pad(e.outcome, outcomeWidth)}  ${e.actionType}  by ${who}${took}: ${e.reason}`;
  });
  const modeChanges = entries.every((e) => e.actionType === 'workflow.mode');
  return [
    modeChanges
      ? `Mode changes of workflow ${runId.replace(/^workflow-/, '')} (${entries.length} entries)`
      : `Audit log of ${runId} (${entries.length} entries)`,
    ...lines,
  ].join('\n');
}

export function formatDeadLetters(messages: readonly DeadLetter[]): string {
  if (messages.length === 0) return 'The dead-letter queue is empty.';
  const lines = messages.map(
    (m) =>
      `  ${m.messageId}  received ${m.receiveCount}x, sent ${m.sentAt}  ${m.runId ? `run ${m.runId} step ${(m.stepIndex ?? 0) + 1} ${m.actionType ?? ''}` : m.summary}`,
  );
  return [
    `${messages.length} message${messages.length === 1 ? '' : 's'} in the dead-letter queue`,
    ...lines,
    '',
    'Send them back with: npx aios dlq redrive',
  ].join('\n');
}
