/** @jsxImportSource hono/jsx */
import type { Approval } from '../../core/approvals/approval.ts';
import type { RunCost } from '../../core/metrics/usage.ts';
import type { ExecutionEvent } from '../../core/ports.ts';
import type { RunDetails } from '../../core/runs-service.ts';
import type { AuditEntry } from '../../core/schemas.ts';
import { duration, shownData, time, usd } from './format.ts';
import { ActionForm, href, Layout } from './layout.tsx';
import { statusClass } from './runs.tsx';

export interface RunPageProps {
  csrf: string;
  details: RunDetails;
  audit: readonly AuditEntry[];
  approvals: readonly Approval[];
  history: readonly ExecutionEvent[];
  cost: RunCost;
}

/** A run explained: its plan, then every journal line (decisions, approvals, model calls with cost, effects), the failure account and the execution history. */
export function RunPage({ csrf, details, audit, approvals, history, cost }: RunPageProps) {
  const { run, plan, intents, journal } = details;
  return (
    <Layout title={`Run ${run.runId}`} csrf={csrf}>
      <p>
        <span class={statusClass(run.status)}>{run.status.toLowerCase()}</span>
        {` · ${run.workflow} v${run.workflowVersion} · ${run.mode} · started ${time(run.createdAt)}`}
        {run.finishedAt ? ` · finished ${time(run.finishedAt)}` : ''}
      </p>
      <RunControls runId={run.runId} status={run.status} csrf={csrf} />
      {run.failure && (
        <section class="card" aria-labelledby="failure">
          <h2 id="failure">What went wrong</h2>
          <p class="bad">{run.failure.account}</p>
        </section>
      )}
      <section class="card" aria-labelledby="cost">
        <h2 id="cost">Cost</h2>
        <p>
          {`${usd(cost.totalUsd)}: model ${usd(cost.modelUsd)} over ${cost.modelCalls} call${cost.modelCalls === 1 ? '' : 's'}, AWS est. ${usd(cost.awsUsd)} (${cost.usage.stateTransitions} transitions, ${cost.usage.lambdaInvocations} invocations, ${cost.usage.sqsRequests} SQS requests, ${cost.usage.dynamoDbWriteUnits} write units)`}
        </p>
      </section>
      <section aria-labelledby="plan">
        <h2 id="plan">Plan</h2>
        {plan ? (
          <ol>
            {plan.steps.map((step, i) => {
              const intent = intents.find((x) => x.stepIndex === i);
              return (
                <li>
                  {`${step.title} (${step.action.type})`}
                  {intent && (
                    <span class={statusClass(intent.status)}>{` · ${intent.status.toLowerCase()}`}</span>
                  )}
                </li>
              );
            })}
          </ol>
        ) : (
          <p class="muted">No plan yet.</p>
        )}
      </section>
      {approvals.length > 0 && (
        <section aria-labelledby="approvals">
          <h2 id="approvals">Approvals</h2>
          <ul>
            {approvals.map((a) => (
              <li>
                {`${a.summary} · ${a.status.toLowerCase()}`}
                {a.decision
                  ? ` by ${a.decision.by} via ${a.decision.channel} at ${time(a.decision.at)}${
                      a.decision.openedAt
                        ? ` (opened ${time(a.decision.openedAt)}, decided in ${duration(Date.parse(a.decision.at) - Date.parse(a.decision.openedAt))})`
                        : ''
                    }${
                      a.decision.editedParams
                        ? ` (edited: ${Object.entries(a.decision.editedParams)
                            .map(
                              ([name, value]) =>
                                `${name}: ${typeof value === 'string' ? value : JSON.stringify(value)}`,
                            )
                            .join('; ')})`
                        : ''
                    }`
                  : ''}
              </li>
            ))}
          </ul>
        </section>
      )}
      <section aria-labelledby="timeline">
        <h2 id="timeline">Timeline</h2>
        <ol class="timeline">
          {journal.map((entry) => (
            <li>
              <span class="muted">{`${time(entry.at)} · ${entry.kind}`}</span>
              <div>{entry.message}</div>
              {shownData(entry.data).length > 0 && (
                <div class="muted">
                  {shownData(entry.data)
                    .map(([k, v]) => `${k} ${v}`)
                    .join(' · ')}
                </div>
              )}
            </li>
          ))}
        </ol>
      </section>
      <section aria-labelledby="effects">
        <h2 id="effects">Effects (audit log)</h2>
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Step</th>
                <th scope="col">Action</th>
                <th scope="col">Outcome</th>
                <th scope="col">Reason</th>
                <th scope="col">Took</th>
              </tr>
            </thead>
            <tbody>
              {audit.map((e) => (
                <tr>
                  <td>{e.stepIndex + 1}</td>
                  <td>{e.actionType}</td>
                  <td>{e.outcome}</td>
                  <td>{e.reason}</td>
                  <td>{duration(e.durationMs)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <details>
        <summary>Execution history ({history.length} events)</summary>
        <ol>
          {history.map((e) => (
            <li>{`${time(e.timestamp)} ${e.type}${e.stateName ? ` “${e.stateName}”` : ''}${e.error ? ` ${e.error}` : ''}`}</li>
          ))}
        </ol>
      </details>
      <p>
        <a href={href('/runs')}>All runs</a>
      </p>
    </Layout>
  );
}

/**
 * Cancel while the run can still stop; retry once it failed (completed steps keep their results);
 * rerun any finished run with the same input (a new run, linked to this one).
 */
function RunControls({ runId, status, csrf }: { runId: string; status: string; csrf: string }) {
  const action = href(`/runs/${encodeURIComponent(runId)}/control`);
  const open = status === 'QUEUED' || status === 'RUNNING';
  return (
    <section class="card" aria-labelledby="control">
      <h2 id="control">Run control</h2>
      {open && (
        <ActionForm action={action} csrf={csrf}>
          <label>
            Why cancel <input name="reason" maxlength={2000} />
          </label>{' '}
          <button type="submit" name="action" value="cancel">
            Cancel run
          </button>
        </ActionForm>
      )}
      {status === 'FAILED' && (
        <ActionForm action={action} csrf={csrf}>
          <button type="submit" name="action" value="retry">
            Retry from the failed step
          </button>
        </ActionForm>
      )}
      {!open && (
        <ActionForm action={action} csrf={csrf}>
          <button type="submit" name="action" value="rerun">
            Rerun with the same input
          </button>
        </ActionForm>
      )}
    </section>
  );
}
