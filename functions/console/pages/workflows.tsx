/** @jsxImportSource hono/jsx */
import type { WorkflowMetrics } from '../../core/metrics/workflow-metrics.ts';
import type { Workflow } from '../../core/schemas.ts';
import { type DayPoint, RunsAndCostChart } from './chart.tsx';
import { duration, usd } from './format.ts';
import { ActionForm, href, Layout } from './layout.tsx';

export interface WorkflowsPageProps {
  csrf: string;
  workflows: readonly Workflow[];
  metrics: readonly WorkflowMetrics[];
  /** Per workflow name: runs and cost per day over the window. */
  series: Readonly<Record<string, readonly DayPoint[]>>;
  window: string;
}

function Figures({ m }: { m: WorkflowMetrics }) {
  const causes = Object.entries(m.failuresByCause)
    .map(([cause, n]) => `${cause} ${n}`)
    .join(', ');
  return (
    <dl>
      <dt>{`Version ${m.version}: runs`}</dt>
      <dd>{`${m.runs}: ${m.succeeded} succeeded, ${m.failed} failed${causes ? ` (${causes})` : ''}`}</dd>
      <dt>Human overrides</dt>
      <dd>{`${m.overrides.rejected} rejected, ${m.overrides.edited} edited, ${m.overrides.handedOff} handed off, ${m.overrides.cancelled} cancelled`}</dd>
      <dt>Duration</dt>
      <dd>{`p50 ${duration(m.durationMs.p50)}, p90 ${duration(m.durationMs.p90)}; waiting for you ${duration(m.waitingForOperatorMs)}`}</dd>
      <dt>Time saved</dt>
      <dd>
        {m.timeSavedMinutes === null
          ? 'no estimate (set minutesSavedPerRun in the playbook)'
          : `${m.timeSavedMinutes.toFixed(1)} min`}
      </dd>
      <dt>Cost</dt>
      <dd>{`${usd(m.cost.totalUsd)} in all; ${usd(m.cost.perRunUsd)} per run, ${usd(m.cost.perSucceededUsd)} per succeeded run`}</dd>
    </dl>
  );
}

/** Each workflow: its mode, schedule and budget, its numbers over the window, a chart, and a start button. */
export function WorkflowsPage({ csrf, workflows, metrics, series, window }: WorkflowsPageProps) {
  return (
    <Layout title="Workflows" csrf={csrf}>
      <p class="muted">{`Numbers over the last ${window}.`}</p>
      {workflows.map((w) => (
        <section class="card" aria-labelledby={`w-${w.name}`}>
          <h2 id={`w-${w.name}`}>{`${w.name} v${w.version}`}</h2>
          <p>{w.description}</p>
          <p class="muted">
            {`mode ${w.mode} · ${w.trigger.type === 'schedule' ? `schedule ${w.trigger.expression}` : 'started by hand'} · budget $${w.budget.maxUsd} and ${w.budget.maxModelCalls} model calls per run`}
          </p>
          {metrics
            .filter((m) => m.workflow === w.name)
            .map((m) => (
              <Figures m={m} />
            ))}
          <RunsAndCostChart title={`${w.name}: runs and cost per day`} points={series[w.name] ?? []} />
          <ActionForm action={href(`/workflows/${w.name}/runs`)} csrf={csrf}>
            <label for={`in-${w.name}`}>Input (JSON)</label>
            <textarea id={`in-${w.name}`} name="input" rows={3} cols={40}>
              {'{}'}
            </textarea>
            <p>
              <button type="submit">{`Start ${w.name}`}</button>
            </p>
          </ActionForm>
        </section>
      ))}
    </Layout>
  );
}
