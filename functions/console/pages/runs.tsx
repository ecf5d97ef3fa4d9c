/** @jsxImportSource hono/jsx */
import type { Run, RunStatus } from '../../core/schemas.ts';
import { time } from './format.ts';
import { href, Layout } from './layout.tsx';

export interface RunsFilters {
  workflow?: string;
  status?: RunStatus;
  /** `24h`, `7d`, `30d` or empty for any time. */
  since?: string;
}

export interface RunsPageProps {
  csrf: string;
  runs: readonly Run[];
  workflows: readonly string[];
  filters: RunsFilters;
}

const STATUSES: RunStatus[] = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED'];
const WINDOWS = [
  ['', 'any time'],
  ['24h', 'last 24 hours'],
  ['7d', 'last 7 days'],
  ['30d', 'last 30 days'],
] as const;

export const statusClass = (status: string) =>
  status === 'FAILED' ? 'bad' : status === 'SUCCEEDED' ? 'ok' : 'muted';

/** Runs, newest first, filtered by a GET form: the filters live in the URL and hold no secret. */
export function RunsPage({ csrf, runs, workflows, filters }: RunsPageProps) {
  return (
    <Layout title="Runs" csrf={csrf}>
      <form method="get" action={href('/runs')} class="filters" aria-label="Filter runs">
        <div>
          <label for="f-workflow">Workflow</label>
          <select id="f-workflow" name="workflow">
            <option value="">all</option>
            {workflows.map((w) => (
              <option value={w} selected={filters.workflow === w}>
                {w}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="f-status">Status</label>
          <select id="f-status" name="status">
            <option value="">all</option>
            {STATUSES.map((s) => (
              <option value={s} selected={filters.status === s}>
                {s.toLowerCase()}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="f-since">Started</label>
          <select id="f-since" name="since">
            {WINDOWS.map(([value, label]) => (
              <option value={value} selected={(filters.since ?? '') === value}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <button type="submit">Filter</button>
      </form>
      {runs.length === 0 ? (
        <p>No runs match.</p>
      ) : (
        <div class="scroll">
          <table>
            <caption class="muted">{`${runs.length} run${runs.length === 1 ? '' : 's'}, newest first`}</caption>
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Workflow</th>
                <th scope="col">Status</th>
                <th scope="col">Mode</th>
                <th scope="col">Started</th>
                <th scope="col">Spent</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((run) => (
                <tr>
                  <td>
                    <a href={href(`/runs/${encodeURIComponent(run.runId)}`)}>{run.runId}</a>
                  </td>
                  <td>{`${run.workflow} v${run.workflowVersion}`}</td>
                  <td class={statusClass(run.status)}>{run.status.toLowerCase()}</td>
                  <td>{run.mode}</td>
                  <td>{time(run.createdAt)}</td>
                  <td>{`$${run.spentUsd.toFixed(4)}`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Layout>
  );
}
