import type { RunCost } from '../../functions/core/metrics/usage.ts';
import type { MetricsReport, WorkflowMetrics } from '../../functions/core/metrics/workflow-metrics.ts';
import type { ApiClient } from './api-client.ts';
import type { Output } from './commands.ts';
import { EXIT } from './errors.ts';

// What `aios metrics` and `aios cost` do once their options are parsed (metrics-commands.ts declares them).

const usd = (value: number | null) =>
  value === null ? '-' : `$${value < 0.01 ? value.toFixed(6) : value.toFixed(4)}`;
const seconds = (ms: number | null) => (ms === null ? '-' : `${(ms / 1000).toFixed(1)} s`);
const minutes = (value: number | null) => (value === null ? '-' : `${value.toFixed(1)} min`);

function formatWorkflow(w: WorkflowMetrics): string[] {
  const causes = Object.entries(w.failuresByCause)
    .map(([cause, n]) => `${cause} ${n}`)
    .join(', ');
  const o = w.overrides;
  return [
    `${w.workflow} v${w.version}`,
    `  runs ${w.runs}: ${w.succeeded} succeeded, ${w.failed} failed${w.inFlight ? `, ${w.inFlight} in flight` : ''}${causes ? ` (${causes})` : ''}`,
    `  overrides: ${o.rejected} rejected, ${o.edited} edited, ${o.handedOff} handed off, ${o.cancelled} cancelled`,
    `  duration p50 ${seconds(w.durationMs.p50)}, p90 ${seconds(w.durationMs.p90)}; waiting for you ${seconds(w.waitingForOperatorMs)}`,
    `  time saved ${minutes(w.timeSavedMinutes)}${
      w.minutesSavedPerRun === null
        ? ' (the playbook declares no minutesSavedPerRun)'
        : ` (${w.minutesSavedPerRun} min × ${w.succeeded} − ${(w.decisionTime.totalMs / 60_000).toFixed(1)} min deciding, ${w.decisionTime.measured} decision${w.decisionTime.measured === 1 ? '' : 's'} measured)`
    }`,
    `  cost ${usd(w.cost.totalUsd)} (model ${usd(w.cost.modelUsd)}, AWS est. ${usd(w.cost.awsUsd)}); per run ${usd(w.cost.perRunUsd)}, per succeeded run ${usd(w.cost.perSucceededUsd)}`,
  ];
}

export function formatMetrics(report: MetricsReport & { truncated?: boolean }): string {
  const head = `Metrics from ${report.since} to ${report.until} (AWS prices as of ${report.pricesAsOf})${
    report.truncated ? '; only the newest runs of a very full window are counted' : ''
  }`;
  if (report.workflows.length === 0) return `${head}\nNo runs in this window.`;
  return [head, ...report.workflows.flatMap(formatWorkflow)].join('\n');
}

export function formatCost(cost: RunCost & { pricesAsOf?: string }): string {
  const u = cost.usage;
  return [
    `Run ${cost.runId}: ${usd(cost.totalUsd)}`,
    `  model   ${usd(cost.modelUsd)} over ${cost.modelCalls} call${cost.modelCalls === 1 ? '' : 's'} (from the journal)`,
    `  AWS est. ${usd(cost.awsUsd)}: ${u.stateTransitions} state transitions, ${u.lambdaInvocations} Lambda invocations (${u.lambdaGbSeconds.toFixed(3)} GB-s), ${u.sqsRequests} SQS requests, ${u.dynamoDbWriteUnits} DynamoDB write units`,
    ...(cost.pricesAsOf ? [`  prices as of ${cost.pricesAsOf}`] : []),
  ].join('\n');
}

export async function metricsCommand(
  api: ApiClient,
  output: Output,
  options: { workflow?: string; since: string; json: boolean },
): Promise<number> {
  const query = new URLSearchParams({
    since: options.since,
    ...(options.workflow ? { workflow: options.workflow } : {}),
  });
  const report = await api.request<MetricsReport & { truncated?: boolean }>('GET', `/metrics?${query}`);
  output.out(options.json ? JSON.stringify(report, null, 2) : formatMetrics(report));
  return EXIT.ok;
}

export async function costCommand(
  api: ApiClient,
  output: Output,
  runId: string,
  options: { json: boolean },
): Promise<number> {
  const cost = await api.request<RunCost & { pricesAsOf: string }>(
    'GET',
    `/runs/${encodeURIComponent(runId)}/cost`,
  );
  output.out(options.json ? JSON.stringify(cost, null, 2) : formatCost(cost));
  return EXIT.ok;
}
